package dev.tokenkeeper.redis;

import io.lettuce.core.cluster.RedisClusterClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * {@link RedisKeepersTest} on a real 3-master Redis Cluster ({@link RedisCluster}): keepers on their
 * own stores and cluster connections share one identity; exactly one endpoint call per expiry
 * across them, and a keeper built anew continues the session from the cluster.
 */
class RedisClusterKeepersTest extends RedisKeepersTest {

  @Override
  Supplier<RedisTokenStore.Builder> startRedis(Path dir) {
    RedisCluster cluster = RedisCluster.start(dir, 3);
    started.add(cluster);
    RedisClusterClient client = RedisClusterClient.create(cluster.uris());
    started.add(0, () -> client.shutdown(Duration.ZERO, Duration.ofSeconds(5)));
    return () -> RedisTokenStore.builder(client);
  }
}
