package dev.tokenkeeper;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jwt.SignedJWT;
import dev.tokenkeeper.testing.Fault;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import dev.tokenkeeper.testing.TestClock;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The keeper with the OAuth 2.0 source against a real token endpoint with rotation and reuse detection. */
class KeeperAgainstScriptedServerTest {
  private static final Duration TTL = Duration.ofMinutes(5);
  private final TestClock clock = new TestClock();
  private final ScriptedTokenServer server = ScriptedTokenServer.newBuilder().clock(clock)
      .accessTokenTtl(TTL).rotateRefreshTokens(true).reuseDetection(true).build().start();
  private final ExecutorService threads = Executors.newFixedThreadPool(32);

  @AfterEach
  void stop() {
    threads.shutdownNow();
    server.close();
  }

  private OAuth2TokenEndpoint endpoint() {
    return OAuth2TokenEndpoint.newBuilder(server.uri()).clientId("test-client").clientSecret("test-secret").build();
  }

  @Test
  void hundredRefreshCycles_underConcurrency_zeroReuseDetections_zeroFailures() throws Exception {
    RecordingListener listener = new RecordingListener();
    OAuth2TokenEndpoint endpoint = endpoint();
    try (TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.refreshTokens()).clock(clock)
        .scheduler(clock::schedule).listener(listener).build()) {
      keeper.signIn(endpoint.password("alice", "wonderland".toCharArray()));
      RSASSAVerifier verifier = new RSASSAVerifier(server.publicKey());
      int failures = 0;
      for (int cycle = 1; cycle <= 100; cycle++) {
        clock.advance(TTL); // every cycle starts with an expired token
        CountDownLatch start = new CountDownLatch(1);
        List<Future<AccessToken>> calls = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
          calls.add(threads.submit(() -> {
            start.await();
            return keeper.token(Duration.ofSeconds(30));
          }));
        }
        start.countDown();
        Set<String> seen = ConcurrentHashMap.newKeySet();
        for (Future<AccessToken> call : calls) {
          try {
            seen.add(call.get(30, TimeUnit.SECONDS).value());
          } catch (Exception e) {
            failures++;
          }
        }
        assertThat(seen).as("cycle %d", cycle).hasSize(1);
        String token = seen.iterator().next();
        assertThat(SignedJWT.parse(token).verify(verifier)).isTrue();
      }
      assertThat(failures).isZero();
      assertThat(server.reuseDetections()).isZero();
      assertThat(server.tokenRequests("password")).isEqualTo(1);
      assertThat(server.tokenRequests("refresh_token")).isEqualTo(100);
      // The last event reaches the listener just after its callers were released.
      org.awaitility.Awaitility.await().untilAsserted(() -> assertThat(listener.refreshes).hasSize(100));
      assertThat(listener.failures).isEmpty();
      assertThat(listener.expiries).isEmpty();
    }
  }

  @Test
  void transientServerFaults_whileTokenValid_noCallerFails_andTheNextAttemptSucceeds() throws Exception {
    OAuth2TokenEndpoint endpoint = endpoint();
    RecordingListener listener = new RecordingListener();
    try (TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.clientCredentials()).clock(clock)
        .scheduler(clock::schedule).executor(Runnable::run).jitter(0).listener(listener).build()) {
      AccessToken first = keeper.token();
      server.enqueue(Fault.retryAfter(503, Duration.ofSeconds(10)), Fault.html(502), Fault.dropConnection());
      clock.advance(Duration.ofMinutes(4)); // stale
      assertThat(keeper.token()).isEqualTo(first); // 503 Retry-After 10 s
      clock.advance(Duration.ofSeconds(10));
      assertThat(keeper.token()).isEqualTo(first); // HTML 502: backoff 2 s
      clock.advance(Duration.ofSeconds(2));
      assertThat(keeper.token()).isEqualTo(first); // dropped: backoff 4 s
      clock.advance(Duration.ofSeconds(4));
      assertThat(keeper.token()).isEqualTo(first); // the stale caller is served; the refresh succeeds
      assertThat(keeper.token()).isNotEqualTo(first);
      assertThat(server.tokenRequests()).isEqualTo(5);
      assertThat(listener.failures).extracting(e -> e.retryIn().toMillis()).containsExactly(10_000L, 2_000L, 4_000L);
    }
  }

  @Test
  void sessionFamilyRevokedByReuse_keeperEndsTheSession_onceAndForAll() throws Exception {
    OAuth2TokenEndpoint endpoint = endpoint();
    RecordingListener listener = new RecordingListener();
    String stolen = server.issueLogin("alice");
    try (TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.refreshTokens()).clock(clock)
        .scheduler(clock::schedule).listener(listener)
        .initialTokens(TokenResponse.bearer(server.mintAccessToken("alice", TTL)).withRefreshToken(stolen)).build()) {
      // An attacker uses the refresh token first: the server rotates it away from us...
      endpoint.refreshTokens().fetch(new TokenRequest(new RefreshToken(stolen), TokenRequest.Reason.EXPIRED));
      clock.advance(TTL);
      // ...so our refresh is a reuse: the family is revoked and the session is over.
      org.assertj.core.api.Assertions.assertThatThrownBy(keeper::token)
          .isInstanceOf(ReauthenticationRequiredException.class);
      org.assertj.core.api.Assertions.assertThatThrownBy(keeper::token)
          .isInstanceOf(ReauthenticationRequiredException.class);
      assertThat(server.reuseDetections()).isEqualTo(1);
      assertThat(server.tokenRequests("refresh_token")).isEqualTo(2);
      // The listener hears it after the waiters were released, on the refresh thread.
      org.awaitility.Awaitility.await().untilAsserted(() -> assertThat(listener.expiries).hasSize(1));
    }
  }
}
