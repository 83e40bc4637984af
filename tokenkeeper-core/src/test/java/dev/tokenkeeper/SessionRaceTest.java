package dev.tokenkeeper;

import static dev.tokenkeeper.KeeperTestSupport.TTL;
import static dev.tokenkeeper.KeeperTestSupport.initial;
import static dev.tokenkeeper.KeeperTestSupport.keeper;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.testing.TestClock;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Sign-in, sign-out, invalidate and close racing a refresh: nobody is left without an answer. */
class SessionRaceTest {
  private final TestClock clock = new TestClock();
  private final FakeSource source = new FakeSource(TTL);
  private final ExecutorService refreshThreads = Executors.newCachedThreadPool();

  @AfterEach
  void stopThreads() {
    refreshThreads.shutdownNow();
  }

  @Test
  void signInWhileCallersWaitOnAFailingRefresh_theyGetTheNewTokenAtOnce() throws Exception {
    source.then(new IOException("down"));
    try (TokenKeeper keeper = keeper(source, clock).executor(Runnable::run).initialTokens(initial()).build()) {
      clock.advance(TTL);
      CompletableFuture<AccessToken> waiter = keeper.tokenAsync(Duration.ofSeconds(30));
      assertThat(source.calls).hasValue(1);
      assertThat(waiter).isNotDone(); // waiting for the retry, 1 s away

      keeper.signIn(TokenResponse.bearer("signed-in").withExpiresIn(TTL).withRefreshToken("refresh-new"));
      assertThat(waiter).isCompleted(); // no need to move the clock: the sign-in answered it
      assertThat(waiter.join().value()).isEqualTo("signed-in");
      clock.advance(Duration.ofSeconds(1));
      assertThat(keeper.token().value()).isEqualTo("signed-in");
      assertThat(source.calls).hasValue(1); // the scheduled retry of the old session never ran
    }
  }

  @Test
  void signOutWhileARefreshRotatesTheToken_theRotatedRefreshTokenIsRevokedToo() throws Exception {
    List<String> revoked = new CopyOnWriteArrayList<>();
    try (TokenKeeper keeper = keeper(source, clock).executor(refreshThreads)
        .revoker(token -> revoked.add(token.value())).initialTokens(initial()).build()) {
      clock.advance(TTL);
      CountDownLatch release = source.hold();
      CompletableFuture<AccessToken> waiter = keeper.tokenAsync(Duration.ofSeconds(30));
      assertThat(source.entered.tryAcquire(10, TimeUnit.SECONDS)).isTrue(); // it sent refresh-0

      keeper.signOut().get(10, TimeUnit.SECONDS);
      assertThat(revoked).containsExactly("refresh-0");
      assertThatThrownBy(waiter::join).hasCauseInstanceOf(ReauthenticationRequiredException.class);

      release.countDown(); // the server had rotated refresh-0 into refresh-1: it must not outlive the session
      org.awaitility.Awaitility.await().untilAsserted(() ->
          assertThat(revoked).containsExactly("refresh-0", "refresh-1"));
      assertThatThrownBy(keeper::token).isInstanceOf(ReauthenticationRequiredException.class);
    }
  }

  @Test
  void invalidatedToken_isNeverAdoptedAgainFromTheStore() {
    // Another writer (a process that still has the old token) puts the rejected token back in the
    // store just as our refresh writes: the first compare-and-set loses.
    TokenStore inner = TokenStore.inMemory();
    AtomicBoolean conflict = new AtomicBoolean();
    TokenStore store = new TokenStore() {
      @Override
      public StoredTokens load() {
        return inner.load();
      }

      @Override
      public boolean compareAndSet(long expectedVersion, StoredTokens replacement) {
        if (conflict.getAndSet(false)) {
          StoredTokens stale = inner.load();
          AccessToken rejectedAgain = new AccessToken("access-0", "Bearer", clock.instant(),
              clock.instant().plus(TTL), Set.of());
          inner.compareAndSet(stale.version(), stale.next(rejectedAgain, stale.refreshToken()));
          return false;
        }
        return inner.compareAndSet(expectedVersion, replacement);
      }
    };
    try (TokenKeeper keeper = keeper(source, clock).executor(Runnable::run).store(store)
        .initialTokens(initial()).build()) {
      AccessToken rejected = keeper.token();
      conflict.set(true);
      assertThat(keeper.invalidate(rejected)).isTrue(); // refresh: its write conflicts
      assertThat(keeper.token().value()).isEqualTo("access-1");
      assertThat(keeper.token()).isNotEqualTo(rejected);
      assertThat(store.load().accessToken().value()).isEqualTo("access-1");
    }
  }

  @Test
  void closeRacingRetriesScheduledDuringBackoff_everyCallerGetsAnAnswer() throws Exception {
    // Real threads and the keeper's own timer: a failing endpoint keeps retries scheduled while
    // close() comes at an arbitrary moment. Nobody may be left waiting (their timers die with it).
    ExecutorService callers = Executors.newFixedThreadPool(4);
    try {
      for (int round = 0; round < 200; round++) {
        TokenSource down = request -> {
          throw new IOException("down");
        };
        TokenKeeper keeper = TokenKeeper.newBuilder(down).backoff(Duration.ofMillis(1), Duration.ofMillis(2))
            .waitingRetryInterval(Duration.ofMillis(1)).build();
        List<CompletableFuture<AccessToken>> waiters = new ArrayList<>();
        CountDownLatch started = new CountDownLatch(4);
        List<java.util.concurrent.Future<?>> loops = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
          loops.add(callers.submit(() -> {
            started.countDown();
            for (int i = 0; i < 20; i++) {
              synchronized (waiters) {
                waiters.add(keeper.tokenAsync(Duration.ofMinutes(10)));
              }
            }
          }));
        }
        started.await();
        keeper.close();
        for (java.util.concurrent.Future<?> loop : loops) {
          loop.get(10, TimeUnit.SECONDS);
        }
        synchronized (waiters) {
          for (CompletableFuture<AccessToken> waiter : waiters) {
            // Within 10 s, not 10 min: every one was answered by close() (or failed fast before).
            assertThatThrownBy(() -> waiter.get(10, TimeUnit.SECONDS)).isInstanceOf(
                java.util.concurrent.ExecutionException.class);
          }
        }
      }
    } finally {
      callers.shutdownNow();
    }
  }
}
