package dev.tokenkeeper;

import static dev.tokenkeeper.KeeperTestSupport.TTL;
import static dev.tokenkeeper.KeeperTestSupport.initial;
import static dev.tokenkeeper.KeeperTestSupport.keeper;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tokenkeeper.testing.TestClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Single-flight under a storm of real threads, platform and virtual. */
class TokenKeeperConcurrencyTest {

  @Test
  void expiredToken_1000PlatformThreads_exactlyOneEndpointCallAndAllGetTheNewToken() throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(1000);
    try {
      stormOnExpiry(threads, 1000);
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  void expiredToken_10000VirtualThreads_exactlyOneEndpointCallAndAllGetTheNewToken() throws Exception {
    assumeTrue(Runtime.version().feature() >= 21, "virtual threads need JDK 21+; .ci/run runs this on JDK 25");
    // Compiled for Java 17, so reach the JDK 21 factory reflectively.
    ExecutorService threads =
        (ExecutorService) Executors.class.getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
    try {
      stormOnExpiry(threads, 10_000);
    } finally {
      threads.shutdownNow();
    }
  }

  private void stormOnExpiry(ExecutorService threads, int callers) throws Exception {
    TestClock clock = new TestClock();
    FakeSource source = new FakeSource(TTL);
    try (TokenKeeper keeper = keeper(source, clock).initialTokens(initial()).build()) {
      clock.advance(TTL); // the token has just expired
      CountDownLatch release = source.hold();
      CountDownLatch start = new CountDownLatch(1);
      Set<Thread> callerThreads = ConcurrentHashMap.newKeySet();
      List<Future<AccessToken>> results = new ArrayList<>();
      for (int i = 0; i < callers; i++) {
        results.add(threads.submit(() -> {
          callerThreads.add(Thread.currentThread());
          start.await();
          return keeper.token(Duration.ofMinutes(1));
        }));
      }
      start.countDown();
      assertThat(source.entered.tryAcquire(30, TimeUnit.SECONDS)).as("refresh started").isTrue();
      // Proof of a storm: every caller is parked inside token() while the one refresh is held.
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
          .until(() -> callerThreads.size() == callers && callerThreads.stream().allMatch(
              TokenKeeperConcurrencyTest::waitingInsideToken));
      assertThat(source.calls).as("calls while all callers wait").hasValue(1);
      release.countDown();

      Set<String> tokens = ConcurrentHashMap.newKeySet();
      for (Future<AccessToken> result : results) {
        tokens.add(result.get(30, TimeUnit.SECONDS).value());
      }
      assertThat(source.calls).hasValue(1);
      assertThat(tokens).containsExactly("access-1");
      assertThat(source.requests.get(0).refreshToken()).isEqualTo(new RefreshToken("refresh-0"));
    }
  }

  /** Parked (not merely scheduled or running) with {@code TokenKeeper.token} on its stack. */
  private static boolean waitingInsideToken(Thread t) {
    Thread.State state = t.getState();
    if (state != Thread.State.WAITING && state != Thread.State.TIMED_WAITING) {
      return false;
    }
    return Arrays.stream(t.getStackTrace()).anyMatch(
        f -> f.getClassName().equals(TokenKeeper.class.getName()) && f.getMethodName().equals("token"));
  }

  @Test
  void manyRefreshCycles_concurrentCallers_oneCallPerLifetime() throws Exception {
    TestClock clock = new TestClock();
    FakeSource source = new FakeSource(TTL);
    ExecutorService threads = Executors.newFixedThreadPool(16);
    try (TokenKeeper keeper = keeper(source, clock).initialTokens(initial()).build()) {
      for (int cycle = 1; cycle <= 50; cycle++) {
        clock.advance(TTL);
        List<Future<AccessToken>> results = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
          results.add(threads.submit(() -> keeper.token(Duration.ofMinutes(1))));
        }
        for (Future<AccessToken> result : results) {
          assertThat(result.get(30, TimeUnit.SECONDS).value()).isEqualTo("access-" + cycle);
        }
        assertThat(source.calls).hasValue(cycle);
      }
    } finally {
      threads.shutdownNow();
    }
  }
}
