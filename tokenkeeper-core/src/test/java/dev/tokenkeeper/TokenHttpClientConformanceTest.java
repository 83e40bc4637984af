package dev.tokenkeeper;

import dev.tokenkeeper.testing.AdapterConformanceSuite;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** {@link TokenHttpClient#send} passes the adapter conformance suite. */
class TokenHttpClientConformanceTest extends AdapterConformanceSuite {

  /** Whether requests go through {@code sendAsync} (its own code path) instead of {@code send}. */
  boolean async() {
    return false;
  }

  @Override
  protected AuthenticatedClient connect(Setup setup) {
    Map<URI, TokenKeeper> keepers = new LinkedHashMap<>();
    TokenPolicy.Builder policy = TokenPolicy.newBuilder();
    try {
      for (URI origin : setup.origins()) {
        OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(setup.tokens().uri())
            .clientId("test-client").clientSecret("test-secret").build();
        TokenKeeper.Builder builder = TokenKeeper.newBuilder(setup.userSession() ? endpoint.refreshTokens()
                : endpoint.clientCredentials())
            .name("keeper-" + keepers.size()).clock(setup.clock()).scheduler(setup.clock()::schedule);
        if (setup.userSession()) {
          builder.initialTokens(TokenResponse.bearer("expired-access-token").withExpiresIn(java.time.Duration.ZERO)
              .withRefreshToken(setup.userRefreshToken()));
        }
        if (setup.dpop()) {
          builder.dpop(dev.tokenkeeper.DPoP.es256());
        }
        TokenKeeper keeper = builder.build();
        keepers.put(origin, keeper);
        policy.origin(origin, keeper);
      }
      TokenHttpClient client = TokenHttpClient.wrap(HttpClient.newBuilder()
          .followRedirects(HttpClient.Redirect.NORMAL).connectTimeout(Duration.ofSeconds(5)).build(), policy.build());
      return new JdkClient(client, keepers, async());
    } catch (RuntimeException e) {
      keepers.values().forEach(TokenKeeper::close);
      throw e;
    }
  }

  @Override
  protected Class<? extends Exception> tokenFailureType() {
    return TokenIOException.class;
  }

  @Override
  protected boolean isReauthenticationRequired(Exception failure) {
    return ((TokenIOException) failure).isReauthenticationRequired();
  }

  private record JdkClient(TokenHttpClient client, Map<URI, TokenKeeper> keepers, boolean async)
      implements AuthenticatedClient {

    @Override
    public Answer send(Exchange exchange) throws Exception {
      HttpRequest.BodyPublisher body = exchange.body() == null ? HttpRequest.BodyPublishers.noBody()
          : exchange.replayable() ? HttpRequest.BodyPublishers.ofString(exchange.body())
          : HttpRequest.BodyPublishers.ofInputStream(
              () -> new ByteArrayInputStream(exchange.body().getBytes(StandardCharsets.UTF_8)));
      HttpRequest request = HttpRequest.newBuilder(exchange.uri()).timeout(Duration.ofSeconds(10))
          .method(exchange.method(), body).build();
      HttpResponse<String> response;
      if (async) {
        try {
          response = client.sendAsync(request, HttpResponse.BodyHandlers.ofString()).get(20, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
        }
      } else {
        response = client.send(request, HttpResponse.BodyHandlers.ofString());
      }
      return new Answer(response.statusCode(), response.body());
    }

    @Override
    public String authorization(URI origin) {
      return keepers.get(origin).token().authorizationHeader();
    }

    @Override
    public void invalidate(URI origin) {
      TokenKeeper keeper = keepers.get(origin);
      keeper.invalidate(keeper.token());
    }

    @Override
    public void closeKeepers() {
      keepers.values().forEach(TokenKeeper::close);
    }

    @Override
    public void close() {
      closeKeepers();
    }
  }
}
