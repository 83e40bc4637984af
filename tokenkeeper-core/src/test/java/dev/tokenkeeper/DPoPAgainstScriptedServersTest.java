package dev.tokenkeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jwt.SignedJWT;
import dev.tokenkeeper.testing.ScriptedApiServer;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import dev.tokenkeeper.testing.TestClock;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * DPoP end to end through the JDK adapter: a keeper with a DPoP key, a real token endpoint that
 * binds tokens to the proof's key ({@code cnf.jkt}) and a real API that checks every proof and the
 * binding (signature, {@code htm}, {@code htu}, {@code iat}, {@code jti} replay, {@code ath},
 * nonce), each failure the issue names on the wire.
 */
// A keeper on a test clock waits for a failing refresh until the test moves the clock: a broken
// DPoP step would hang the test instead of failing it.
@Timeout(60)
class DPoPAgainstScriptedServersTest {
  private static final Duration TTL = Duration.ofMinutes(5);
  private final TestClock clock = new TestClock();
  private final ScriptedTokenServer tokens = ScriptedTokenServer.newBuilder().clock(clock).accessTokenTtl(TTL)
      .build().start();
  private final ScriptedApiServer api = ScriptedApiServer.start(tokens, clock);
  private final OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(tokens.uri())
      .clientId("test-client").clientSecret("test-secret").build();
  private final DPoP dpop = DPoP.es256();
  private final TokenKeeper keeper = keeper(endpoint.clientCredentials());
  private final HttpClient client = TokenHttpClient.wrap(HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build(), TokenPolicy.of(api.origin(), keeper));

  private TokenKeeper keeper(TokenSource source) {
    return TokenKeeper.newBuilder(source).dpop(dpop).clock(clock).scheduler(clock::schedule).build();
  }

  @AfterEach
  void stop() {
    keeper.close();
    api.close();
    tokens.close();
  }

