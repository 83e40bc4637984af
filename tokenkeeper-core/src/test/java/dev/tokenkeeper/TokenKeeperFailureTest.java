package dev.tokenkeeper;

import static dev.tokenkeeper.KeeperTestSupport.TTL;
import static dev.tokenkeeper.KeeperTestSupport.initial;
import static dev.tokenkeeper.KeeperTestSupport.keeper;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tokenkeeper.testing.TestClock;
import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Temporary and terminal failures, deadlines, interrupts and the store under failure. */
class TokenKeeperFailureTest {
  private static final Duration STALE_AT = Duration.ofSeconds(445); // 10 min token: 595 s - 150 s

  private final TestClock clock = new TestClock();
  private final FakeSource source = new FakeSource(TTL);
  private final RecordingListener listener = new RecordingListener();

  private static TokenEndpointException unavailable(Duration retryAfter) {
    return TokenEndpointException.unavailable(503, null, retryAfter, "token endpoint answered HTTP 503");
  }

  private static TokenEndpointException invalidGrant() {
    return TokenEndpointException.rejected(400, "invalid_grant", "token endpoint answered HTTP 400 error=invalid_grant");
  }

  @Test
  void transientFailures_whileTokenValid_callersUnaffected_backoffAndRetryAfterObserved() {
    source.then(unavailable(null)).then(unavailable(Duration.ofSeconds(20))).then(new ConnectException("refused"));
    try (TokenKeeper keeper = keeper(source, clock).executor(Runnable::run).listener(listener)
        .initialTokens(initial()).build()) {
      clock.advance(STALE_AT);
      assertThat(keeper.token().value()).isEqualTo("access-0"); // attempt 1 fails: backoff 1 s
      assertThat(source.calls).hasValue(1);

      assertCallsAfter(keeper, Duration.ofMillis(999), 1);
      assertCallsAfter(keeper, Duration.ofMillis(1), 2); // attempt 2: 503 + Retry-After 20 s (backoff 2 s)
      assertCallsAfter(keeper, Duration.ofMillis(19_999), 2);
      assertCallsAfter(keeper, Duration.ofMillis(1), 3); // attempt 3: refused, backoff 4 s
      assertCallsAfter(keeper, Duration.ofMillis(3_999), 3);
      assertCallsAfter(keeper, Duration.ofMillis(1), 4); // attempt 4 succeeds

      assertThat(keeper.token().value()).isEqualTo("access-4");
      assertThat(listener.failures).extracting(e -> e.retryIn().toMillis()).containsExactly(1_000L, 20_000L, 4_000L);
      assertThat(listener.failures).extracting(TokenListener.RefreshFailed::attempt).containsExactly(1, 2, 3);
      assertThat(listener.refreshes).hasSize(1);
    }
  }

  private void assertCallsAfter(TokenKeeper keeper, Duration advance, int calls) {
    clock.advance(advance);
    assertThat(keeper.token().value()).startsWith("access-");
    assertThat(source.calls).as("endpoint calls after %s", advance).hasValue(calls);
  }

  /**
   * An Error thrown while the answer is saved, after the refresh took the right to settle its
   * flight: the flight fails at once, and the caller, still within its deadline, gets the token of
   * the next attempt. (Before, the flight stayed in place unsettled: every caller, then and later,
   * timed out.) Real threads and clock: the keeper's own executor runs the refresh.
   */
  @Test
  void anErrorWhileSavingTheAnswer_failsThatAttempt_theCallerGetsTheNextOnesToken() {
    TokenStore memory = TokenStore.inMemory();
    AtomicBoolean broken = new AtomicBoolean(true);
    TokenStore breaksOnce = new TokenStore() {
      @Override
      public StoredTokens load() {
        return memory.load();
      }

      @Override
      public boolean compareAndSet(long expectedVersion, StoredTokens replacement) {
        if (replacement.accessToken() != null && broken.getAndSet(false)) {
          throw new LinkageError("the store's code could not be loaded");
        }
        return memory.compareAndSet(expectedVersion, replacement);
      }
    };
    java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
    try (TokenKeeper keeper = TokenKeeper.newBuilder(request -> TokenResponse.bearer("fresh-" + calls.incrementAndGet())
            .withExpiresIn(Duration.ofHours(1)))
        .store(breaksOnce).build()) {
      assertThat(keeper.token(Duration.ofSeconds(10)).value()).isEqualTo("fresh-2");
      assertThat(calls).hasValue(2);
      assertThat(keeper.token(Duration.ofSeconds(10)).value()).isEqualTo("fresh-2");
      assertThat(memory.load().accessToken()).isNotNull();
    }
  }

