package dev.tokenkeeper.redis;

import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link RedisTokenStoreContractTest} (core's shared-store contract, plain, encrypted and polling) on
 * a real 3-master Redis Cluster ({@link RedisCluster}): new stores share a cluster connection and a
 * cluster pub/sub connection; {@code reopen} opens its own from the {@code RedisClusterClient}, as
 * another process would. The identities' slots fall on all three masters.
 */
class RedisClusterContractTest extends RedisTokenStoreContractTest {

  /** Hides the superclass's: this class starts a cluster instead of one server. */
  @BeforeAll
  static void startRedis() {
    RedisCluster cluster = RedisCluster.start(dir, 3);
    started.add(cluster);
    RedisClusterClient client = RedisClusterClient.create(cluster.uris());
    started.add(0, () -> client.shutdown(Duration.ZERO, Duration.ofSeconds(5)));
    StatefulRedisClusterConnection<String, String> connection = client.connect();
    var pubsub = client.connectPubSub();
    shared = () -> RedisTokenStore.builder(connection).notifications(pubsub);
    plain = () -> RedisTokenStore.builder(connection);
    own = () -> RedisTokenStore.builder(client);
  }
}
