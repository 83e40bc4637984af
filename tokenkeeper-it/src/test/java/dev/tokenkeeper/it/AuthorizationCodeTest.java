package dev.tokenkeeper.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tokenkeeper.OAuth2TokenEndpoint;
import dev.tokenkeeper.ReauthenticationRequiredException;
import dev.tokenkeeper.TokenHttpClient;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenPolicy;
import dev.tokenkeeper.TokenRequest;
import dev.tokenkeeper.TokenResponse;
import dev.tokenkeeper.okhttp.TokenInterceptor;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;

/**
 * A user session against Spring Authorization Server: the user signs in with its login form and
 * the authorization endpoint hands the app a code (PKCE), the code is exchanged for the first
 * tokens, and then a {@code refresh_token} keeper serves 20 concurrent workers (both adapters)
 * over at least ten refresh-token rotations. Spring retires a refresh token as soon as it has
 * been used ({@code reuse-refresh-tokens: false}): two refreshes racing with the same refresh
 * token, or a refresh with a token the keeper had already replaced, would get {@code invalid_grant}
 * and end the session.
 */
class AuthorizationCodeTest extends AgainstSpringAuthorizationServer {
  /** Every 50 ms, each worker sends one request: up to 20 requests a second per worker. */
  private static final Duration ROUND = Duration.ofMillis(50);
  private static final int WORKERS = 20;
  private static final int ROTATIONS = 10;