  @Test
  void retryAfter_isCappedAtMaxRetryAfter() {
    source.then(unavailable(Duration.ofHours(1)));
    try (TokenKeeper keeper = keeper(source, clock).executor(Runnable::run).listener(listener)
        .maxRetryAfter(Duration.ofMinutes(2)).initialTokens(initial()).build()) {
      clock.advance(STALE_AT);
      keeper.token();
      assertThat(listener.failures.get(0).retryIn()).isEqualTo(Duration.ofMinutes(2));
    }
  }

  @Test
  void expiredToken_nextAttemptAfterTheDeadline_failsFastWithTemporaryException() {
    source.then(unavailable(Duration.ofSeconds(30)));
    try (TokenKeeper keeper = keeper(source, clock).executor(Runnable::run).initialTokens(initial()).build()) {
      clock.advance(TTL);
      assertThatThrownBy(() -> keeper.token(Duration.ofSeconds(5)))
          .isInstanceOfSatisfying(TokenRefreshException.class, e -> {
            assertThat(e.isTemporary()).isTrue();
            assertThat(e.retryAfter()).contains(Duration.ofSeconds(30));
          });
      // The next caller does not call the endpoint again during the backoff either.
      assertThatThrownBy(() -> keeper.token(Duration.ofSeconds(5))).isInstanceOf(TokenRefreshException.class);
      assertThat(source.calls).hasValue(1);
    }
  }

  @Test
  void expiredToken_nextAttemptWithinTheDeadline_waitsForTheRetry() throws Exception {
    source.then(unavailable(Duration.ofSeconds(3)));
    try (TokenKeeper keeper = keeper(source, clock).executor(Runnable::run).initialTokens(initial()).build()) {
      clock.advance(TTL);
      CompletableFuture<AccessToken> waiter = keeper.tokenAsync(Duration.ofSeconds(10));
      assertThat(source.calls).hasValue(1);
      assertThat(waiter).isNotDone();
      clock.advance(Duration.ofMillis(2_999));
      assertThat(waiter).isNotDone();
      clock.advance(Duration.ofMillis(1)); // the retry is due: it runs and succeeds
      assertThat(waiter.get(10, TimeUnit.SECONDS).value()).isEqualTo("access-2");
      assertThat(source.calls).hasValue(2);
    }
  }

