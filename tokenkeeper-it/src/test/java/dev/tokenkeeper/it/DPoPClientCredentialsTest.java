package dev.tokenkeeper.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.SignedJWT;
import dev.tokenkeeper.DPoP;
import dev.tokenkeeper.OAuth2TokenEndpoint;
import dev.tokenkeeper.TokenHttpClient;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenPolicy;
import dev.tokenkeeper.okhttp.TokenInterceptor;
import dev.tokenkeeper.testing.ScriptedApiServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/**
 * DPoP (RFC 9449) end to end against Spring Authorization Server, which binds client_credentials
 * tokens to the proof's key ({@code cnf.jkt}, token_type {@code DPoP}): one keeper with an ES256
 * key shared by 20 workers, half through the JDK adapter and half through OkHttp, for at least ten
 * token lifetimes of real time. The resource server is {@link ScriptedApiServer} with the
 * authorization server's RS256 key from its JWK set: it checks every proof (signature by the
 * proof's {@code jwk}, {@code typ}, {@code htm}, {@code htu}, {@code iat} within 60 s, {@code jti}
 * never seen, {@code ath} = the token's SHA-256) and the binding ({@code cnf.jkt} = the thumbprint
 * of the proof's key), and the token's signature and {@code exp} on the real clock.
 */
class DPoPClientCredentialsTest extends AgainstSpringAuthorizationServer {
  private static final int WORKERS = 20;
  private static final Duration ROUND = Duration.ofMillis(50);
  private static final int LIFETIMES = 10;

  @Test
  void twentyWorkersThroughBothAdapters_tenLifetimes_everyProofAndBindingVerified_noFailure() throws Exception {
    RSAKey issuerKey = JWKSet.load(server.origin().resolve("/oauth2/jwks").toURL()).getKeys().stream()
        .filter(k -> k instanceof RSAKey).map(k -> (RSAKey) k).findFirst().orElseThrow();
    DPoP dpop = DPoP.es256();
    OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(server.tokenEndpoint())
        .clientId(SpringAuthorizationServer.SERVICE_ID)
        .clientSecret(SpringAuthorizationServer.SERVICE_SECRET)
        .build();
    Workers workers;
    long started;
    long ran;
    try (ScriptedApiServer api = ScriptedApiServer.start(issuerKey.toRSAPublicKey(), InstantSource.system());
        TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.clientCredentials()).name("orders-service")
            .dpop(dpop).build()) {
      TokenPolicy policy = TokenPolicy.of(api.origin(), keeper);
      HttpClient jdk = TokenHttpClient.wrap(HttpClient.newHttpClient(), policy);
      OkHttpClient okHttp = TokenInterceptor.install(new OkHttpClient.Builder(), policy).build();
      URI items = api.uri("/api/items?page=1");
      String expected = "ok " + SpringAuthorizationServer.SERVICE_ID + " 0";
      List<Workers.Request> requests = new ArrayList<>();
      for (int i = 0; i < WORKERS; i++) {
        requests.add(i % 2 == 0 ? viaJdk(jdk, items, expected) : viaOkHttp(okHttp, items, expected));
      }
      started = System.nanoTime();
      workers = Workers.start("dpop", requests, ROUND);
      // Ten lifetimes of real time, plus a second (iat counts whole seconds), or the first failure.
      Duration span = TTL.multipliedBy(LIFETIMES).plusSeconds(1);
      await().atMost(span.plusSeconds(60)).pollInterval(Duration.ofMillis(100))
          .until(() -> System.nanoTime() - started >= span.toNanos() || workers.failures() > 0);
      workers.stop(Duration.ofSeconds(30));
      ran = System.nanoTime() - started;
      okHttp.dispatcher().executorService().shutdown();
      okHttp.connectionPool().evictAll();

      Set<String> tokens = new LinkedHashSet<>();
      for (String authorization : api.authorizations()) {
        assertThat(authorization).startsWith("DPoP ");
        tokens.add(authorization.substring("DPoP ".length()));
      }
      for (String token : tokens) {
        assertThat(SignedJWT.parse(token).getJWTClaimsSet().getClaim("cnf"))
            .as("each token Spring issued is bound to the keeper's key").isEqualTo(Map.of("jkt", dpop.thumbprint()));
      }
      System.out.printf("DPoP client_credentials against Spring Authorization Server: %d workers (JDK %d, OkHttp %d),"
              + " %.1f s (%.1f lifetimes of %d s); requests %d, failures %d; API: DPoP accepted %d, 401 %d (exp passed"
              + " in flight, retried), proof or binding failures %d, replays %d, nonce challenges %d; tokens seen (first %d requests recorded) %d;"
              + " token calls %d (200: %d)%n",
          WORKERS, (WORKERS + 1) / 2, WORKERS / 2, ran / 1e9, ran / 1e9 / TTL.toSeconds(), TTL.toSeconds(),
          workers.requests(), workers.failures(), api.dpopAccepted(), api.rejected(), api.dpopFailures(),
          api.dpopReplays(), api.dpopNonceChallenges(), ScriptedApiServer.MAX_RECORDED, tokens.size(), ledger.tokenCalls("client_credentials"),
          ledger.tokenCalls("client_credentials", 200));

      assertThat(workers.failures()).as("failures: %s", workers.firstFailures()).isZero();
      assertThat(api.dpopFailures()).as("last failure: %s", api.lastDPoPFailure()).isZero();
      assertThat(api.dpopReplays()).isZero();
      assertThat(api.dpopAccepted()).isEqualTo(api.accepted()).isEqualTo(workers.requests());
      assertThat(ran).isGreaterThanOrEqualTo(TTL.multipliedBy(LIFETIMES).toNanos());
      assertThat(ledger.tokenCalls("client_credentials", 200)).as("a new token each lifetime")
          .isGreaterThanOrEqualTo(LIFETIMES);
      assertThat(ledger.tokenCalls("client_credentials", 200)).isEqualTo(ledger.tokenCalls("client_credentials"));
    }
  }

  private static Workers.Request viaJdk(HttpClient client, URI uri, String expected) {
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build();
    return () -> {
      HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
      check("JDK", response.statusCode(), response.body(), expected);
    };
  }

  private static Workers.Request viaOkHttp(OkHttpClient client, URI uri, String expected) {
    Request request = new Request.Builder().url(uri.toString()).build();
    return () -> {
      try (Response response = client.newCall(request).execute()) {
        check("OkHttp", response.code(), response.body().string(), expected);
      }
    };
  }

  private static void check(String adapter, int status, String body, String expected) {
    if (status != 200 || !body.equals(expected)) {
      throw new IllegalStateException(adapter + ": API answered " + status + " " + body);
    }
  }
}
