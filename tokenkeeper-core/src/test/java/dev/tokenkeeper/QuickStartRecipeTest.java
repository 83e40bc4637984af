package dev.tokenkeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tokenkeeper.testing.Fault;
import dev.tokenkeeper.testing.ScriptedApiServer;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import dev.tokenkeeper.testing.TestClock;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The README's quick start, "HTTP clients" origin and "Testing your code" recipes, run against the
 * loopback servers of tokenkeeper-testing. The lines between {@code // --- README: <name> ---} and
 * {@code // --- end ---} are what the README shows, word for word: {@link ReadmeSnippetsTest}
 * fails when the two differ. A keeper on a test clock waits on that clock: a broken keeper would hang
 * rather than fail, hence the timeout.
 */
@Timeout(60)
class QuickStartRecipeTest {
  private final ScriptedTokenServer server = ScriptedTokenServer.newBuilder()
      .client("orders-service", "service-secret").client("orders-app", "app-secret").build().start();
  private final ScriptedApiServer api = ScriptedApiServer.start(server, InstantSource.system());
  private final HttpClient http = HttpClient.newHttpClient();
  private final AtomicInteger loginScreens = new AtomicInteger();
  private final System.Logger logger = System.getLogger("orders");

  @AfterEach
  void stop() {
    api.close();
    server.close();
  }

  /** README, "A service calling an API": {@code tokenEndpoint}, {@code clientSecret} and {@code apiOrigin} are yours. */
  private String serviceRecipe(URI tokenEndpoint, String clientSecret, URI apiOrigin)
      throws IOException, InterruptedException {
    // --- README: service ---
    OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(tokenEndpoint) // https://auth.example.com/oauth2/token
        .clientId("orders-service")
        .clientSecret(clientSecret)                        // from your secret store; client_secret_basic by default
        .scope("orders.read")
        .parameter("audience", "https://api.example.com")  // or "resource"
        .build();

    try (TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.clientCredentials())
        .defaultTimeout(Duration.ofSeconds(5)) // how long token() waits for a refresh; the adapters wait as long (default 10 s)
        .build()) {
      AccessToken token = keeper.token();
      HttpRequest request = HttpRequest.newBuilder(apiOrigin.resolve("/api/orders"))
          .header("Authorization", token.authorizationHeader())
          .build();
      // on a 401 for that token: keeper.invalidate(token), then take keeper.token() and retry once
      // (the HTTP client adapters below do that for you)
      return http.send(request, HttpResponse.BodyHandlers.ofString()).body();
    }
    // --- end ---
  }

  @Test
  void serviceRecipe_getsATokenWithItsScopeAndCallsTheApi() throws Exception {
    assertThat(serviceRecipe(server.uri(), "service-secret", api.origin())).isEqualTo("ok orders-service 0");
    assertThat(server.tokenRequests("client_credentials")).isEqualTo(1);
    assertThat(server.requests().get(0).parameters()).containsEntry("scope", "orders.read")
        .containsEntry("audience", "https://api.example.com");
  }

  /** README, "A service calling an API", when the endpoint refuses the credentials. */
  private String refusedRecipe(TokenKeeper keeper) {
    // --- README: service-refused ---
    try {
      return keeper.token().authorizationHeader();
    } catch (CredentialsRejectedException e) {
      // invalid_client, unauthorized_client, or the grant, scope or grant type refused: check the
      // client id, secret and registration. No restart needed: the keeper asks again in 30 s
      // (doubling up to 5 min) and recovers by itself once the endpoint accepts the credentials.
      logger.log(System.Logger.Level.ERROR, e.getMessage()); // names the refusal, never the secret
      throw e;
    }
    // --- end ---
  }

  @Test
  void refusedRecipe_serviceKeeperRetriesAfter30s_andRecoversWithoutARestart() {
    TestClock clock = new TestClock();
    server.enqueue(Fault.invalidClient());
    OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(server.uri())
        .clientId("orders-service").clientSecret("service-secret").build();
    try (TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.clientCredentials())
        .clock(clock).scheduler(clock::schedule).executor(Runnable::run).jitter(0).build()) {
      assertThatThrownBy(() -> refusedRecipe(keeper)).isInstanceOf(CredentialsRejectedException.class);
      assertThatThrownBy(() -> refusedRecipe(keeper)).isInstanceOf(CredentialsRejectedException.class);
      assertThat(server.tokenRequests()).isEqualTo(1); // no call during the backoff
      clock.advance(Duration.ofSeconds(30));
      assertThat(refusedRecipe(keeper)).startsWith("Bearer ");
      assertThat(server.tokenRequests()).isEqualTo(2);
    }
  }

  private void showLoginScreen() {
    loginScreens.incrementAndGet();
  }

  /** README, "A user session". */
  private TokenKeeper userSessionRecipe(URI tokenEndpoint, URI revocationEndpoint, String clientSecret,
      char[] password) {
    // --- README: user-session ---
    OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(tokenEndpoint)
        .clientId("orders-app").clientSecret(clientSecret)
        .revocationEndpoint(revocationEndpoint)  // https://auth.example.com/oauth2/revoke; revoker() needs it
        .build();
    TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.refreshTokens())
        .revoker(endpoint.revoker())          // sign-out revokes the refresh token (RFC 7009)
        .listener(new TokenListener() {
          // a refused refresh ends the session: invalid_grant, invalid_client, unauthorized_client,
          // invalid_scope or unsupported_grant_type; heard once, and no more calls until signIn
          @Override public void onSessionExpired(SessionExpired e) { showLoginScreen(); }
        })
        .build();
    keeper.signIn(endpoint.password("alice", password));   // or signIn(TokenResponse) with tokens you hold
    String header = keeper.token().authorizationHeader();  // on every request, from any thread
    keeper.signOut();                                      // when the user signs out
    // --- end ---
    assertThat(header).startsWith("Bearer ");
    return keeper;
  }

  @Test
  void userSessionRecipe_signsInWithThePassword_andSignOutRevokes() {
    try (TokenKeeper keeper = userSessionRecipe(server.uri(), server.revocationUri(), "app-secret",
        "wonderland".toCharArray())) {
      assertThat(server.tokenRequests("password")).isEqualTo(1);
      await().atMost(Duration.ofSeconds(10)).until(() -> server.revocations() == 1);
      assertThat(server.activeFamilies()).isZero();
      assertThatThrownBy(keeper::token).isInstanceOf(ReauthenticationRequiredException.class);
      assertThat(loginScreens).hasValue(0); // signing out is not an expiry
    }
  }

  /** The codes the README's user-session listener names: each ends a user's session at once. */
  @ParameterizedTest
  @ValueSource(strings = {"invalid_grant", "invalid_client", "unauthorized_client", "invalid_scope",
      "unsupported_grant_type"})
  void refusedRefresh_endsTheSession_onceAndForAll(String code) {
    OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(server.uri())
        .clientId("orders-app").clientSecret("app-secret").build();
    try (TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.refreshTokens()).executor(Runnable::run)
        .listener(new TokenListener() {
          @Override public void onSessionExpired(SessionExpired e) { showLoginScreen(); }
        }).build()) {
      keeper.signIn(endpoint.password("alice", "wonderland".toCharArray()));
      server.enqueue(Fault.oauthError(400, code));
      keeper.invalidate(keeper.token());
      assertThatThrownBy(() -> keeper.token(Duration.ZERO)).isInstanceOf(ReauthenticationRequiredException.class);
      assertThatThrownBy(() -> keeper.token(Duration.ZERO)).isInstanceOf(ReauthenticationRequiredException.class);
      await().atMost(Duration.ofSeconds(10)).until(() -> loginScreens.get() == 1);
      assertThat(server.tokenRequests("refresh_token")).isEqualTo(1);
    }
  }

  /** The same codes for a service's configured credentials: never the end, always retried. */
  @ParameterizedTest
  @ValueSource(strings = {"invalid_grant", "invalid_client", "unauthorized_client", "invalid_scope",
      "unsupported_grant_type"})
  void refusedClientCredentials_areRetried_neverTerminal(String code) {
    TestClock clock = new TestClock();
    server.enqueue(Fault.oauthError(400, code));
    OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(server.uri())
        .clientId("orders-service").clientSecret("service-secret").build();
    try (TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.clientCredentials())
        .clock(clock).scheduler(clock::schedule).executor(Runnable::run).jitter(0).build()) {
      assertThatThrownBy(() -> keeper.token(Duration.ZERO)).isInstanceOf(CredentialsRejectedException.class);
      clock.advance(Duration.ofSeconds(30));
      assertThat(keeper.token().value()).isNotEmpty();
    }
  }

  @Test
  void originRecipe_tokensGoOnlyToTheListedOrigins() {
    TokenSource never = request -> {
      throw new AssertionError("no token is fetched here");
    };
    try (TokenKeeper keeper = TokenKeeper.newBuilder(never).build();
        TokenKeeper billingKeeper = TokenKeeper.newBuilder(never).build()) {
      // --- README: origins ---
      URI apiOrigin = URI.create("https://api.example.com");  // scheme, host and port (443 here); no path
      TokenPolicy policy = TokenPolicy.newBuilder()
          .origin(apiOrigin, keeper)
          .origin(URI.create("https://billing.example.com:8443"), billingKeeper) // another identity
          .build();                                   // one origin: TokenPolicy.of(apiOrigin, keeper)
      // --- end ---
      assertThat(policy.keeperFor(URI.create("https://api.example.com/api/items?x=1"))).isSameAs(keeper);
      assertThat(policy.keeperFor(URI.create("https://API.example.com:443/"))).isSameAs(keeper);
      assertThat(policy.keeperFor(URI.create("https://billing.example.com:8443/invoices"))).isSameAs(billingKeeper);
      assertThat(policy.keeperFor(URI.create("https://billing.example.com/invoices"))).isNull();
      assertThat(policy.keeperFor(URI.create("http://api.example.com/api/items"))).isNull();
      assertThat(policy.keeperFor(URI.create("https://api.example.com.evil.test/"))).isNull();
      assertThatThrownBy(() -> TokenPolicy.of(URI.create("https://api.example.com/v1"), keeper))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("scheme, host and port only");
    }
  }

  @Test
  void testingRecipe_aRetryAfter503_isRetriedOnTheTestClock() {
    // --- README: testing ---
    TestClock clock = new TestClock();
    try (ScriptedTokenServer server = ScriptedTokenServer.newBuilder().clock(clock).build().start()) {
      OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(server.uri()) // plain http: fine on loopback
          .clientId("test-client").clientSecret("test-secret").build();          // the server's default client
      try (TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.clientCredentials())
          .clock(clock).scheduler(clock::schedule)   // expiry, deadlines and retries follow the test clock
          .executor(Runnable::run)                   // refreshes run on the calling thread
          .build()) {
        AccessToken first = keeper.token();                           // request 1: a 5-minute token
        server.enqueue(Fault.retryAfter(503, Duration.ofSeconds(5)));
        clock.advance(Duration.ofMinutes(4));                         // no sleeping: the token is stale
        assertThat(keeper.token()).isEqualTo(first);                  // request 2: 503, the token still serves
        clock.advance(Duration.ofSeconds(5));                         // Retry-After has passed:
        assertThat(keeper.token()).isEqualTo(first);                  // request 3 starts, the stale token serves
        assertThat(keeper.token()).isNotEqualTo(first);               // and now the new token
        assertThat(server.tokenRequests()).isEqualTo(3);
      }
    }
    // --- end ---
  }
}