  @Test
  void terminalFailure_everyWaiterFailsFast_listenerOnce_noFurtherCalls() throws Exception {
    source.then(invalidGrant());
    ExecutorService threads = Executors.newFixedThreadPool(50);
    try (TokenKeeper keeper = keeper(source, clock).listener(listener).initialTokens(initial()).build()) {
      clock.advance(TTL);
      CountDownLatch release = source.hold();
      List<Future<AccessToken>> waiters = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        waiters.add(threads.submit(() -> keeper.token(Duration.ofMinutes(5))));
      }
      assertThat(source.entered.tryAcquire(10, TimeUnit.SECONDS)).isTrue();
      release.countDown();
      for (Future<AccessToken> waiter : waiters) {
        assertThatThrownBy(() -> waiter.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
            .cause().isInstanceOfSatisfying(ReauthenticationRequiredException.class,
                e -> assertThat(e.reason()).isEqualTo(ReauthenticationRequiredException.Reason.CREDENTIALS_REJECTED));
      }
      assertThat(listener.expiries).hasSize(1);

      // No further endpoint calls: not on demand, not after a rejection, not later.
      assertThatThrownBy(keeper::token).isInstanceOf(ReauthenticationRequiredException.class);
      keeper.invalidate(new AccessToken("access-0", "Bearer", clock.instant(), null, java.util.Set.of()));
      clock.advance(Duration.ofHours(1));
      assertThatThrownBy(() -> keeper.tokenAsync().join()).hasCauseInstanceOf(ReauthenticationRequiredException.class);
      assertThat(source.calls).hasValue(1);
      assertThat(listener.expiries).hasSize(1);

      // New credentials start a new session.
      keeper.signIn(TokenResponse.bearer("new").withExpiresIn(TTL).withRefreshToken("r-new"));
      assertThat(keeper.token().value()).isEqualTo("new");
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  void terminalFailureWhileStale_tokenInHandServedUntilItExpires() {
    source.then(invalidGrant());
    try (TokenKeeper keeper = keeper(source, clock).executor(Runnable::run).listener(listener)
        .initialTokens(initial()).build()) {
      clock.advance(STALE_AT);
      assertThat(keeper.token().value()).isEqualTo("access-0");
      assertThat(listener.expiries).hasSize(1);
      clock.advance(Duration.ofSeconds(100));
      assertThat(keeper.token().value()).isEqualTo("access-0");
      clock.advance(Duration.ofSeconds(50)); // past 595 s
      assertThatThrownBy(keeper::token).isInstanceOf(ReauthenticationRequiredException.class);
      assertThat(source.calls).hasValue(1);
    }
  }

  @Test
  void refreshTokenRejected_butAnotherProcessRotatedIt_adoptsTheStoredTokens() {
    TokenStore shared = TokenStore.inMemory();
    FakeSource otherSource = new FakeSource(TTL);
    try (TokenKeeper other = keeper(otherSource, clock).store(shared).initialTokens(initial()).build();
        TokenKeeper keeper = keeper(source, clock).store(shared).listener(listener).build()) {
      clock.advance(TTL);
      assertThat(other.token().value()).isEqualTo("access-1"); // rotated refresh-0 -> refresh-1 in the store
      source.then(invalidGrant()); // our refresh-0 was retired by the server
      assertThat(keeper.token().value()).isEqualTo("access-1");
      assertThat(source.calls).hasValue(1);
      assertThat(listener.expiries).isEmpty();
    }
  }

  @Test
  void refreshTokenRejected_storeHasNewerButExpiredTokens_retriesOnceWithTheStoredRefreshToken() {
    TokenStore shared = TokenStore.inMemory();
    FakeSource otherSource = new FakeSource(TTL);
    try (TokenKeeper other = keeper(otherSource, clock).store(shared).initialTokens(initial()).build();
        TokenKeeper keeper = keeper(source, clock).store(shared).listener(listener).build()) {
      clock.advance(TTL);
      other.token(); // store: access-1 / refresh-1
      clock.advance(TTL); // access-1 expired too
      source.then(invalidGrant());
      assertThat(keeper.token().value()).isEqualTo("access-2");
      assertThat(source.requests).extracting(TokenRequest::refreshToken)
          .containsExactly(new RefreshToken("refresh-0"), new RefreshToken("refresh-1"));
      assertThat(listener.expiries).isEmpty();
    }
  }

  @Test
  void refreshHeldPastADeadline_thatWaiterTimesOutAtItsDeadline_othersGetTheToken() throws Exception {
    try (TokenKeeper keeper = keeper(source, clock).initialTokens(initial()).build()) {
      clock.advance(TTL);
      CountDownLatch release = source.hold();
      CompletableFuture<AccessToken> impatient = keeper.tokenAsync(Duration.ofSeconds(2));
      CompletableFuture<AccessToken> patient = keeper.tokenAsync(Duration.ofSeconds(30));
      assertThat(source.entered.tryAcquire(10, TimeUnit.SECONDS)).isTrue();

      clock.advance(Duration.ofMillis(1_999));
      assertThat(impatient).isNotDone();
      clock.advance(Duration.ofMillis(1)); // the timeout is handed to the keeper's executor
      assertThat(impatient).failsWithin(Duration.ofSeconds(10)).withThrowableOfType(Exception.class)
          .withCauseInstanceOf(TokenTimeoutException.class);

      release.countDown();
      assertThat(patient.get(10, TimeUnit.SECONDS).value()).isEqualTo("access-1");
      assertThat(source.calls).hasValue(1);
    }
  }

  @Test
  void synchronousWaiterPastItsDeadline_getsTokenTimeoutException() throws Exception {
    try (TokenKeeper keeper = keeper(source, clock).initialTokens(initial()).build()) {
      clock.advance(TTL);
      CountDownLatch release = source.hold();
      AtomicReference<Throwable> thrown = new AtomicReference<>();
      Thread waiter = new Thread(() -> {
        try {
          keeper.token(Duration.ofSeconds(2));
        } catch (RuntimeException e) {
          thrown.set(e);
        }
      });
      waiter.start();
      assertThat(source.entered.tryAcquire(10, TimeUnit.SECONDS)).isTrue();
      // Wait until the waiter has registered its deadline on the test clock (next to the attempt's
      // own deadline), then reach it.
      await().atMost(Duration.ofSeconds(10)).until(() -> clock.pendingTasks().size() == 2);
      clock.advance(Duration.ofMillis(1_999));
      assertThat(thrown.get()).isNull();
      clock.advance(Duration.ofMillis(1));
      waiter.join(10_000);
      assertThat(thrown.get()).isInstanceOf(TokenTimeoutException.class)
          .hasMessageContaining("2000 ms");
      release.countDown();
    }
  }

  @Test
  void interruptedWaiter_getsTokenInterruptedException_withItsFlagRestored_othersUnaffected()
      throws Exception {
    try (TokenKeeper keeper = keeper(source, clock).initialTokens(initial()).build()) {
      clock.advance(TTL);
      CountDownLatch release = source.hold();
      AtomicReference<Throwable> thrown = new AtomicReference<>();
      AtomicBoolean flagRestored = new AtomicBoolean();
      CountDownLatch waiting = new CountDownLatch(1);
      Thread waiter = new Thread(() -> {
        try {
          waiting.countDown();
          keeper.token(Duration.ofMinutes(5));
        } catch (RuntimeException e) {
          thrown.set(e);
          flagRestored.set(Thread.currentThread().isInterrupted());
        }
      });
      waiter.start();
      CompletableFuture<AccessToken> other = keeper.tokenAsync(Duration.ofMinutes(5));
      assertThat(source.entered.tryAcquire(10, TimeUnit.SECONDS)).isTrue();
      waiting.await();
      waiter.interrupt();
      waiter.join(10_000);

      assertThat(thrown.get()).isInstanceOf(TokenInterruptedException.class);
      assertThat(flagRestored).isTrue();
      release.countDown();
      assertThat(other.get(10, TimeUnit.SECONDS).value()).isEqualTo("access-1");
      assertThat(source.calls).hasValue(1);
    }
  }

  @Test
  void rotatedRefreshToken_isSavedBeforeTheNewAccessTokenIsHandedOut() throws Exception {
    CountDownLatch saveHeld = new CountDownLatch(1);
    CountDownLatch saving = new CountDownLatch(1);
    TokenStore memory = TokenStore.inMemory();
    AtomicBoolean holdNextSave = new AtomicBoolean();
    TokenStore slowStore = new TokenStore() {
      @Override
      public StoredTokens load() {
        return memory.load();
      }

      @Override
      public boolean compareAndSet(long expectedVersion, StoredTokens replacement) {
        if (holdNextSave.getAndSet(false)) {
          saving.countDown();
          try {
            saveHeld.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        return memory.compareAndSet(expectedVersion, replacement);
      }
    };
    try (TokenKeeper keeper = keeper(source, clock).store(slowStore).initialTokens(initial()).build()) {
      clock.advance(TTL);
      holdNextSave.set(true);
      CompletableFuture<AccessToken> waiter = keeper.tokenAsync(Duration.ofMinutes(1));
      assertThat(saving.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(waiter).as("handed out before the save finished").isNotDone();
      saveHeld.countDown();
      assertThat(waiter.get(10, TimeUnit.SECONDS).value()).isEqualTo("access-1");
      assertThat(memory.load().refreshToken()).isEqualTo(new RefreshToken("refresh-1"));
    }
  }

  /**
   * Another writer stored a different refresh token (and no usable access token) between our load
   * and our write. It rotated after our base, so writing ours over it could bring back a retired
   * refresh token (the simulation's seed 604): the store keeps theirs, the keeper serves the access
   * token it just obtained and refreshes next with the store's refresh token.
   */
  @Test
  void storeWriteConflict_theOtherWritersRefreshTokenIsKept_ourAccessTokenIsServed() {
    TokenStore memory = TokenStore.inMemory();
    AtomicBoolean interfere = new AtomicBoolean();
    TokenStore racy = new TokenStore() {
      @Override
      public StoredTokens load() {
        return memory.load();
      }

      @Override
      public boolean compareAndSet(long expectedVersion, StoredTokens replacement) {
        if (interfere.getAndSet(false)) {
          StoredTokens now = memory.load();
          memory.compareAndSet(now.version(), now.next(null, new RefreshToken("foreign")));
        }
        return memory.compareAndSet(expectedVersion, replacement);
      }
    };
    try (TokenKeeper keeper = keeper(source, clock).store(racy).initialTokens(initial()).build()) {
      clock.advance(TTL);
      interfere.set(true);
      assertThat(keeper.token().value()).isEqualTo("access-1");
      assertThat(memory.load().version()).isEqualTo(2);
      assertThat(memory.load().refreshToken()).isEqualTo(new RefreshToken("foreign"));
      clock.advance(TTL);
      assertThat(keeper.token().value()).isEqualTo("access-2");
      assertThat(source.requests.get(source.requests.size() - 1).refreshToken())
          .isEqualTo(new RefreshToken("foreign"));
      assertThat(memory.load().version()).isEqualTo(3);
    }
  }

  @Test
  void storeThatThrows_tokensKeptInMemory_refreshStillSucceeds() {
    TokenStore broken = new TokenStore() {
      @Override
      public StoredTokens load() {
        return StoredTokens.EMPTY;
      }

      @Override
      public boolean compareAndSet(long expectedVersion, StoredTokens replacement) {
        throw new IllegalStateException("disk full");
      }
    };
    source.then(TokenResponse.bearer("a1").withExpiresIn(TTL).withRefreshToken("r1"));
    try (TokenKeeper keeper = keeper(source, clock).store(broken).build()) {
      assertThat(keeper.token().value()).isEqualTo("a1");
      clock.advance(TTL);
      keeper.token();
      assertThat(source.requests.get(1).refreshToken()).isEqualTo(new RefreshToken("r1"));
    }
  }

  @Test
  void sourceThatThrowsUnexpectedly_orReturnsNull_isATemporaryFailure_nothingHangs() {
    source.then(new IllegalStateException("bug in a custom source"));
    TokenSource nullSource = request -> null;
    try (TokenKeeper keeper = keeper(source, clock).executor(Runnable::run).initialTokens(initial()).build();
        TokenKeeper nulls = TokenKeeper.newBuilder(nullSource).clock(clock).scheduler(clock::schedule)
            .executor(Runnable::run).build()) {
      clock.advance(TTL);
      assertThatThrownBy(() -> keeper.token(Duration.ofMillis(500))).isInstanceOf(TokenRefreshException.class)
          .hasMessageContaining("IllegalStateException");
      assertThatThrownBy(() -> nulls.token(Duration.ofMillis(500))).isInstanceOf(TokenRefreshException.class);
      clock.advance(Duration.ofSeconds(1));
      assertThat(keeper.token().value()).isEqualTo("access-2");
    }
  }

  @Test
  void alreadyExpiredTokenFromTheServer_isATemporaryFailure() {
    String expired = Jwts.unsigned(clock.instant().minusSeconds(120), clock.instant().minusSeconds(60));
    source.then(TokenResponse.bearer(expired).withServerDate(clock.instant()));
    try (TokenKeeper keeper = keeper(source, clock).executor(Runnable::run).build()) {
      assertThatThrownBy(() -> keeper.token(Duration.ZERO)).isInstanceOf(TokenRefreshException.class)
          .hasMessageContaining("already expired");
    }
  }

  @Test
  void signInWhileARefreshIsInFlight_theNewSessionKeepsTheStoreAndTheToken() throws Exception {
    TokenStore store = TokenStore.inMemory();
    try (TokenKeeper keeper = keeper(source, clock).store(store).initialTokens(initial()).build()) {
      clock.advance(TTL);
      CountDownLatch release = source.hold();
      CompletableFuture<AccessToken> waiter = keeper.tokenAsync(Duration.ofMinutes(1));
      assertThat(source.entered.tryAcquire(10, TimeUnit.SECONDS)).isTrue();
      keeper.signIn(TokenResponse.bearer("bob").withExpiresIn(TTL).withRefreshToken("bob-refresh"));
      release.countDown(); // the old session's refresh (access-1 / refresh-1) returns now

      assertThat(waiter.get(10, TimeUnit.SECONDS).value()).isEqualTo("bob");
      assertThat(keeper.token().value()).isEqualTo("bob");
      assertThat(store.load().refreshToken()).isEqualTo(new RefreshToken("bob-refresh"));
      assertThat(store.load().accessToken().value()).isEqualTo("bob");
    }
  }

  @Test
  void signOutWhileARefreshIsInFlight_theStoreStaysEmpty() throws Exception {
    TokenStore store = TokenStore.inMemory();
    // Refreshes run on the thread that needs them, so joining that thread means the refresh is over.
    try (TokenKeeper keeper = keeper(source, clock).store(store).executor(Runnable::run)
        .initialTokens(initial()).build()) {
      clock.advance(TTL);
      CountDownLatch release = source.hold();
      Thread caller = new Thread(() -> keeper.tokenAsync(Duration.ofMinutes(1)));
      caller.start();
      assertThat(source.entered.tryAcquire(10, TimeUnit.SECONDS)).isTrue();
      keeper.signOut();
      release.countDown(); // the refresh returns access-1 / refresh-1 after the sign-out
      caller.join(10_000);
      assertThat(caller.isAlive()).isFalse();

      assertThat(store.load().isEmpty()).isTrue();
      assertThatThrownBy(keeper::token).isInstanceOf(ReauthenticationRequiredException.class);
    }
  }

  @Test
  void retryScheduledBeforeSignOut_neverRunsInTheNextSession() {
    source.then(new ConnectException("refused"));
    try (TokenKeeper keeper = keeper(source, clock).executor(Runnable::run).initialTokens(initial()).build()) {
      clock.advance(TTL);
      CompletableFuture<AccessToken> waiter = keeper.tokenAsync(Duration.ofSeconds(30)); // fails; retry in 1 s
      assertThat(source.calls).hasValue(1);
      keeper.signOut();
      assertThat(waiter).isCompletedExceptionally();
      keeper.signIn(TokenResponse.bearer("bob").withExpiresIn(TTL).withRefreshToken("bob-refresh"));
      clock.advance(Duration.ofSeconds(5)); // the old retry's timer fires
      assertThat(source.calls).hasValue(1);
      assertThat(keeper.token().value()).isEqualTo("bob");
    }
  }

  @Test
  void listenerThrowingAnError_doesNotWedgeTheKeeper() {
    source.then(new ConnectException("refused"));
    TokenListener broken = new TokenListener() {
      @Override
      public void onRefreshFailed(RefreshFailed event) {
        throw new NoClassDefFoundError("io/metrics/Counter");
      }
    };
    try (TokenKeeper keeper = keeper(source, clock).executor(Runnable::run).listener(broken)
        .initialTokens(initial()).build()) {
      clock.advance(TTL);
      assertThatThrownBy(() -> keeper.token(Duration.ZERO)).isInstanceOf(TokenRefreshException.class);
      clock.advance(Duration.ofSeconds(2));
      assertThat(keeper.token().value()).isEqualTo("access-2");
    }
  }

  @Test
  void foreverTimeouts_andHugeBackoffs_doNotOverflow() throws Exception {
    try (TokenKeeper keeper = keeper(source, clock).defaultTimeout(java.time.temporal.ChronoUnit.FOREVER.getDuration())
        .backoff(Duration.ofSeconds(1), Duration.ofMillis(Long.MAX_VALUE))
        .maxRetryAfter(java.time.temporal.ChronoUnit.FOREVER.getDuration())
        .initialTokens(initial()).build()) {
      clock.advance(TTL);
      assertThat(keeper.tokenAsync(java.time.temporal.ChronoUnit.FOREVER.getDuration()).get(10, TimeUnit.SECONDS).value())
          .isEqualTo("access-1");
      clock.advance(TTL);
      assertThat(keeper.token().value()).isEqualTo("access-2");
    }
  }

  @Test
  void initialTokens_doNotOverwriteAStoreThatHasTokens() {
    TokenStore store = TokenStore.inMemory();
    try (TokenKeeper first = keeper(source, clock).store(store).initialTokens(initial()).build()) {
      clock.advance(TTL);
      first.token(); // rotated: refresh-1 in the store
    }
    try (TokenKeeper second = keeper(source, clock).store(store).initialTokens(initial()).build()) {
      assertThat(second.token().value()).isEqualTo("access-1");
      assertThat(store.load().refreshToken()).isEqualTo(new RefreshToken("refresh-1"));
    }
  }

  @Test
  void ioExceptionMessage_isNotRepeated_onlyItsClass() {
    source.then(new IOException("secret-looking detail"));
    try (TokenKeeper keeper = keeper(source, clock).executor(Runnable::run).build()) {
      assertThatThrownBy(() -> keeper.token(Duration.ZERO)).isInstanceOf(TokenRefreshException.class)
          .hasMessageContaining("java.io.IOException").hasMessageNotContaining("secret-looking");
    }
  }
}
