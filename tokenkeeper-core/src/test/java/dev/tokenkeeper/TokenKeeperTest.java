package dev.tokenkeeper;

import static dev.tokenkeeper.KeeperTestSupport.TTL;
import static dev.tokenkeeper.KeeperTestSupport.initial;
import static dev.tokenkeeper.KeeperTestSupport.keeper;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.testing.TestClock;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Freshness, invalidation, sign-in/out and lifecycle of one keeper; see the sibling tests for failures. */
class TokenKeeperTest {
  private final TestClock clock = new TestClock();
  private final FakeSource source = new FakeSource(TTL);
  private final RecordingListener listener = new RecordingListener();

  @Test
  void freshToken_servedFromCache_noEndpointCall() {
    try (TokenKeeper keeper = keeper(source, clock).initialTokens(initial()).build()) {
      clock.advance(Duration.ofMinutes(7)); // stale only after 7.5 min - 5 s of a 10 min token
      assertThat(keeper.token().value()).isEqualTo("access-0");
      assertThat(keeper.token(Duration.ZERO).value()).isEqualTo("access-0");
      assertThat(source.calls).hasValue(0);
    }
  }

  @Test
  void noTokenYet_firstCallFetchesOnce() {
    try (TokenKeeper keeper = keeper(source, clock).build()) {
      assertThat(keeper.token().value()).isEqualTo("access-1");
      assertThat(keeper.token().value()).isEqualTo("access-1");
      assertThat(source.calls).hasValue(1);
      assertThat(source.requests.get(0).reason()).isEqualTo(TokenRequest.Reason.INITIAL);
      assertThat(source.requests.get(0).refreshToken()).isNull();
    }
  }

  @Test
  void staleWindow_callersGetCurrentTokenWithoutWaiting_whileExactlyOneBackgroundRefreshRuns()
      throws Exception {
    try (TokenKeeper keeper = keeper(source, clock).listener(listener).initialTokens(initial()).build()) {
      clock.advance(Duration.ofMinutes(8)); // stale: 2 min left of 10
      CompletableFutureHolder release = new CompletableFutureHolder(source.hold());
      for (int i = 0; i < 200; i++) {
        // A zero timeout would fail at once if the caller had to wait.
        assertThat(keeper.token(Duration.ZERO).value()).isEqualTo("access-0");
      }
      assertThat(source.entered.tryAcquire(10, TimeUnit.SECONDS)).isTrue();
      assertThat(source.calls).hasValue(1);
      assertThat(source.requests.get(0).reason()).isEqualTo(TokenRequest.Reason.PROACTIVE);

      release.latch.countDown();
      assertThat(listener.refreshed.tryAcquire(10, TimeUnit.SECONDS)).isTrue();
      assertThat(keeper.token(Duration.ZERO).value()).isEqualTo("access-1");
      assertThat(source.calls).hasValue(1);
    }
  }

  @Test
  void twoMinuteToken_isNotPermanentlyStale() {
    source.ttl(Duration.ofMinutes(2));
    try (TokenKeeper keeper = keeper(source, clock)
        .initialTokens(TokenResponse.bearer("access-0").withExpiresIn(Duration.ofMinutes(2)))
        .executor(Runnable::run).build()) {
      // 25 % of 2 min = 30 s ahead, leeway 5 s: fresh until 85 s.
      clock.advance(Duration.ofSeconds(84));
      keeper.token();
      assertThat(source.calls).hasValue(0);
      clock.advance(Duration.ofSeconds(1));
      keeper.token();
      assertThat(source.calls).hasValue(1);
    }
  }

  @Test
  void refreshAheadJitter_spreadsTheStaleMoment() {
    // random() returning the largest double moves the refresh up to 20 % of the window earlier.
    try (TokenKeeper keeper = TokenKeeper.newBuilder(source).clock(clock).scheduler(clock::schedule)
        .executor(Runnable::run).random(() -> -1L).initialTokens(initial()).build()) {
      // Without jitter the token turns stale at 445 s (window 150 s); 20 % of the window is 30 s.
      clock.advance(Duration.ofSeconds(414));
      keeper.token();
      assertThat(source.calls).hasValue(0);
      clock.advance(Duration.ofSeconds(2));
      keeper.token();
      assertThat(source.calls).hasValue(1);
    }
  }

