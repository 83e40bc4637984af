package dev.tokenkeeper.redis;

import dev.tokenkeeper.SharedTokenStore;
import dev.tokenkeeper.SharedTokenStoreContract;
import dev.tokenkeeper.TokenStore;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RedisTokenStore}, plain, encrypted and polling, against core's shared-store contract (from
 * core's test jar) on a real redis-server. New stores share two connections ({@link #shared}, or
 * {@link #plain} without notifications); {@code reopen} opens its own ({@link #own}), as another
 * process would. {@link RedisClusterContractTest} runs the same on a Redis Cluster by starting it
 * in its own {@code @BeforeAll} and setting the three builders.
 */
class RedisTokenStoreContractTest extends SharedTokenStoreContract {
  private static final AtomicInteger IDENTITIES = new AtomicInteger();
  @TempDir static Path dir;
  /** Stores on two shared connections, commands and notifications. */
  static Supplier<RedisTokenStore.Builder> shared;
  /** Stores on the shared command connection, without notifications. */
  static Supplier<RedisTokenStore.Builder> plain;
  /** Stores that open their own connections. */
  static Supplier<RedisTokenStore.Builder> own;
  /** Stops what {@code @BeforeAll} started. */
  static final List<AutoCloseable> started = new ArrayList<>();
  static final List<RedisTokenStore> opened = new ArrayList<>();
  /** Which identity each store of this test was made for, so that reopen can open it again. */
  static final Map<TokenStore, String> identities = Collections.synchronizedMap(new IdentityHashMap<>());

  @BeforeAll
  static void startRedis() {
    RedisServer server = RedisServer.start(dir);
    started.add(server);
    RedisClient client = RedisClient.create(server.uri());
    started.add(0, () -> client.shutdown(Duration.ZERO, Duration.ofSeconds(5)));
    StatefulRedisConnection<String, String> connection = client.connect();
    var pubsub = client.connectPubSub();
    shared = () -> RedisTokenStore.builder(connection).notifications(pubsub);
    plain = () -> RedisTokenStore.builder(connection);
    own = () -> RedisTokenStore.builder(client);
  }

  @AfterAll
  static void stopRedis() throws Exception {
    for (AutoCloseable c : started) {
      c.close();
    }
    started.clear();
  }

  @AfterEach
  void closeStores() {
    synchronized (opened) {
      opened.forEach(RedisTokenStore::close);
      opened.clear();
    }
  }

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
    return track(shared.get().identity(identity), identity);
  }

  @Override
  protected SharedTokenStore reopen(TokenStore store) {
    String identity = identities.get(store);
    return track(own.get().identity(identity), identity);
  }

  /** The same contract with every value encrypted (JWE dir + A256GCM). */
  @Nested
  class Encrypted extends SharedTokenStoreContract {
    private final SecretKeySpec key = new SecretKeySpec(new byte[32], "AES");

    @Override
    protected SharedTokenStore newStore() {
      String identity = "enc-" + IDENTITIES.incrementAndGet();
      return track(shared.get().encryptWith(key).identity(identity), identity);
    }

    @Override
    protected SharedTokenStore reopen(TokenStore store) {
      String identity = identities.get(store);
      return track(own.get().encryptWith(key).identity(identity), identity);
    }
  }

  /** The same contract without notifications: every change is found by polling. */
  @Nested
  class Polling extends SharedTokenStoreContract {
    @Override
    protected SharedTokenStore newStore() {
      String identity = "poll-" + IDENTITIES.incrementAndGet();
      return track(plain.get().pollInterval(Duration.ofMillis(20)).identity(identity), identity);
    }

    @Override
    protected SharedTokenStore reopen(TokenStore store) {
      String identity = identities.get(store);
      return track(plain.get().pollInterval(Duration.ofMillis(20)).identity(identity), identity);
    }
  }
}
