package dev.tokenkeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.testing.Fault;
import dev.tokenkeeper.testing.RecordedTokenRequest;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import dev.tokenkeeper.testing.TestClock;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The RFC 6749 source against a real token endpoint on loopback. */
class OAuth2TokenEndpointTest {
  private static final String SECRET = "s3cret:with spaces&symbols";
  private final TestClock clock = new TestClock();
  private final ScriptedTokenServer server = ScriptedTokenServer.newBuilder().clock(clock)
      .client("my client", SECRET).user("alice", "wonderland").accessTokenTtl(Duration.ofMinutes(5))
      .build().start();

  @AfterEach
  void stop() {
    server.close();
  }

  private OAuth2TokenEndpoint.Builder endpoint() {
    return OAuth2TokenEndpoint.newBuilder(server.uri()).clientId("my client").clientSecret(SECRET);
  }

  private static TokenRequest refresh(String refreshToken) {
    return new TokenRequest(new RefreshToken(refreshToken), TokenRequest.Reason.EXPIRED);
  }

  @Test
  void clientCredentials_basicAuth_scopeAndAudience_jwtExpiryFromExp() throws Exception {
    OAuth2TokenEndpoint endpoint = endpoint().scope("orders.read", "orders.write")
        .parameter("audience", "https://api.example.com").build();
    try (TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.clientCredentials()).clock(clock).build()) {
      AccessToken token = keeper.token();
      assertThat(token.expiresAt()).isEqualTo(clock.instant().plus(Duration.ofMinutes(5)));
      assertThat(token.scopes()).containsExactlyInAnyOrder("orders.read", "orders.write");
    }
    RecordedTokenRequest request = server.requests().get(0);
    assertThat(request.grantType()).isEqualTo("client_credentials");
    assertThat(request.clientAuthentication()).isEqualTo(RecordedTokenRequest.ClientAuthentication.BASIC);
    assertThat(request.clientId()).isEqualTo("my client");
    assertThat(request.scope()).isEqualTo("orders.read orders.write");
    assertThat(request.parameter("audience")).isEqualTo("https://api.example.com");
  }

  @Test
  void clientSecretPost() throws Exception {
    OAuth2TokenEndpoint endpoint = endpoint().clientAuthentication(ClientAuthentication.CLIENT_SECRET_POST).build();
    endpoint.clientCredentials().fetch(new TokenRequest(null, TokenRequest.Reason.INITIAL));
    assertThat(server.requests().get(0).clientAuthentication())
        .isEqualTo(RecordedTokenRequest.ClientAuthentication.POST);
  }

  @Test
  void passwordLogin_thenRefreshTokenGrant_withRotation() throws Exception {
    OAuth2TokenEndpoint endpoint = endpoint().build();
    TokenSource source = endpoint.password("alice", "wonderland".toCharArray());
    TokenResponse login = source.fetch(new TokenRequest(null, TokenRequest.Reason.INITIAL));
    assertThat(login.refreshToken()).isNotNull();
    TokenResponse refreshed = source.fetch(refresh(login.refreshToken()));
    assertThat(refreshed.refreshToken()).isNotNull().isNotEqualTo(login.refreshToken());
    assertThat(server.tokenRequests("password")).isEqualTo(1);
    assertThat(server.tokenRequests("refresh_token")).isEqualTo(1);
  }

  @Test
  void refreshTokens_withoutARefreshToken_failsTerminally_withoutCallingTheServer() {
    assertThatThrownBy(() -> endpoint().build().refreshTokens().fetch(new TokenRequest(null, TokenRequest.Reason.INITIAL)))
        .isInstanceOfSatisfying(TokenEndpointException.class, e -> assertThat(e.isTerminal()).isTrue())
        .hasMessageContaining("signIn");
    assertThat(server.tokenRequests()).isZero();
  }

  @Test
  void reusedRefreshToken_isInvalidGrant_terminal() throws Exception {
    String first = server.issueLogin("my client", "alice");
    TokenSource source = endpoint().build().refreshTokens();
    source.fetch(refresh(first));
    assertThatThrownBy(() -> source.fetch(refresh(first)))
        .isInstanceOfSatisfying(TokenEndpointException.class, e -> {
          assertThat(e.isTerminal()).isTrue();
          assertThat(e.statusCode()).isEqualTo(400);
          assertThat(e.error()).contains("invalid_grant");
        });
    assertThat(server.reuseDetections()).isEqualTo(1);
  }

  @Test
  void wrongClientSecret_isInvalidClient_terminal() {
    OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(server.uri()).clientId("my client")
        .clientSecret("wrong").build();
    assertThatThrownBy(() -> endpoint.clientCredentials().fetch(new TokenRequest(null, TokenRequest.Reason.INITIAL)))
        .isInstanceOfSatisfying(TokenEndpointException.class, e -> {
          assertThat(e.isTerminal()).isTrue();
          assertThat(e.statusCode()).isEqualTo(401);
          assertThat(e.error()).contains("invalid_client");
        })
        .hasMessageNotContaining("wrong");
  }

  static Stream<Arguments> faults() {
    return Stream.of(
        Arguments.of(Fault.status(500), false, 500, "HTTP 500"),
        Arguments.of(Fault.retryAfter(503, Duration.ofSeconds(7)), false, 503, "HTTP 503"),
        Arguments.of(Fault.retryAfter(429, Duration.ofSeconds(3)), false, 429, "HTTP 429"),
        Arguments.of(Fault.html(502), false, 502, "text/html"),
        Arguments.of(Fault.html(200), false, 200, "not JSON"),
        Arguments.of(Fault.malformedJson(), false, 200, "not a JSON object"),
        Arguments.of(Fault.emptyBody(200), false, 200, "HTTP 200"),
        Arguments.of(Fault.json(200, "{\"token_type\":\"Bearer\"}"), false, 200, "without an access_token"),
        Arguments.of(Fault.json(200, "{\"access_token\":42}"), false, 200, "not a string"),
        Arguments.of(Fault.json(200, "{\"access_token\":\"bad token\\r\\nX-Injected: 1\"}"), false, 200, "not allowed in an HTTP header"),
        Arguments.of(Fault.json(200, "[1,2]"), false, 200, "not a JSON object"),
        Arguments.of(Fault.invalidGrant(), true, 400, "invalid_grant"),
        Arguments.of(Fault.invalidClient(), true, 401, "invalid_client"),
        Arguments.of(Fault.oauthError(400, "unauthorized_client"), true, 400, "unauthorized_client"),
        // The refusal codes are terminal whatever the error status carrying them (README).
        Arguments.of(Fault.oauthError(403, "invalid_grant"), true, 403, "invalid_grant"),
        Arguments.of(Fault.oauthError(500, "invalid_grant"), true, 500, "invalid_grant"),
        Arguments.of(Fault.oauthError(503, "invalid_client"), true, 503, "invalid_client"),
        Arguments.of(Fault.oauthError(429, "unauthorized_client"), true, 429, "unauthorized_client"),
        Arguments.of(Fault.oauthError(404, "unsupported_grant_type"), true, 404, "unsupported_grant_type"),
        // ... but a 2xx is read as a token response: without an access_token it is a temporary fault.
        Arguments.of(Fault.oauthError(200, "invalid_grant"), false, 200, "without an access_token"),
        Arguments.of(Fault.oauthError(503, "temporarily_unavailable"), false, 503, "temporarily_unavailable"),
        // A malformed request is no verdict on the credentials: retried, never the end of a session.
        Arguments.of(Fault.oauthError(400, "invalid_request"), false, 400, "invalid_request"),
        Arguments.of(Fault.html(400), false, 400, "text/html"),
        Arguments.of(Fault.emptyBody(401), false, 401, "HTTP 401"),
        Arguments.of(Fault.json(400, "{\"message\":\"bad gateway config\"}"), false, 400, "HTTP 400"),
        Arguments.of(Fault.status(403), false, 403, "HTTP 403"),
        Arguments.of(Fault.status(404), false, 404, "HTTP 404"),
        Arguments.of(Fault.status(302), false, 302, "redirect"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("faults")
  void faultyAnswers_areTypedAndClassified_withStatusButNoSecrets(Fault fault, boolean terminal, int status,
      String message) {
    String refreshToken = server.issueLogin("my client", "alice");
    server.enqueue(fault);
    assertThatThrownBy(() -> endpoint().build().refreshTokens().fetch(refresh(refreshToken)))
        .isInstanceOfSatisfying(TokenEndpointException.class, e -> {
          assertThat(e.isTerminal()).as("terminal").isEqualTo(terminal);
          assertThat(e.statusCode()).isEqualTo(status);
          assertThat(e.getCause()).isNull(); // nothing that could quote the body
        })
        .hasMessageContaining(message)
        .hasMessageNotContaining(refreshToken)
        .hasMessageNotContaining(SECRET);
  }

  @Test
  void retryAfter_isReported() {
    server.enqueue(Fault.retryAfter(503, Duration.ofSeconds(7)));
    assertThatThrownBy(() -> endpoint().build().clientCredentials().fetch(new TokenRequest(null, TokenRequest.Reason.INITIAL)))
        .isInstanceOfSatisfying(TokenEndpointException.class,
            e -> assertThat(e.retryAfter()).contains(Duration.ofSeconds(7)));
  }

  @Test
  void droppedConnection_isAnIOException_temporary() {
    server.enqueue(Fault.dropConnection());
    assertThatThrownBy(() -> endpoint().build().clientCredentials().fetch(new TokenRequest(null, TokenRequest.Reason.INITIAL)))
        .isInstanceOf(IOException.class)
        .isNotInstanceOf(TokenEndpointException.class); // a plain IOException: the keeper retries it
  }

  @Test
  void connectionResetMidResponse_isAnIOException_temporary() {
    server.enqueue(Fault.resetMidResponse());
    assertThatThrownBy(() -> endpoint().build().clientCredentials().fetch(new TokenRequest(null, TokenRequest.Reason.INITIAL)))
        .isInstanceOf(IOException.class)
        .isNotInstanceOf(TokenEndpointException.class);
  }

  @Test
  void expiresInAsAString_andLowercaseBearer_areAccepted() throws Exception {
    server.enqueue(Fault.json(200, "{\"access_token\":\"opaque-1\",\"token_type\":\"bearer\",\"expires_in\":\"3600\"}"));
    TokenResponse response = endpoint().build().clientCredentials().fetch(new TokenRequest(null, TokenRequest.Reason.INITIAL));
    assertThat(response.expiresIn()).isEqualTo(Duration.ofHours(1));
    assertThat(response.tokenType()).isEqualTo("bearer");
  }

  @Test
  void oneMegabyteAccessToken_isAcceptedAsOpaque_butAnswersOverTwoMegabytesAreRefused() throws Exception {
    String huge = "A".repeat(1024 * 1024);
    server.enqueue(Fault.json(200, "{\"access_token\":\"" + huge + "\",\"expires_in\":60}"));
    TokenSource source = endpoint().build().clientCredentials();
    TokenResponse response = source.fetch(new TokenRequest(null, TokenRequest.Reason.INITIAL));
    assertThat(response.accessToken()).hasSize(huge.length());
    assertThat(response.expiresIn()).isEqualTo(Duration.ofSeconds(60));

    server.enqueue(Fault.json(200, "{\"access_token\":\"" + huge.repeat(3) + "\"}"));
    assertThatThrownBy(() -> source.fetch(new TokenRequest(null, TokenRequest.Reason.INITIAL)))
        .isInstanceOfSatisfying(TokenEndpointException.class, e -> assertThat(e.isTerminal()).isFalse())
        .hasMessageContaining("over 2097152 bytes");
  }

  @Test
  void serverDateHeader_isReadForSkew() throws Exception {
    TokenResponse response = endpoint().build().clientCredentials().fetch(new TokenRequest(null, TokenRequest.Reason.INITIAL));
    assertThat(response.serverDate()).isEqualTo(clock.instant());
  }

  @Test
  void revoker_revokesTheRefreshToken() throws Exception {
    OAuth2TokenEndpoint endpoint = endpoint().revocationEndpoint(server.revocationUri()).build();
    String refreshToken = server.issueLogin("my client", "alice");
    endpoint.revoker().revoke(new RefreshToken(refreshToken));
    assertThat(server.revocations()).isEqualTo(1);
    assertThatThrownBy(() -> endpoint.refreshTokens().fetch(refresh(refreshToken)))
        .isInstanceOfSatisfying(TokenEndpointException.class, e -> assertThat(e.isTerminal()).isTrue());
  }

  @Test
  void builder_refusesPlainHttpToANonLoopbackHost_unlessOptedIn() {
    assertThatThrownBy(() -> OAuth2TokenEndpoint.newBuilder(URI.create("http://auth.example.com/token")).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("clear text");
    OAuth2TokenEndpoint.newBuilder(URI.create("http://auth.example.com/token")).allowPlainHttp(true).build();
    OAuth2TokenEndpoint.newBuilder(URI.create("https://auth.example.com/token")).build();
    OAuth2TokenEndpoint.newBuilder(URI.create("http://[::1]:8080/token")).build();
    OAuth2TokenEndpoint.newBuilder(URI.create("http://localhost:8080/token")).build();
    assertThatThrownBy(() -> OAuth2TokenEndpoint.newBuilder(URI.create("ftp://x/token")).build())
        .hasMessageContaining("absolute http or https");
    assertThatThrownBy(() -> OAuth2TokenEndpoint.newBuilder(URI.create("https://x/token")).clientSecret("s").build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("clientId");
    assertThatThrownBy(() -> endpoint().parameter("grant_type", "x")).hasMessageContaining("grant_type");
    assertThatThrownBy(() -> endpoint().build().revoker()).hasMessageContaining("revocationEndpoint");
  }

  @Test
  void aClientThatFollowsRedirects_isRefused() {
    java.net.http.HttpClient following = java.net.http.HttpClient.newBuilder()
        .followRedirects(java.net.http.HttpClient.Redirect.NORMAL).build();
    assertThatThrownBy(() -> endpoint().httpClient(following)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NEVER");
    assertThatThrownBy(() -> JsonTokenEndpoint.newBuilder(server.uri()).httpClient(following))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void toString_showsUriAndClientId_neverTheSecret() {
    assertThat(endpoint().build().toString()).contains("my client").doesNotContain(SECRET);
  }

  @Test
  void customGrant_sendsItsParameters() throws Exception {
    server.enqueue(Fault.json(200, "{\"access_token\":\"x\"}"));
    endpoint().scope("orders.read").build().grant("urn:ietf:params:oauth:grant-type:token-exchange", Map.of(
            "subject_token", "abc",
            "subject_token_type", "urn:ietf:params:oauth:token-type:access_token",
            "audience", "orders-api"))
        .fetch(new TokenRequest(null, TokenRequest.Reason.INITIAL));
    RecordedTokenRequest sent = server.requests().get(0);
    assertThat(sent.grantType()).isEqualTo("urn:ietf:params:oauth:grant-type:token-exchange");
    // subject_token's value is redacted by the recorder: its presence is what can be checked.
    assertThat(sent.parameters()).containsKey("subject_token")
        .containsEntry("subject_token_type", "urn:ietf:params:oauth:token-type:access_token")
        .containsEntry("audience", "orders-api")
        .containsEntry("scope", "orders.read");
  }
}
