package dev.tokenkeeper.okhttp;

import dev.tokenkeeper.OAuth2TokenEndpoint;
import dev.tokenkeeper.TokenIOException;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenPolicy;
import dev.tokenkeeper.TokenResponse;
import dev.tokenkeeper.testing.AdapterConformanceSuite;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/** {@link TokenInterceptor}, installed with its redirect guard, passes the adapter conformance suite. */
class TokenInterceptorConformanceTest extends AdapterConformanceSuite {
  private static final MediaType TEXT = MediaType.get("text/plain; charset=utf-8");

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
      return new OkClient(TokenInterceptor.install(new OkHttpClient.Builder(), policy.build()).build(), keepers);
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

  private record OkClient(OkHttpClient client, Map<URI, TokenKeeper> keepers) implements AuthenticatedClient {

    @Override
    public Answer send(Exchange exchange) throws Exception {
      RequestBody body = exchange.body() == null ? null
          : exchange.replayable() ? RequestBody.create(exchange.body(), TEXT)
          : TokenInterceptorTest.oneShot(exchange.body());
      Request request = new Request.Builder().url(exchange.uri().toString()).method(exchange.method(), body).build();
      try (Response response = client.newCall(request).execute()) {
        return new Answer(response.code(), response.body().string());
      }
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
      client.dispatcher().executorService().shutdownNow();
      client.connectionPool().evictAll();
    }
  }
}