  @Test
  void formLoginThenTenRotationsUnderConcurrency_noInvalidGrant_thenStaleRefreshTokenRequiresReauthentication()
      throws Exception {
    BrowserLogin browser = new BrowserLogin(server.origin());
    browser.signIn(AuthorizationServerApplication.USERNAME, AuthorizationServerApplication.PASSWORD);
    BrowserLogin.Authorization authorization = browser.authorize(SpringAuthorizationServer.APP_ID,
        SpringAuthorizationServer.REDIRECT_URI, SpringAuthorizationServer.APP_SCOPE);

    OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(server.tokenEndpoint())
        .clientId(SpringAuthorizationServer.APP_ID)
        .clientSecret(SpringAuthorizationServer.APP_SECRET)
        .build();
    RecordingSource codeExchange = new RecordingSource(endpoint.grant("authorization_code", Map.of(
        "code", authorization.code(),
        "redirect_uri", SpringAuthorizationServer.REDIRECT_URI,
        "code_verifier", authorization.codeVerifier())));
    RecordingSource refreshes = new RecordingSource(endpoint.refreshTokens());
    CountingListener listener = new CountingListener();
    Workers workers;
    long started;
    try (TokenKeeper keeper = TokenKeeper.newBuilder(refreshes).name("alice").listener(listener).build()) {
      keeper.signIn(codeExchange);
      started = System.nanoTime();
      TokenPolicy policy = TokenPolicy.of(server.origin(), keeper);
      HttpClient jdk = TokenHttpClient.wrap(HttpClient.newHttpClient(), policy);
      OkHttpClient okHttp = TokenInterceptor.install(new OkHttpClient.Builder(), policy).build();

      workers = Workers.start("authorization-code",
          ApiCalls.alternating(WORKERS, jdk, okHttp, server.api(), AuthorizationServerApplication.USERNAME), ROUND);
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
          .until(() -> listener.rotated.sum() >= ROTATIONS || workers.failures() > 0 || !listener.failures.isEmpty());
      workers.stop(Duration.ofSeconds(30));
      await().atMost(Duration.ofSeconds(15)).until(refreshes::idle);
      // Each refresh's event reaches the listener just after the callers it served were released.
      await().atMost(Duration.ofSeconds(15)).until(() -> listener.rotated.sum() >= refreshes.calls().size());
      okHttp.dispatcher().executorService().shutdown();
      okHttp.connectionPool().evictAll();
    }
    double runSeconds = (System.nanoTime() - started) / 1e9;
    List<RecordingSource.Call> calls = refreshes.calls();
    TokenResponse first = codeExchange.calls().get(0).response();
    List<String> refreshTokens = calls.stream()
        .map(c -> c.response() == null ? null : c.response().refreshToken())
        .toList();
    System.out.printf("authorization_code: %d workers; requests %d, failures %d, API 401 (late, retried) %d; run %.1f s;"
            + " refresh calls %d (server %d, 200: %d), rotations %d, distinct refresh tokens %d,"
            + " invalid_grant %d; tokens accepted %d (JDK %d, OkHttp %d)%n",
        WORKERS, workers.requests(), workers.failures(), ledger.apiAnswers(401), runSeconds, calls.size(),
        ledger.tokenCalls("refresh_token"), ledger.tokenCalls("refresh_token", 200), listener.rotated.sum(),
        refreshTokens.stream().filter(Objects::nonNull).distinct().count(), ledger.tokenErrors("invalid_grant"),
        ledger.acceptedTokens(), ledger.acceptedTokens("Java-http-client"), ledger.acceptedTokens("okhttp"));

    // The login: one code exchange, which gave the first refresh token.
    assertThat(ledger.tokenCalls("authorization_code", 200)).isEqualTo(ledger.tokenCalls("authorization_code"))
        .isEqualTo(1);
    assertThat(first.refreshToken()).isNotNull();

    // 0 failures, 0 invalid_grant, at least ten rotations: each refresh used the refresh token the
    // previous one returned, exactly once, and got a new one.
    assertThat(workers.firstFailures()).isEmpty();
    assertThat(workers.failures()).isZero();
    assertThat(ledger.apiAnswers(200)).isEqualTo(workers.requests());
    assertThat(ledger.apiAnswers()).isEqualTo(workers.requests() + ledger.apiAnswers(401));
    assertThat(listener.failures).isEmpty();
    assertThat(ledger.tokenErrors("invalid_grant")).isZero();
    assertThat(listener.rotated.sum()).isGreaterThanOrEqualTo(ROTATIONS).isEqualTo(calls.size());
    assertThat(ledger.tokenCalls("refresh_token", 200)).isEqualTo(ledger.tokenCalls("refresh_token"))
        .isEqualTo(calls.size());
    assertThat(refreshTokens).doesNotContainNull().doesNotHaveDuplicates().doesNotContain(first.refreshToken());
    for (int i = 0; i < calls.size(); i++) { // each refresh sent the refresh token the one before it received
      assertThat(calls.get(i).refreshTokenSent()).isEqualTo(i == 0 ? first.refreshToken() : refreshTokens.get(i - 1));
    }
    // Refreshed ahead of expiry (a stalled machine may start one at expiry: see ClientCredentialsTest),
    // never because of a 401.
    List<TokenRequest.Reason> reasons = calls.stream().map(RecordingSource.Call::reason).toList();
    assertThat(reasons).isSubsetOf(TokenRequest.Reason.PROACTIVE, TokenRequest.Reason.EXPIRED);
    assertThat(reasons.stream().filter(r -> r == TokenRequest.Reason.PROACTIVE).count())
        .isGreaterThanOrEqualTo((long) Math.ceil(0.9 * reasons.size()));
    assertThat(ledger.acceptedTokens("Java-http-client")).isGreaterThanOrEqualTo(ROTATIONS);
    assertThat(ledger.acceptedTokens("okhttp")).isGreaterThanOrEqualTo(ROTATIONS);

    // Another keeper holding a refresh token that has been rotated away (the code exchange's, and
    // the one the last refresh retired) cannot refresh: the session is over for it.
    for (String stale : List.of(first.refreshToken(), refreshTokens.get(refreshTokens.size() - 2))) {
      try (TokenKeeper staleKeeper = TokenKeeper.newBuilder(endpoint.refreshTokens()).name("stale").build()) {
        staleKeeper.signIn(TokenResponse.bearer(first.accessToken()).withRefreshToken(stale)
            .withExpiresIn(Duration.ZERO));
        assertThatThrownBy(staleKeeper::token)
            .isInstanceOfSatisfying(ReauthenticationRequiredException.class, e -> assertThat(e.reason())
                .isEqualTo(ReauthenticationRequiredException.Reason.CREDENTIALS_REJECTED));
      }
    }
    assertThat(ledger.tokenErrors("invalid_grant")).isEqualTo(ledger.tokenCalls("refresh_token", 400)).isEqualTo(2);
  }
}
