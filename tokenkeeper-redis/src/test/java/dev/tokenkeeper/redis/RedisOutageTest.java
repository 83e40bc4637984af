package dev.tokenkeeper.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tokenkeeper.AccessToken;
import dev.tokenkeeper.OAuth2TokenEndpoint;
import dev.tokenkeeper.RefreshToken;
import dev.tokenkeeper.SharedTokenStore.RefreshLease;
import dev.tokenkeeper.StoredTokens;
import dev.tokenkeeper.TokenException;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenResponse;
import dev.tokenkeeper.TokenStoreException;
import dev.tokenkeeper.TokenStoreException.Reason;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import dev.tokenkeeper.testing.TestClock;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Redis frozen ({@code SIGSTOP}: connections open, nothing answers), then thawed; Redis killed and
 * started again, with and without its append-only file. Every store call fails typed within the
 * command timeout, no keeper caller waits past its deadline, no refresh is made without the lease,
 * and everything recovers by itself.
 */
class RedisOutageTest {
  private static final Duration TTL = Duration.ofMinutes(5);
  private static final Duration COMMAND_TIMEOUT = Duration.ofMillis(500);
  /** Scheduling slack for a loaded 2-core machine on top of every bound. */
  private static final long SLACK_MILLIS = 1_500;
  @TempDir Path dir;
  private final TestClock clock = new TestClock();
  private final ScriptedTokenServer server = ScriptedTokenServer.newBuilder().clock(clock)
      .accessTokenTtl(TTL).rotateRefreshTokens(true).reuseDetection(true).build().start();
  private final OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(server.uri())
      .clientId("test-client").clientSecret("test-secret").build();
  private final List<AutoCloseable> closeLast = new ArrayList<>();
  private final ExecutorService threads = Executors.newFixedThreadPool(30);
  private RedisServer redis;
  private RedisClient client;

  @BeforeEach
  void start() {
    redis = RedisServer.start(dir.resolve("redis"), true);
    client = RedisClient.create(redis.uri());
  }

  @AfterEach
  void stop() throws Exception {
    threads.shutdownNow();
    for (AutoCloseable c : closeLast) {
      c.close();
    }
    client.shutdown(Duration.ZERO, Duration.ofSeconds(5));
    redis.close();
    server.close();
  }

  private RedisTokenStore store(String identity) {
    RedisTokenStore store = RedisTokenStore.builder(client).commandTimeout(COMMAND_TIMEOUT)
        .identity(identity);
    closeLast.add(0, store);
    return store;
  }

