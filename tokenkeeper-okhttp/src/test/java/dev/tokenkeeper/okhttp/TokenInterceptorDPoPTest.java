package dev.tokenkeeper.okhttp;

import static dev.tokenkeeper.okhttp.TestBed.TTL;
import static dev.tokenkeeper.okhttp.TestBed.call;
import static dev.tokenkeeper.okhttp.TestBed.get;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.DPoP;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenPolicy;
import dev.tokenkeeper.TokenRequest;
import dev.tokenkeeper.TokenSource;
import dev.tokenkeeper.OAuth2TokenEndpoint;
import java.net.URI;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * DPoP through the OkHttp interceptor against a token endpoint that binds tokens to the proof's key
 * and an API that checks every proof and the binding.
 */
// A keeper on a test clock waits for a failing refresh until the test moves the clock: a broken
// DPoP step would hang the test instead of failing it.
@Timeout(60)
class TokenInterceptorDPoPTest {
  private final DPoP dpop = DPoP.es256();
  private final TestBed bed = new TestBed(builder -> builder.dpop(dpop));
  private final OkHttpClient client = bed.client();

  @AfterEach
  void close() throws Exception {
    bed.close();
  }

  @Test
  void everyRequestCarriesAFreshProofForItsMethodAndUri_acrossThreeLifetimes() throws Exception {
    for (int lifetime = 0; lifetime < 3; lifetime++) {
      assertThat(call(client, get(bed.api.uri("/api/items?q=1#f")))).isEqualTo("200 ok test-client 0");
      assertThat(call(client, new Request.Builder().url(bed.api.uri("/api/items/2").toString())
          .post(RequestBody.create("abc", MediaType.get("text/plain"))).build())).isEqualTo("200 ok test-client 3");
      bed.clock.advance(TTL);
    }
    assertThat(bed.api.dpopAccepted()).isEqualTo(6);
    assertThat(bed.api.dpopFailures()).as("%s", bed.api.lastDPoPFailure()).isZero();
    assertThat(bed.api.authorizations()).allMatch(a -> a.startsWith("DPoP "));
    assertThat(bed.tokens.dpopBoundTokens()).isEqualTo(3);
  }

  @Test
  void apiNonce_requiredThenSupplied_retriedOnce_noRefresh() throws Exception {
    bed.api.requireDPoPNonce(true);

    assertThat(call(client, get(bed.api.uri("/api/items")))).isEqualTo("200 ok test-client 0");
    assertThat(call(client, get(bed.api.uri("/api/items")))).isEqualTo("200 ok test-client 0");

    assertThat(bed.api.dpopNonceChallenges()).isEqualTo(1);
    assertThat(bed.api.dpopAccepted()).isEqualTo(2);
    assertThat(bed.tokens.tokenRequests()).as("a nonce challenge is not a token rejection").isEqualTo(1);
  }

  @Test
  void tokenEndpointNonce_requiredThenSupplied() throws Exception {
    bed.tokens.requireDPoPNonce(true);

    assertThat(call(client, get(bed.api.uri("/api/items")))).isEqualTo("200 ok test-client 0");

    assertThat(bed.tokens.dpopNonceChallenges()).isEqualTo(1);
    assertThat(bed.tokens.tokenRequests()).isEqualTo(2);
  }

  @Test
  void wrongKey_apiRefusesTheBinding_isARejection_oneRefreshOneRetry() throws Exception {
    DPoP otherKey = DPoP.es256();
    TokenSource endpoint = OAuth2TokenEndpoint.newBuilder(bed.tokens.uri()).clientId("test-client")
        .clientSecret("test-secret").build().clientCredentials();
    TokenKeeper wrong = bed.newKeeper(builder -> TokenKeeper.newBuilder(
            request -> endpoint.fetch(new TokenRequest(request.refreshToken(), request.reason(), otherKey)))
        .dpop(dpop).clock(bed.clock).scheduler(bed.clock::schedule));
    OkHttpClient wrongClient = bed.track(TokenInterceptor.install(new OkHttpClient.Builder(),
        TokenPolicy.of(bed.api.origin(), wrong)).build());

    assertThat(call(wrongClient, get(bed.api.uri("/api/items")))).isEqualTo("401 invalid_token");

    assertThat(bed.api.dpopFailures()).isEqualTo(2);
    assertThat(bed.api.lastDPoPFailure()).contains("cnf.jkt");
    assertThat(bed.tokens.tokenRequests()).isEqualTo(2);
  }

  @Test
  void sameOriginRedirect_getsAProofForItsOwnUri_crossOriginRedirect_carriesNeitherTokenNorProof() throws Exception {
    URI target = bed.api.uri("/api/items");
    assertThat(call(client, get(bed.api.redirect(302, target)))).isEqualTo("200 ok test-client 0");
    assertThat(bed.api.dpopFailures()).as("%s", bed.api.lastDPoPFailure()).isZero();

    call(client, get(bed.api.redirect(307, bed.other.uri("/api/items"))));
    assertThat(bed.other.authorizations()).isEmpty();
  }
}
