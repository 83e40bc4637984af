package dev.tokenkeeper.redis;

import dev.tokenkeeper.SharedTokenStore;
import dev.tokenkeeper.SharedTokenStoreContract;
import dev.tokenkeeper.TokenStore;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RedisTokenStore}, plain and encrypted, against core's shared-store contract (from core's
 * test jar) on a real redis-server. New stores share two connections; {@code reopen} opens its own
 * from the client, as another process would.
 */
class RedisTokenStoreContractTest extends SharedTokenStoreContract {
  private static final AtomicInteger IDENTITIES = new AtomicInteger();
  @TempDir static Path dir;
  static RedisServer server;
  static RedisClient client;
  static StatefulRedisConnection<String, String> connection;
  static StatefulRedisPubSubConnection<String, String> pubsub;
  static final List<RedisTokenStore> opened = new ArrayList<>();

  @BeforeAll
  static void startRedis() {
    server = RedisServer.start(dir);
    client = RedisClient.create(server.uri());
    connection = client.connect();
    pubsub = client.connectPubSub();
  }

  @AfterAll
  static void stopRedis() {
    client.shutdown(Duration.ZERO, Duration.ofSeconds(5));
    server.close();
  }

  @AfterEach
  void closeStores() {
    synchronized (opened) {
      opened.forEach(RedisTokenStore::close);
      opened.clear();
    }
  }

  /** Which identity each store of this test was made for, so that reopen can open it again. */
  static final java.util.Map<TokenStore, String> identities =
      java.util.Collections.synchronizedMap(new java.util.IdentityHashMap<>());

  static RedisTokenStore track(RedisTokenStore store, String identity) {
    synchronized (opened) {
      opened.add(store);
    }
    identities.put(store, identity);
    return store;
  }

  @Override
  protected SharedTokenStore newStore() {
    String identity = "user-" + IDENTITIES.incrementAndGet() + "@example.com";
    return track(RedisTokenStore.builder(connection).notifications(pubsub).identity(identity), identity);
  }

  @Override
  protected SharedTokenStore reopen(TokenStore store) {
    String identity = identities.get(store);
    return track(RedisTokenStore.builder(client).identity(identity), identity);
  }

  /** The same contract with every value encrypted (JWE dir + A256GCM). */
  @Nested
  class Encrypted extends SharedTokenStoreContract {
    private final SecretKeySpec key = new SecretKeySpec(new byte[32], "AES");

    @Override
    protected SharedTokenStore newStore() {
      String identity = "enc-" + IDENTITIES.incrementAndGet();
      return track(RedisTokenStore.builder(connection).notifications(pubsub).encryptWith(key)
          .identity(identity), identity);
    }

    @Override
    protected SharedTokenStore reopen(TokenStore store) {
      String identity = identities.get(store);
      return track(RedisTokenStore.builder(client).encryptWith(key).identity(identity), identity);
    }
  }

  /** The same contract without notifications: every change is found by polling. */
  @Nested
  class Polling extends SharedTokenStoreContract {
    @Override
    protected SharedTokenStore newStore() {
      String identity = "poll-" + IDENTITIES.incrementAndGet();
      return track(RedisTokenStore.builder(connection).pollInterval(Duration.ofMillis(20))
          .identity(identity), identity);
    }

    @Override
    protected SharedTokenStore reopen(TokenStore store) {
      String identity = identities.get(store);
      return track(RedisTokenStore.builder(connection).pollInterval(Duration.ofMillis(20))
          .identity(identity), identity);
    }
  }
}