  @Test
  void lateRejection_ofAnOldTokenAfterARefresh_makesNoExtraCall() {
    try (TokenKeeper keeper = keeper(source, clock).initialTokens(initial()).build()) {
      AccessToken old = keeper.token();
      clock.advance(TTL);
      AccessToken fresh = keeper.token();
      assertThat(source.calls).hasValue(1);

      assertThat(keeper.invalidate(old)).isFalse();
      assertThat(keeper.token()).isEqualTo(fresh);
      assertThat(source.calls).hasValue(1);
    }
  }

  @Test
  void rejectionOfTheCurrentToken_refreshesExactlyOnce_evenWhenReportedManyTimes() {
    try (TokenKeeper keeper = keeper(source, clock).initialTokens(initial()).build()) {
      AccessToken rejected = keeper.token();
      CountDownHolder release = new CountDownHolder(source.hold());
      for (int i = 0; i < 50; i++) {
        assertThat(keeper.invalidate(rejected)).isTrue();
      }
      release.release();
      assertThat(keeper.token().value()).isEqualTo("access-1");
      assertThat(source.calls).hasValue(1);
      assertThat(source.requests.get(0).reason()).isEqualTo(TokenRequest.Reason.REJECTED);
    }
  }

  @Test
  void unknownExpiry_usedUntilRejected() {
    try (TokenKeeper keeper = keeper(source, clock)
        .initialTokens(TokenResponse.bearer("opaque").withRefreshToken("refresh-0")).build()) {
      clock.advance(Duration.ofDays(3650));
      AccessToken token = keeper.token();
      assertThat(token.value()).isEqualTo("opaque");
      assertThat(token.hasKnownExpiry()).isFalse();
      assertThat(source.calls).hasValue(0);

      keeper.invalidate(token);
      assertThat(keeper.token().value()).isEqualTo("access-1");
      assertThat(source.calls).hasValue(1);
    }
  }

  @Test
  void tokenAsync_neverBlocks_andCompletesWhenTheRefreshIsReleased() throws Exception {
    try (TokenKeeper keeper = keeper(source, clock).initialTokens(initial()).build()) {
      clock.advance(TTL);
      CountDownHolder release = new CountDownHolder(source.hold());
      CompletableFuture<AccessToken> first = keeper.tokenAsync();
      CompletableFuture<AccessToken> second = keeper.tokenAsync(Duration.ofMinutes(1));
      assertThat(first).isNotDone();
      assertThat(second).isNotDone();
      release.release();
      assertThat(first.get(10, TimeUnit.SECONDS).value()).isEqualTo("access-1");
      assertThat(second.get(10, TimeUnit.SECONDS).value()).isEqualTo("access-1");
      assertThat(source.calls).hasValue(1);
    }
  }

  @Test
  void rotatedRefreshToken_isSentOnTheNextRefresh_andSavedToTheStore() {
    TokenStore store = TokenStore.inMemory();
    try (TokenKeeper keeper = keeper(source, clock).store(store).initialTokens(initial()).build()) {
      clock.advance(TTL);
      keeper.token();
      clock.advance(TTL);
      keeper.token();
      assertThat(source.requests).extracting(TokenRequest::refreshToken)
          .containsExactly(new RefreshToken("refresh-0"), new RefreshToken("refresh-1"));
      StoredTokens stored = store.load();
      assertThat(stored.refreshToken()).isEqualTo(new RefreshToken("refresh-2"));
      assertThat(stored.accessToken().value()).isEqualTo("access-2");
      assertThat(stored.version()).isEqualTo(3);
    }
  }

