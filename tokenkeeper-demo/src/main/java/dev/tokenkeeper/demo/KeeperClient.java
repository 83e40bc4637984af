package dev.tokenkeeper.demo;

import dev.tokenkeeper.JsonTokenEndpoint;
import dev.tokenkeeper.ReauthenticationRequiredException;
import dev.tokenkeeper.TokenEndpointException;
import dev.tokenkeeper.TokenException;
import dev.tokenkeeper.TokenHttpClient;
import dev.tokenkeeper.TokenIOException;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenPolicy;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.InstantSource;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Client 3: the same application with a {@link TokenKeeper} in charge of its tokens, default
 * settings. All workers ask the one keeper; it refreshes ahead of expiry, once, however many
 * threads are waiting, and after a 401 it refreshes only if the rejected token is still current.
 */
final class KeeperClient implements DemoClient {
  private final HttpClient http;
  private final URI base;
  private final TokenKeeper keeper;
  private final JsonTokenEndpoint login;
  private final String id;
  private final String title;

  /**
   * @param tuning applied to the keeper's builder last: the demo passes it unchanged, tests set a
   *     test clock's scheduler and run refreshes on the calling thread
   */
  KeeperClient(URI base, String username, String password, InstantSource clock,
      UnaryOperator<TokenKeeper.Builder> tuning) {
    this(base, "keeper", "Tokenkeeper", username, password, clock, tuning);
  }

  /**
   * @param id the name in the {@value DemoServer#CLIENT_HEADER} header (act 2: one per process)
   * @param title the name on screen
   */
  KeeperClient(URI base, String id, String title, String username, String password,
      InstantSource clock, UnaryOperator<TokenKeeper.Builder> tuning) {
    this.base = base;
    this.id = id;
    this.title = title;
    JsonTokenEndpoint refresh = refreshEndpoint(base, id);
    this.login = JsonTokenEndpoint.newBuilder(base.resolve("auth/login"))
        .header(DemoServer.CLIENT_HEADER, id)
        .requestBody(request -> Map.of("username", username, "password", password))
        .build();
    this.keeper = tuning.apply(newKeeper(refresh).clock(clock)).build();
    // The JDK HttpClient adapter with default settings: every request to the demo API's origin
    // leaves with a valid token; a 401 invalidates it and the request is retried once.
    URI origin = URI.create(base.getScheme() + "://" + base.getRawAuthority());
    this.http = TokenHttpClient.wrap(DemoHttp.newClient(), TokenPolicy.of(origin, keeper));
  }

  /** The keeper's builder with the demo's refresh call: {@code POST /auth/refresh {"refreshToken"}}. */
  static TokenKeeper.Builder newKeeper(URI base, String id) {
    return newKeeper(refreshEndpoint(base, id));
  }

  private static TokenKeeper.Builder newKeeper(JsonTokenEndpoint refresh) {
    return TokenKeeper.newBuilder(refresh).name("demo");
  }

  private static JsonTokenEndpoint refreshEndpoint(URI base, String id) {
    return JsonTokenEndpoint.newBuilder(base.resolve("auth/refresh"))
        .header(DemoServer.CLIENT_HEADER, id)
        .refreshRequestBody(refreshToken -> Map.of("refreshToken", refreshToken.value()))
        .accessTokenField("accessToken")
        .refreshTokenField("refreshToken")
        .build();
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public String title() {
    return title;
  }

  @Override
  public void logIn() throws IOException {
    try {
      keeper.signIn(login);
    } catch (TokenException e) {
      throw new IOException("login failed: " + e.getMessage(), e);
    }
  }

  @Override
  public Outcome request() {
    try {
      // No token handling here at all: the wrapped client attaches, refreshes and retries.
      return Outcome.ofApiStatus(DemoHttp.getItems(http, base, id(), null));
    } catch (TokenIOException e) {
      TokenException cause = e.getCause();
      if (cause instanceof ReauthenticationRequiredException) {
        return cause.getCause() instanceof TokenEndpointException
            ? ((TokenEndpointException) cause.getCause()).error().map(Outcome::ofRefreshError)
                .orElse(Outcome.REFRESH_REJECTED)
            : Outcome.REFRESH_REJECTED;
      }
      return Outcome.TIMEOUT_OR_OTHER; // temporary refresh failures and timeouts
    } catch (IOException e) {
      return Outcome.TIMEOUT_OR_OTHER;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Outcome.TIMEOUT_OR_OTHER;
    }
  }

  @Override
  public void close() {
    keeper.close();
  }
}
