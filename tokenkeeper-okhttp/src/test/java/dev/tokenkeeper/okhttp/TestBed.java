package dev.tokenkeeper.okhttp;

import dev.tokenkeeper.OAuth2TokenEndpoint;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenPolicy;
import dev.tokenkeeper.testing.ScriptedApiServer;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import dev.tokenkeeper.testing.TestClock;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * A token server, an API that verifies its JWTs, an "other" server that must never see a token, and
 * a keeper, all on one {@link TestClock}: token lifetimes pass when the test advances the clock.
 */
final class TestBed implements AutoCloseable {
  static final Duration TTL = Duration.ofMinutes(5);

  final TestClock clock = new TestClock();
  final ScriptedTokenServer tokens = ScriptedTokenServer.newBuilder().clock(clock).accessTokenTtl(TTL)
      .build().start();
  final ScriptedApiServer api = ScriptedApiServer.start(tokens, clock);
  final ScriptedApiServer other = ScriptedApiServer.startOther();
  final RecordingListener listener = new RecordingListener();
  final TokenKeeper keeper;
  final TokenPolicy policy;
  private final List<AutoCloseable> closeables = new ArrayList<>();

  TestBed() {
    this(builder -> builder);
  }

  /** {@code tune} adjusts the keeper's builder (backoff, timeout) before it is built. */
  TestBed(UnaryOperator<TokenKeeper.Builder> tune) {
    keeper = newKeeper(tune);
    policy = TokenPolicy.of(api.origin(), keeper);
  }

  /** A keeper for the test client, on the test clock; closed with the bed. */
  TokenKeeper newKeeper(UnaryOperator<TokenKeeper.Builder> tune) {
    TokenKeeper k = tune.apply(TokenKeeper.newBuilder(OAuth2TokenEndpoint.newBuilder(tokens.uri())
            .clientId("test-client").clientSecret("test-secret").build().clientCredentials())
        .clock(clock).scheduler(clock::schedule).listener(listener)).build();
    closeables.add(k);
    return k;
  }

  /** A client with {@link TokenInterceptor#install} applied; its threads and connections go with the bed. */
  OkHttpClient client() {
    return track(TokenInterceptor.install(new OkHttpClient.Builder(), policy).build());
  }

  OkHttpClient track(OkHttpClient client) {
    closeables.add(() -> {
      client.dispatcher().executorService().shutdownNow();
      client.connectionPool().evictAll();
    });
    return client;
  }

  static Request get(URI uri) {
    return new Request.Builder().url(uri.toString()).build();
  }

  /** Executes {@code request} and returns status and body as {@code "200 ok test-client 0"}. */
  static String call(OkHttpClient client, Request request) throws IOException {
    try (Response response = client.newCall(request).execute()) {
      return response.code() + " " + response.body().string();
    }
  }

  /** The token value the API last received, without {@code "Bearer "}. */
  String lastTokenAtApi() {
    List<String> received = api.authorizations();
    return received.get(received.size() - 1).substring("Bearer ".length());
  }

  @Override
  public void close() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
    api.close();
    other.close();
    tokens.close();
  }
}