  @Test
  void responseWithoutRefreshToken_keepsTheOldOne() {
    source.then(TokenResponse.bearer("access-x").withExpiresIn(TTL));
    try (TokenKeeper keeper = keeper(source, clock).initialTokens(initial()).build()) {
      clock.advance(TTL);
      assertThat(keeper.token().value()).isEqualTo("access-x");
      clock.advance(TTL);
      keeper.token();
      assertThat(source.requests.get(1).refreshToken()).isEqualTo(new RefreshToken("refresh-0"));
    }
  }

  @Test
  void existingStore_isLoadedAtBuild() {
    TokenStore store = TokenStore.inMemory();
    try (TokenKeeper first = keeper(source, clock).store(store).initialTokens(initial()).build()) {
      first.token();
    }
    try (TokenKeeper second = keeper(source, clock).store(store).build()) {
      assertThat(second.token().value()).isEqualTo("access-0");
      assertThat(source.calls).hasValue(0);
    }
  }

  @Test
  void signOut_clearsStore_revokesRefreshToken_andFailsCallers() throws Exception {
    TokenStore store = TokenStore.inMemory();
    java.util.List<RefreshToken> revoked = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (TokenKeeper keeper = keeper(source, clock).store(store).revoker(revoked::add)
        .initialTokens(initial()).build()) {
      keeper.signOut().get(10, TimeUnit.SECONDS);
      assertThat(revoked).containsExactly(new RefreshToken("refresh-0"));
      assertThat(store.load().isEmpty()).isTrue();
      assertThatThrownBy(keeper::token).isInstanceOfSatisfying(ReauthenticationRequiredException.class,
          e -> assertThat(e.reason()).isEqualTo(ReauthenticationRequiredException.Reason.SIGNED_OUT));
      assertThat(source.calls).hasValue(0);

      keeper.signIn(TokenResponse.bearer("again").withExpiresIn(TTL));
      assertThat(keeper.token().value()).isEqualTo("again");
    }
  }

  @Test
  void signOut_whileARefreshIsInFlight_failsItsWaitersAndDiscardsItsResult() throws Exception {
    TokenStore store = TokenStore.inMemory();
    try (TokenKeeper keeper = keeper(source, clock).store(store).initialTokens(initial()).build()) {
      clock.advance(TTL);
      CountDownHolder release = new CountDownHolder(source.hold());
      CompletableFuture<AccessToken> waiter = keeper.tokenAsync();
      assertThat(source.entered.tryAcquire(10, TimeUnit.SECONDS)).isTrue();
      keeper.signOut();
      assertThat(waiter).failsWithin(Duration.ofSeconds(10)).withThrowableOfType(Exception.class)
          .withCauseInstanceOf(ReauthenticationRequiredException.class);
      release.release();
      assertThatThrownBy(keeper::token).isInstanceOf(ReauthenticationRequiredException.class);
    }
  }

  @Test
  void signIn_withALoginSource_startsASession() {
    TokenSource login = request -> TokenResponse.bearer("logged-in").withExpiresIn(TTL).withRefreshToken("r1");
    try (TokenKeeper keeper = keeper(source, clock).build()) {
      assertThat(keeper.signIn(login).value()).isEqualTo("logged-in");
      clock.advance(TTL);
      keeper.token();
      assertThat(source.requests.get(0).refreshToken()).isEqualTo(new RefreshToken("r1"));
    }
  }

  @Test
  void signIn_refusedLogin_throwsReauthenticationRequired() {
    TokenSource login = request -> {
      throw TokenEndpointException.rejected(401, "invalid_grant", "bad password");
    };
    try (TokenKeeper keeper = keeper(source, clock).build()) {
      assertThatThrownBy(() -> keeper.signIn(login)).isInstanceOf(ReauthenticationRequiredException.class);
      TokenSource down = request -> {
        throw new IOException("connection refused");
      };
      assertThatThrownBy(() -> keeper.signIn(down)).isInstanceOf(TokenRefreshException.class);
    }
  }

