package dev.tokenkeeper;

import static dev.tokenkeeper.KeeperTestSupport.TTL;
import static dev.tokenkeeper.KeeperTestSupport.initial;
import static dev.tokenkeeper.KeeperTestSupport.keeper;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.testing.Fault;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import dev.tokenkeeper.testing.TestClock;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A service never ends up permanently dead, and callers learn quickly when the endpoint is back. */
class ServiceRecoveryTest {
  private final TestClock clock = new TestClock();
  private final RecordingListener listener = new RecordingListener();
  private final ScriptedTokenServer server = ScriptedTokenServer.newBuilder().build().start();

  @AfterEach
  void stop() {
    server.close();
  }

  private TokenKeeper.Builder serviceKeeper() {
    OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(server.uri())
        .clientId("test-client").clientSecret("test-secret").build();
    return TokenKeeper.newBuilder(endpoint.clientCredentials()).clock(clock).scheduler(clock::schedule)
        .executor(Runnable::run).jitter(0).random(() -> 0L).listener(listener);
  }

  @Test
  void invalidClientThreeTimes_thenAccepted_serviceRecoversByItself_noSessionEnds() {
    server.enqueue(Fault.invalidClient(), Fault.invalidClient(), Fault.invalidClient());
    try (TokenKeeper keeper = serviceKeeper().build()) {
      assertThatThrownBy(() -> keeper.token(Duration.ofSeconds(5)))
          .isInstanceOfSatisfying(CredentialsRejectedException.class, e -> {
            assertThat(e.failure()).isEqualTo(TokenFailure.CREDENTIALS_REJECTED);
            assertThat(e.retryAfter()).contains(Duration.ofSeconds(30));
            assertThat(e).hasMessageContaining("refused the client credentials").hasMessageNotContaining("test-secret");
          });
      // No endpoint call during the long backoff, however often the application asks.
      assertThatThrownBy(() -> keeper.token(Duration.ofSeconds(5))).isInstanceOf(CredentialsRejectedException.class);
      assertThat(server.tokenRequests()).isEqualTo(1);

      clock.advance(Duration.ofSeconds(30)); // 2nd refusal, next in 60 s
      assertThatThrownBy(() -> keeper.token(Duration.ofSeconds(5))).isInstanceOf(CredentialsRejectedException.class);
      clock.advance(Duration.ofSeconds(60)); // 3rd refusal, next in 120 s
      assertThatThrownBy(() -> keeper.token(Duration.ofSeconds(5))).isInstanceOf(CredentialsRejectedException.class);
      clock.advance(Duration.ofSeconds(120)); // the registration was fixed: accepted
      assertThat(keeper.token(Duration.ofSeconds(5)).value()).isNotEmpty();

      assertThat(server.tokenRequests()).isEqualTo(4);
      assertThat(listener.expiries).isEmpty();
      assertThat(listener.failures).extracting(TokenListener.RefreshFailed::reason)
          .containsExactly(TokenFailure.CREDENTIALS_REJECTED, TokenFailure.CREDENTIALS_REJECTED,
              TokenFailure.CREDENTIALS_REJECTED);
      assertThat(listener.failures).extracting(e -> e.retryIn().toSeconds()).containsExactly(30L, 60L, 120L);
      assertThat(listener.refreshes).hasSize(1);
    }
  }

  @Test
  void html400FromAGateway_isTemporary_thenOk_recovers() {
    server.enqueue(Fault.html(400));
    try (TokenKeeper keeper = serviceKeeper().build()) {
      assertThatThrownBy(() -> keeper.token(Duration.ZERO))
          .isInstanceOfSatisfying(TokenRefreshException.class,
              e -> assertThat(e.failure()).isEqualTo(TokenFailure.ENDPOINT_FAILING));
      clock.advance(Duration.ofSeconds(1));
      assertThat(keeper.token(Duration.ofSeconds(5)).value()).isNotEmpty();
      assertThat(server.tokenRequests()).isEqualTo(2);
      assertThat(listener.expiries).isEmpty();
    }
  }