  private TokenKeeper keeper(RedisTokenStore store) {
    TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.refreshTokens()).clock(clock)
        .scheduler(clock::schedule).jitter(0).random(() -> 0L).store(store)
        .attemptTimeout(Duration.ofSeconds(5))
        .initialTokens(TokenResponse.bearer(server.mintAccessToken("alice", TTL))
            .withExpiresIn(TTL).withRefreshToken(server.issueLogin("alice")))
        .build();
    closeLast.add(0, keeper);
    return keeper;
  }

  private static StoredTokens tokens(long version) {
    Instant at = Instant.parse("2026-11-29T12:00:00Z");
    return new StoredTokens(version, AccessToken.bearer("a" + version, at.plusSeconds(60)),
        new RefreshToken("r" + version));
  }

  private static void failsTypedWithin(ThrowingCallable call, long boundMillis) {
    long started = System.nanoTime();
    assertThatThrownBy(call).isInstanceOfSatisfying(TokenStoreException.class, e -> {
      assertThat(e.reason()).isEqualTo(Reason.IO_FAILURE);
      assertThat(e.getMessage()).contains("did not answer");
    });
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started))
        .isLessThan(boundMillis + SLACK_MILLIS);
  }

  @Test
  void redisFrozen_everyStoreCallFailsTypedWithinTheCommandTimeout_andALateLeaseIsGivenBack()
      throws Exception {
    RedisTokenStore store = store("alice");
    store.compareAndSet(0, tokens(1));

    redis.pause();
    try {
      failsTypedWithin(store::load, COMMAND_TIMEOUT.toMillis());
      failsTypedWithin(() -> store.tryLease(TTL), COMMAND_TIMEOUT.toMillis());
      failsTypedWithin(() -> store.awaitChange(1, Duration.ofMillis(100)), COMMAND_TIMEOUT.toMillis());
    } finally {
      redis.resume();
    }

    // Redis runs the queued SET NX when it wakes, and right after it the compare-and-delete queued
    // behind it: the lease granted too late is given back instead of blocking refreshes for 5 min.
    try (StatefulRedisConnection<String, String> raw = client.connect()) {
      await().atMost(Duration.ofSeconds(10)).until(() -> raw.sync().exists(store.key() + ":lease") == 0);
    }
    assertThat(store.load().version()).isEqualTo(1);
    RefreshLease lease = store.tryLease(TTL);
    assertThat(lease).isNotNull();
    lease.release();
  }

  /**
   * Real time here (callers' deadlines are on the keeper's clock): the token lives 3 s, and the
   * token server's own clock is the test clock, far from it, so its answers are valid for 5 min.
   */
  @Test
  void redisFrozen_keeperServesItsValidToken_expiredCallersFailTypedWithinTheirDeadline_noRefreshWithoutTheLease_thenRecovers()
      throws Exception {
    RedisTokenStore store = store("alice");
    Duration shortTtl = Duration.ofSeconds(3);
    TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.refreshTokens()).store(store)
        .attemptTimeout(Duration.ofSeconds(5)).leeway(Duration.ZERO)
        .initialTokens(TokenResponse.bearer("access-0").withExpiresIn(shortTtl)
            .withRefreshToken(server.issueLogin("alice")))
        .build();
    closeLast.add(0, keeper);
    AccessToken first = keeper.token();

    redis.pause();
    try {
      long started = System.nanoTime();
      assertThat(keeper.token(Duration.ofSeconds(1))).isEqualTo(first); // the hot path: no Redis
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)).isLessThan(1_000);

      // Expired: a refresh is needed, and it needs Redis.
      await().atMost(Duration.ofSeconds(10)).until(() -> Instant.now().isAfter(first.expiresAt()));
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Long>> callers = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        callers.add(threads.submit(() -> {
          go.await();
          long t0 = System.nanoTime();
          try {
            keeper.token(Duration.ofSeconds(2));
            return -1L; // a token: must not happen while Redis is frozen
          } catch (TokenException e) {
            return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
          }
        }));
      }
      go.countDown();
      long slowest = 0;
      for (Future<Long> caller : callers) {
        long took = caller.get(2_000 + SLACK_MILLIS * 4, TimeUnit.MILLISECONDS);
        assertThat(took).as("a typed TokenException within the 2 s deadline").isBetween(0L, 2_000 + SLACK_MILLIS);
        slowest = Math.max(slowest, took);
      }
      System.out.println("Redis frozen: 30 callers with a 2 s deadline, slowest typed failure after "
          + slowest + " ms");
      assertThat(server.tokenRequests()).as("no refresh without the lease").isZero();
    } finally {
      redis.resume();
    }

    AccessToken after = keeper.token(Duration.ofSeconds(20)); // reconnected, next attempt succeeds
    assertThat(after).isNotEqualTo(first);
    assertThat(server.tokenRequests("refresh_token")).isEqualTo(1);
    assertThat(server.reuseDetections()).isZero();
    assertThat(store.load().accessToken()).isEqualTo(after);
    assertThat(keeper.waitingCallers()).isZero();
  }

  @Test
  void redisRestartedWithItsAppendOnlyFile_sessionAndFencingContinue() {
    RedisTokenStore store = store("alice");
    TokenKeeper keeper = keeper(store);
    clock.advance(TTL);
    AccessToken refreshed = keeper.token();
    // The keeper releases its lease just after it handed the token out.
    RefreshLease before = await().atMost(Duration.ofSeconds(10))
        .until(() -> store.tryLease(TTL), java.util.Objects::nonNull);
    before.release();

    redis.restart(); // kill -9, then a new process on the same port and directory

    await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> store.load().version() > 0);
    assertThat(store.load().accessToken()).isEqualTo(refreshed);
    RefreshLease after = store.tryLease(TTL);
    assertThat(after.fencingToken()).isGreaterThan(before.fencingToken());
    after.release();
    clock.advance(TTL);
    assertThat(keeper.token(Duration.ofSeconds(20))).isNotEqualTo(refreshed);
    assertThat(server.tokenRequests("refresh_token")).isEqualTo(2);
    assertThat(server.reuseDetections()).isZero();
  }

  @Test
  void redisRestartedEmpty_theKeeperReseedsItFromItsOwnTokens_atTheNextRefresh() throws Exception {
    redis.close();
    redis = RedisServer.start(dir.resolve("volatile"), false);
    client.shutdown(Duration.ZERO, Duration.ofSeconds(5));
    client = RedisClient.create(redis.uri());
    RedisTokenStore store = store("alice");
    TokenKeeper keeper = keeper(store);
    clock.advance(TTL);
    AccessToken refreshed = keeper.token();
    assertThat(store.load().version()).isEqualTo(2);

    redis.restart(); // no persistence: Redis comes back empty

    await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> store.load().isEmpty());
    assertThat(keeper.token()).isEqualTo(refreshed); // still valid in memory
    clock.advance(TTL);
    AccessToken next = keeper.token(Duration.ofSeconds(20));
    assertThat(next).isNotEqualTo(refreshed);
    assertThat(server.reuseDetections()).isZero();
    assertThat(store.load().version()).isEqualTo(1);
    assertThat(store.load().accessToken()).isEqualTo(next);
  }
}