  @Test
  void close_failsWaiters_rejectsCalls_andLeavesNoThreads() throws Exception {
    TokenKeeper keeper = TokenKeeper.newBuilder(source).name("leakcheck").clock(clock)
        .initialTokens(initial()).build();
    clock.advance(TTL);
    CountDownHolder release = new CountDownHolder(source.hold());
    CompletableFuture<AccessToken> waiter = keeper.tokenAsync();
    assertThat(source.entered.tryAcquire(10, TimeUnit.SECONDS)).isTrue();
    // The refresh worker (held in the source) and the waiter's deadline timer exist now.
    List<Thread> owned = Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith("tokenkeeper-leakcheck-")).collect(Collectors.toList());
    assertThat(owned).as("the keeper's own threads, before close").extracting(Thread::getName)
        .anyMatch(n -> n.contains("-refresh-")).anyMatch(n -> n.contains("-timer-"));
    keeper.close();
    assertThat(waiter).failsWithin(Duration.ofSeconds(10)).withThrowableOfType(Exception.class)
        .withCauseInstanceOf(TokenKeeperClosedException.class);
    assertThatThrownBy(keeper::token).isInstanceOfSatisfying(TokenKeeperClosedException.class,
        e -> assertThat(e.failure()).isEqualTo(TokenFailure.KEEPER_CLOSED)).hasMessageContaining("closed");
    release.release();
    keeper.close(); // idempotent

    for (Thread t : owned) {
      t.join(10_000);
      assertThat(t.isAlive()).as(t.getName()).isFalse();
    }
    assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName)
        .noneMatch(n -> n.startsWith("tokenkeeper-leakcheck-"));
  }

  @Test
  void serverClockTwoMinutesAhead_expiryIsCorrected_andSkewReported() {
    Instant serverNow = clock.instant().plusSeconds(120);
    String jwt = Jwts.unsigned(serverNow, serverNow.plusSeconds(600));
    source.then(TokenResponse.bearer(jwt).withServerDate(serverNow));
    try (TokenKeeper keeper = keeper(source, clock).build()) {
      assertThat(keeper.clockSkew()).isNull();
      AccessToken token = keeper.token();
      assertThat(keeper.clockSkew()).isEqualTo(Duration.ofSeconds(120));
      // exp is 12 min away on our clock, but the token lives 10 min: skew corrected.
      assertThat(token.expiresAt()).isEqualTo(clock.instant().plusSeconds(600));
    }
  }

  @Test
  void builder_rejectsBadValues_withMessagesThatSayWhatIsWrong() {
    TokenKeeper.Builder b = TokenKeeper.newBuilder(source);
    assertThatThrownBy(() -> b.refreshAhead(1.5, Duration.ofMinutes(1))).hasMessageContaining("(0, 1)");
    assertThatThrownBy(() -> b.jitter(-0.1)).hasMessageContaining("[0, 1]");
    assertThatThrownBy(() -> b.leeway(Duration.ofSeconds(-1))).hasMessageContaining("negative");
    assertThatThrownBy(() -> b.backoff(Duration.ofSeconds(5), Duration.ofSeconds(1)))
        .hasMessageContaining("shorter");
    assertThatThrownBy(() -> b.name(" ")).hasMessageContaining("blank");
    assertThatThrownBy(() -> TokenKeeper.newBuilder(null)).isInstanceOf(NullPointerException.class);
  }

  /** Releases a held source. */
  static final class CountDownHolder {
    final java.util.concurrent.CountDownLatch latch;

    CountDownHolder(java.util.concurrent.CountDownLatch latch) {
      this.latch = latch;
    }

    void release() {
      latch.countDown();
    }
  }

  private static final class CompletableFutureHolder {
    final java.util.concurrent.CountDownLatch latch;

    CompletableFutureHolder(java.util.concurrent.CountDownLatch latch) {
      this.latch = latch;
    }
  }
}
