package dev.tokenkeeper.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.AccessToken;
import dev.tokenkeeper.OAuth2TokenEndpoint;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenResponse;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import dev.tokenkeeper.testing.TestClock;
import io.lettuce.core.RedisClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keepers in one JVM, each on its own {@link RedisTokenStore} object and connections (as separate
 * processes would have), share one identity on a real redis-server against a token endpoint with
 * rotation and reuse detection. Token time is the test's clock; Redis and the lease waits are real.
 * {@link RedisClusterKeepersTest} runs the same on a Redis Cluster ({@link #startRedis} overridden).
 */
class RedisKeepersTest {
  private static final Duration TTL = Duration.ofMinutes(5);
  private final TestClock clock = new TestClock();
  private final ScriptedTokenServer server = ScriptedTokenServer.newBuilder().clock(clock)
      .accessTokenTtl(TTL).rotateRefreshTokens(true).reuseDetection(true).build().start();
  private final OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(server.uri())
      .clientId("test-client").clientSecret("test-secret").build();
  private final List<TokenKeeper> keepers = new ArrayList<>();
  private final List<RedisTokenStore> stores = new ArrayList<>();
  private final ExecutorService threads = Executors.newFixedThreadPool(30);
  /** Stops Redis after each test (its client first). */
  final List<AutoCloseable> started = new ArrayList<>();
  @TempDir Path dir;
  private Supplier<RedisTokenStore.Builder> redis;
  private String login;

  @BeforeEach
  void start() {
    redis = startRedis(dir);
  }

  /**
   * Starts the Redis the keepers share (adding what to stop to {@link #started}) and returns how
   * to build stores that open their own connections.
   */
  Supplier<RedisTokenStore.Builder> startRedis(Path dir) {
    RedisServer server = RedisServer.start(dir);
    started.add(server);
    RedisClient client = RedisClient.create(server.uri());
    started.add(0, () -> client.shutdown(Duration.ZERO, Duration.ofSeconds(5)));
    return () -> RedisTokenStore.builder(client);
  }

  @AfterEach
  void stop() throws Exception {
    threads.shutdownNow();
    keepers.forEach(TokenKeeper::close);
    stores.forEach(RedisTokenStore::close);
    for (AutoCloseable c : started) {
      c.close();
    }
    server.close();
  }

  /** A keeper on its own store object; the first one built on an empty store signs in. */
  private TokenKeeper keeper(String name) {
    RedisTokenStore store = redis.get().identity("alice");
    stores.add(store);
    TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.refreshTokens()).name(name).clock(clock)
        .scheduler(clock::schedule).jitter(0).random(() -> 0L).store(store)
        .initialTokens(TokenResponse.bearer(server.mintAccessToken("alice", TTL))
            .withExpiresIn(TTL).withRefreshToken(login()))
        .build();
    keepers.add(keeper);
    return keeper;
  }

  private synchronized String login() {
    if (login == null) {
      login = server.issueLogin("alice");
    }
    return login;
  }

  @Test
  void threeKeepersTenThreadsEach_20Expiries_exactlyOneRefreshPerExpiry_zeroReuse() throws Exception {
    List<TokenKeeper> three = List.of(keeper("a"), keeper("b"), keeper("c"));
    int failures = 0;
    for (int cycle = 1; cycle <= 20; cycle++) {
      clock.advance(TTL); // every keeper's token expired at once
      CountDownLatch start = new CountDownLatch(1);
      List<Future<AccessToken>> calls = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        TokenKeeper keeper = three.get(i % 3);
        calls.add(threads.submit(() -> {
          start.await();
          return keeper.token(Duration.ofSeconds(30));
        }));
      }
      start.countDown();
      Set<String> seen = ConcurrentHashMap.newKeySet();
      for (Future<AccessToken> call : calls) {
        try {
          seen.add(call.get(60, TimeUnit.SECONDS).value());
        } catch (Exception e) {
          failures++;
        }
      }
      assertThat(seen).as("cycle %d: one token for every keeper", cycle).hasSize(1);
      assertThat(server.tokenRequests("refresh_token")).as("cycle %d", cycle).isEqualTo(cycle);
    }
    assertThat(failures).isZero();
    assertThat(server.reuseDetections()).isZero();
  }

  @Test
  void aRestartedKeeperContinuesTheSessionFromRedis_noCallWhileFresh_oneRefreshWhenExpired() {
    TokenKeeper first = keeper("first");
    clock.advance(TTL);
    AccessToken refreshed = first.token();
    first.close();

    TokenKeeper second = keeper("second"); // initial tokens ignored: Redis holds a session
    assertThat(second.token()).isEqualTo(refreshed);
    assertThat(server.tokenRequests()).isEqualTo(1);

    clock.advance(TTL);
    assertThat(second.token()).isNotEqualTo(refreshed);
    assertThat(server.tokenRequests("refresh_token")).isEqualTo(2);
    assertThat(server.reuseDetections()).isZero();
  }
}