  private HttpResponse<String> get(String pathAndQuery) throws Exception {
    return client.send(HttpRequest.newBuilder(api.uri(pathAndQuery)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> getAsync(String pathAndQuery) throws Exception {
    return client.sendAsync(HttpRequest.newBuilder(api.uri(pathAndQuery)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString()).get();
  }

  @Test
  void clientCredentials_tokenIsBoundToTheKey_everyRequestCarriesAFreshProof_acrossThreeLifetimes() throws Exception {
    for (int lifetime = 0; lifetime < 3; lifetime++) {
      for (int i = 0; i < 10; i++) {
        HttpResponse<String> response = i % 2 == 0 ? get("/api/items?page=" + i) : getAsync("/api/items#" + i);
        assertThat(response.statusCode()).as("%s (last DPoP failure: %s)", response.body(), api.lastDPoPFailure())
            .isEqualTo(200);
      }
      AccessToken token = keeper.token();
      assertThat(token.type()).isEqualTo("DPoP");
      assertThat(token.authorizationHeader()).startsWith("DPoP ");
      Object cnf = SignedJWT.parse(token.value()).getJWTClaimsSet().getClaim("cnf");
      assertThat(cnf).isEqualTo(Map.of("jkt", dpop.thumbprint()));
      clock.advance(TTL); // the next lifetime: a new token, bound to the same key
    }
    assertThat(api.dpopAccepted()).isEqualTo(30);
    assertThat(api.dpopFailures()).isZero();
    assertThat(api.rejected()).isZero();
    assertThat(api.authorizations()).allMatch(a -> a.startsWith("DPoP "));
    assertThat(tokens.dpopBoundTokens()).isEqualTo(tokens.tokenRequests()).isEqualTo(3);
  }

  @Test
  void tokenEndpointNonce_requiredThenSupplied_oneRetry_andRememberedForTheNextRefresh() throws Exception {
    tokens.requireDPoPNonce(true);

    assertThat(get("/api/items").statusCode()).isEqualTo(200);
    assertThat(tokens.dpopNonceChallenges()).isEqualTo(1);
    assertThat(tokens.tokenRequests()).as("the challenge and the request with the nonce").isEqualTo(2);

    clock.advance(TTL);
    assertThat(get("/api/items").statusCode()).isEqualTo(200);
    assertThat(tokens.dpopNonceChallenges()).as("the nonce was remembered").isEqualTo(1);
    assertThat(tokens.tokenRequests()).isEqualTo(3);
    assertThat(tokens.dpopBoundTokens()).isEqualTo(2);
  }

  @Test
  void apiNonce_requiredThenSupplied_retriedOnceWithTheSameToken_noRefresh() throws Exception {
    api.requireDPoPNonce(true);

    HttpResponse<String> first = get("/api/items");
    assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
    assertThat(api.dpopNonceChallenges()).isEqualTo(1);
    assertThat(getAsync("/api/items").statusCode()).isEqualTo(200);
    assertThat(get("/api/items").statusCode()).isEqualTo(200);

    assertThat(api.dpopNonceChallenges()).as("the nonce is remembered for the origin").isEqualTo(1);
    assertThat(api.dpopAccepted()).isEqualTo(3);
    assertThat(tokens.tokenRequests()).as("a nonce challenge is not a token rejection").isEqualTo(1);
  }

  @Test
  void apiNonce_async_requiredThenSupplied() throws Exception {
    api.requireDPoPNonce(true);

    assertThat(getAsync("/api/items").statusCode()).isEqualTo(200);
    assertThat(api.dpopNonceChallenges()).isEqualTo(1);
    assertThat(tokens.tokenRequests()).isEqualTo(1);
  }

  /**
   * A token bound to another key than the one signing the proofs: the API refuses the binding with
   * {@code DPoP error="invalid_token"}, which is a rejection: invalidate, refresh, retry once, and
   * the second 401 goes back to the caller.
   */
  @Test
  void wrongKey_apiRefusesTheBinding_isARejection_oneRefreshOneRetry() throws Exception {
    DPoP otherKey = DPoP.es256();
    TokenSource boundToOtherKey = request -> endpoint.clientCredentials()
        .fetch(new TokenRequest(request.refreshToken(), request.reason(), otherKey));
    try (TokenKeeper wrong = keeper(boundToOtherKey)) {
      HttpClient wrongClient = TokenHttpClient.wrap(HttpClient.newHttpClient(), TokenPolicy.of(api.origin(), wrong));

      HttpResponse<String> response = wrongClient.send(HttpRequest.newBuilder(api.uri("/api/items")).build(),
          HttpResponse.BodyHandlers.ofString());

      assertThat(response.statusCode()).isEqualTo(401);
      assertThat(response.headers().firstValue("WWW-Authenticate").orElseThrow()).contains("DPoP").contains("invalid_token");
      assertThat(api.dpopFailures()).isEqualTo(2);
      assertThat(api.lastDPoPFailure()).contains("cnf.jkt");
      assertThat(tokens.tokenRequests()).as("the first token, then one refresh after the rejection").isEqualTo(2);
    }
  }

  @Test
  void tokenTypeBearer_afterADPoPTokenRequest_isATypedTemporaryFailure() {
    tokens.bindDPoP(false); // a server without DPoP: it ignores the proof and answers Bearer
    // On the real clock: the caller's deadline must be able to pass.
    try (TokenKeeper realClock = TokenKeeper.newBuilder(endpoint.clientCredentials()).dpop(dpop).build()) {
      assertThatThrownBy(() -> realClock.token(Duration.ofMillis(500)))
          .isInstanceOf(TokenRefreshException.class)
          .satisfies(e -> assertThat(((TokenException) e).failure()).isEqualTo(TokenFailure.ENDPOINT_FAILING))
          .rootCause().hasMessageContaining("token_type Bearer, not DPoP");
    }
    assertThat(tokens.tokenRequests()).isEqualTo(1);
  }

  @Test
  void proofReplay_theApiRefusesAProofItHasSeen_andTheAdapterNeverSendsOne() throws Exception {
    for (int i = 0; i < 20; i++) {
      assertThat(get("/api/items").statusCode()).isEqualTo(200);
    }
    assertThat(api.dpopReplays()).isZero();

    // The same proof and token sent twice by hand: the API counts the second as a replay.
    AccessToken token = keeper.token();
    URI uri = api.uri("/api/items");
    String proof = dpop.proof("GET", uri, token);
    HttpClient plain = HttpClient.newHttpClient();
    HttpRequest replayed = HttpRequest.newBuilder(uri).header("Authorization", token.authorizationHeader())
        .header("DPoP", proof).build();
    assertThat(plain.send(replayed, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    assertThat(plain.send(replayed, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
    assertThat(api.dpopReplays()).isEqualTo(1);
  }

  @Test
  void boundTokenSentAsBearer_isRefused() throws Exception {
    AccessToken token = keeper.token();
    HttpRequest asBearer = HttpRequest.newBuilder(api.uri("/api/items"))
        .header("Authorization", "Bearer " + token.value()).build();
    assertThat(HttpClient.newHttpClient().send(asBearer, HttpResponse.BodyHandlers.ofString()).statusCode())
        .isEqualTo(401);
    assertThat(api.lastDPoPFailure()).contains("Bearer");
  }
}
