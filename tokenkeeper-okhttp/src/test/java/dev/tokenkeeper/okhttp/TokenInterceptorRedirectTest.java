package dev.tokenkeeper.okhttp;

import static dev.tokenkeeper.okhttp.TestBed.call;
import static dev.tokenkeeper.okhttp.TestBed.get;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.TokenPolicy;
import java.io.IOException;
import java.net.URI;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A redirect to another origin never carries the token: OkHttp 5.5.1 drops it itself when scheme,
 * host or port change, and {@link TokenInterceptor#redirectGuard()} drops it whoever follows the
 * redirect.
 */
class TokenInterceptorRedirectTest {
  private final TestBed bed = new TestBed();

  @AfterEach
  void close() throws Exception {
    bed.close();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(ints = {301, 302, 303, 307, 308})
  void redirectToAnotherPort_otherServerGetsNoToken(int status) throws IOException {
    OkHttpClient client = bed.client();
    URI start = bed.api.redirect(status, bed.other.uri("/landing"));
    assertThat(call(client, get(start))).isEqualTo("200 open");
    Request post = new Request.Builder().url(start.toString())
        .post(RequestBody.create("body", MediaType.get("text/plain"))).build();
    assertThat(call(client, post)).isEqualTo("200 open"); // 307/308 resend the body, never the token
    assertThat(bed.other.requests()).isEqualTo(2);
    assertThat(bed.other.authorizations()).isEmpty();
    assertThat(bed.api.authorizations()).hasSize(2); // the allowed origin did get it
  }

  /**
   * The finding for OkHttp 5.5.1, without our guard: its RetryAndFollowUpInterceptor removes
   * Authorization when the follow-up's host or port differs ({@code canReuseConnectionFor} also
   * compares the scheme, which a loopback test without TLS cannot exercise).
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(ints = {302, 307, 308})
  void okHttpItself_dropsAuthorization_onPortOrHostChange(int status) throws IOException {
    OkHttpClient unguarded = bed.track(new OkHttpClient.Builder()
        .addInterceptor(TokenInterceptor.of(bed.policy)).build());
    URI otherHost = URI.create("http://localhost:" + bed.other.origin().getPort() + "/landing");
    assertThat(call(unguarded, get(bed.api.redirect(status, bed.other.uri("/landing"))))).isEqualTo("200 open");
    assertThat(call(unguarded, get(bed.api.redirect(status, otherHost)))).isEqualTo("200 open");
    assertThat(bed.other.authorizations()).isEmpty();
    assertThat(bed.api.authorizations()).hasSize(2);
  }

  @Test
  void redirectToAnotherHostSamePort_dropsTheToken() throws IOException {
    OkHttpClient client = bed.client();
    URI otherHost = URI.create("http://localhost:" + bed.other.origin().getPort() + "/landing");
    assertThat(call(client, get(bed.api.redirect(302, otherHost)))).isEqualTo("200 open");
    assertThat(bed.other.authorizations()).isEmpty();
  }

  @Test
  void redirectBackToTheApiUnderAnotherHostName_isAnotherOrigin_its401TriggersNoRefresh() throws IOException {
    OkHttpClient client = bed.client();
    URI sameServerOtherHost = URI.create("http://localhost:" + bed.api.origin().getPort() + "/api/items");
    assertThat(call(client, get(bed.api.redirect(307, sameServerOtherHost)))).startsWith("401");
    assertThat(bed.api.authorizations()).hasSize(1); // only the allowed origin's /redirect had it
    assertThat(bed.tokens.tokenRequests()).isEqualTo(1); // that 401 was not about our token
  }

  @Test
  void redirectToAnApiPathElsewhere_its401IsReturned_noRefresh() throws IOException {
    OkHttpClient client = bed.client();
    assertThat(call(client, get(bed.api.redirect(302, bed.other.uri("/api/items"))))).startsWith("401");
    assertThat(bed.other.authorizations()).isEmpty();
    assertThat(bed.tokens.tokenRequests()).isEqualTo(1);
  }

  @Test
  void redirectToAnotherAllowedOrigin_carriesNeitherToken() throws IOException {
    TokenPolicy both = TokenPolicy.newBuilder()
        .origin(bed.api.origin(), bed.keeper)
        .origin(bed.other.origin(), bed.newKeeper(b -> b.name("other")))
        .build();
    OkHttpClient client = bed.track(TokenInterceptor.install(new OkHttpClient.Builder(), both).build());
    assertThat(call(client, get(bed.api.redirect(302, bed.other.uri("/landing"))))).isEqualTo("200 open");
    assertThat(bed.other.authorizations()).isEmpty();
  }

  @Test
  void absoluteUrlToAnotherOrigin_goesUntouched() throws IOException {
    OkHttpClient client = bed.client();
    call(client, get(bed.other.uri("/api/items")));
    call(client, get(URI.create("http://localhost:" + bed.api.origin().getPort() + "/api/items")));
    assertThat(bed.other.authorizations()).isEmpty();
    assertThat(bed.api.authorizations()).isEmpty();
    assertThat(bed.tokens.tokenRequests()).isZero();
  }

  @Test
  void sameOriginRedirect_keepsTheToken() throws IOException {
    OkHttpClient client = bed.client();
    assertThat(call(client, get(bed.api.redirect(302, bed.api.uri("/api/items"))))).isEqualTo("200 ok test-client 0");
    String header = bed.keeper.token().authorizationHeader();
    assertThat(bed.api.authorizations()).containsExactly(header, header);
  }

  @Test
  void sameOriginRedirect_thenRejected_refreshesAndReplaysFromTheStart() throws IOException {
    OkHttpClient client = bed.client();
    bed.api.revoke(bed.keeper.token().value());
    assertThat(call(client, get(bed.api.redirect(307, bed.api.uri("/api/items"))))).isEqualTo("200 ok test-client 0");
    assertThat(bed.tokens.tokenRequests()).isEqualTo(2);
    assertThat(bed.api.rejected()).isEqualTo(1);
  }

  @Test
  void guard_stripsTheToken_whenSomethingElseFollowsRedirectsKeepingHeaders() throws IOException {
    OkHttpClient client = bed.track(TokenInterceptor.install(new OkHttpClient.Builder(), bed.policy)
        .followRedirects(false).addInterceptor(NAIVE_FOLLOWER).build());
    assertThat(call(client, get(bed.api.redirect(307, bed.other.uri("/landing"))))).isEqualTo("200 open");
    assertThat(bed.other.authorizations()).isEmpty();
  }

  @Test
  void withoutTheGuard_aNaiveFollowerWouldLeakTheToken_soTheGuardIsWhatProtects() throws IOException {
    OkHttpClient client = bed.track(new OkHttpClient.Builder().addInterceptor(TokenInterceptor.of(bed.policy))
        .followRedirects(false).addInterceptor(NAIVE_FOLLOWER).build());
    call(client, get(bed.api.redirect(307, bed.other.uri("/landing"))));
    assertThat(bed.other.authorizations()).containsExactly(bed.keeper.token().authorizationHeader());
  }

  @Test
  void guard_leavesTheCallersOwnHeaderAlone() throws IOException {
    OkHttpClient client = bed.track(TokenInterceptor.install(new OkHttpClient.Builder(), bed.policy)
        .followRedirects(false).addInterceptor(NAIVE_FOLLOWER).build());
    Request own = get(bed.api.redirect(307, bed.other.uri("/landing"))).newBuilder()
        .header("Authorization", "Basic b3duOmhlYWRlcg==").build();
    call(client, own);
    assertThat(bed.other.authorizations()).containsExactly("Basic b3duOmhlYWRlcg==");
  }

  /** Follows one redirect by copying the request, headers and all: what OkHttp itself does not do. */
  private static final Interceptor NAIVE_FOLLOWER = chain -> {
    Response response = chain.proceed(chain.request());
    String location = response.header("Location");
    if (!response.isRedirect() || location == null) {
      return response;
    }
    response.close();
    return chain.proceed(chain.request().newBuilder().url(chain.request().url().resolve(location)).build());
  };
}