  @Test
  void userRefreshTokenRefused_isTerminal_listenerOnce_noFurtherCalls() throws Exception {
    OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(server.uri())
        .clientId("test-client").clientSecret("test-secret").build();
    try (TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.refreshTokens()).clock(clock)
        .scheduler(clock::schedule).executor(Runnable::run).listener(listener)
        .initialTokens(TokenResponse.bearer("opaque").withExpiresIn(Duration.ofMinutes(5))
            .withRefreshToken("not-issued-here")).build()) {
      clock.advance(Duration.ofMinutes(5));
      assertThatThrownBy(keeper::token).isInstanceOfSatisfying(ReauthenticationRequiredException.class,
          e -> assertThat(e.failure()).isEqualTo(TokenFailure.REAUTHENTICATION_REQUIRED));
      clock.advance(Duration.ofHours(1));
      assertThatThrownBy(keeper::token).isInstanceOf(ReauthenticationRequiredException.class);
      assertThat(server.tokenRequests()).isEqualTo(1);
      assertThat(listener.expiries).hasSize(1);
    }
  }

  @Test
  void markedFunctionSource_refusalIsRetried_notTheEndOfASession() {
    FakeSource fake = new FakeSource(TTL);
    fake.then(TokenEndpointException.rejected(401, null, "token endpoint answered HTTP 401"));
    TokenSource apiKeyLogin = TokenSource.usingConfiguredCredentials(fake);
    try (TokenKeeper keeper = TokenKeeper.newBuilder(apiKeyLogin).clock(clock).scheduler(clock::schedule)
        .executor(Runnable::run).jitter(0).random(() -> 0L).listener(listener)
        .credentialsRejectedBackoff(Duration.ofSeconds(10), Duration.ofMinutes(1)).build()) {
      assertThatThrownBy(() -> keeper.token(Duration.ofSeconds(1))).isInstanceOf(CredentialsRejectedException.class);
      clock.advance(Duration.ofSeconds(10));
      assertThat(keeper.token(Duration.ofSeconds(1)).value()).isEqualTo("access-2");
      assertThat(listener.expiries).isEmpty();
    }
  }

  @Test
  void outageOfThreeSeconds_withCallersWaiting_firstIsAnsweredWithin1500msOfTheReturn() throws Exception {
    Instant start = clock.instant();
    Instant back = start.plusSeconds(3);
    FakeSource fake = new FakeSource(TTL);
    TokenSource source = request -> {
      if (clock.instant().isBefore(back)) {
        fake.calls.incrementAndGet();
        throw new java.net.ConnectException("Connection refused");
      }
      return fake.fetch(request);
    };
    try (TokenKeeper keeper = TokenKeeper.newBuilder(source).clock(clock).scheduler(clock::schedule)
        .executor(Runnable::run).random(() -> -1L).listener(listener).build()) {
      CompletableFuture<AccessToken> waiter = keeper.tokenAsync(Duration.ofSeconds(30));
      while (!waiter.isDone()) {
        clock.advance(Duration.ofMillis(10));
      }
      Duration answeredAfterReturn = Duration.between(back, clock.instant());
      assertThat(waiter.get(1, TimeUnit.SECONDS).value()).startsWith("access-");
      assertThat(answeredAfterReturn).isLessThanOrEqualTo(Duration.ofMillis(1_500));
      // Still about one call per second from this keeper while the endpoint was down.
      assertThat(fake.calls.get()).isBetween(4, 5);
    }
  }

  @Test
  void outage_withNoCallerWaiting_backsOffExponentially() {
    FakeSource fake = new FakeSource(TTL);
    fake.then(new IOException("down")).then(new IOException("down")).then(new IOException("down"));
    try (TokenKeeper keeper = keeper(fake, clock).executor(Runnable::run).listener(listener)
        .initialTokens(initial()).build()) {
      clock.advance(Duration.ofMinutes(8)); // stale, still valid: nobody waits
      keeper.token();
      clock.advance(Duration.ofSeconds(1));
      keeper.token();
      clock.advance(Duration.ofSeconds(2));
      keeper.token();
      assertThat(listener.failures).extracting(e -> e.retryIn().toMillis()).containsExactly(1_000L, 2_000L, 4_000L);
    }
  }

  @Test
  void retryAfterAsAnHttpDate_withoutADateHeader_isMeasuredOnTheKeepersClock() {
    // The test clock is far from the system clock: measured on the system clock, this date would
    // mean "retry now" or "retry in years".
    clock.set(Instant.parse("2031-05-01T10:00:00Z"));
    FakeSource fake = new FakeSource(TTL);
    // The refresh below fails 8 min from now; the server says: retry 20 s after that.
    fake.then(TokenEndpointException.unavailableUntil(503, null,
        clock.instant().plus(Duration.ofMinutes(8)).plusSeconds(20), "token endpoint answered HTTP 503"));
    try (TokenKeeper keeper = keeper(fake, clock).executor(Runnable::run).listener(listener)
        .initialTokens(initial()).build()) {
      clock.advance(Duration.ofMinutes(8));
      keeper.token();
      assertThat(listener.failures.get(0).retryIn()).isEqualTo(Duration.ofSeconds(20));
      clock.advance(Duration.ofMillis(19_999));
      keeper.token();
      assertThat(fake.calls).hasValue(1);
      clock.advance(Duration.ofMillis(1));
      keeper.token();
      assertThat(fake.calls).hasValue(2);
    }
  }

  @Test
  void listenerThatAsksForATokenInsideOnRefreshFailed_neverStallsCallers() throws Exception {
    FakeSource fake = new FakeSource(TTL);
    fake.then(new IOException("down"));
    AtomicReference<AccessToken> fromListener = new AtomicReference<>();
    AtomicReference<TokenKeeper> self = new AtomicReference<>();
    TokenListener callsBack = new TokenListener() {
      @Override
      public void onRefreshFailed(RefreshFailed event) {
        // Before: this waited for the very refresh that was notifying it, and so did every caller.
        fromListener.set(self.get().token(Duration.ofSeconds(30)));
      }
    };
    try (TokenKeeper keeper = TokenKeeper.newBuilder(fake).listener(callsBack)
        .backoff(Duration.ofMillis(50), Duration.ofMillis(50)).waitingRetryInterval(Duration.ofMillis(50))
        .build()) {
      self.set(keeper);
      CompletableFuture<AccessToken> caller = keeper.tokenAsync(Duration.ofSeconds(30));
      assertThat(caller.get(10, TimeUnit.SECONDS).value()).isEqualTo("access-2");
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(fromListener.get().value()).isEqualTo("access-2"));
      assertThat(fake.calls).hasValue(2);
    }
  }

  @Test
  void expiresInNegativeOrNotANumber_isAMalformedAnswer_notAnEternalToken() {
    for (String body : new String[] {"{\"access_token\":\"a\",\"expires_in\":-30}",
        "{\"access_token\":\"a\",\"expires_in\":\"soon\"}"}) {
      server.enqueue(Fault.json(200, body));
    }
    try (TokenKeeper keeper = serviceKeeper().build()) {
      assertThatThrownBy(() -> keeper.token(Duration.ZERO)).isInstanceOf(TokenRefreshException.class)
          .hasMessageContaining("expires_in").hasMessageContaining("negative");
      clock.advance(Duration.ofSeconds(1));
      assertThatThrownBy(() -> keeper.token(Duration.ZERO)).isInstanceOf(TokenRefreshException.class)
          .hasMessageContaining("not a number of seconds");
      assertThat(listener.refreshes).isEmpty();
    }
  }
}
