package dev.tokenkeeper;

import dev.tokenkeeper.internal.JdkExchange;
import java.io.IOException;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * A {@link HttpClient} that sends every request for an allowed origin with a valid token, on the
 * rules of a {@link TokenPolicy}. Wrap the client you already configured (timeouts, executor, proxy,
 * redirect policy are kept) and use it as before:
 *
 * <pre>{@code
 * HttpClient client = TokenHttpClient.wrap(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build(),
 *     TokenPolicy.of(URI.create("https://api.example.com"), keeper));
 * HttpResponse<String> response = client.send(
 *     HttpRequest.newBuilder(URI.create("https://api.example.com/orders")).build(),
 *     HttpResponse.BodyHandlers.ofString());
 * }</pre>
 *
 * <ul>
 *   <li><b>Proactive:</b> the token comes from {@link TokenKeeper#token()} ({@link
 *       TokenKeeper#tokenAsync()} for {@code sendAsync}, which never parks a thread while a
 *       refresh is in flight). Requests to origins the policy does not name, and requests that
 *       already carry an {@code Authorization} header, go out untouched.
 *   <li><b>Reactive:</b> a 401 that {@link TokenPolicy#isTokenRejection rejects the token}
 *       invalidates it and the request is sent once more with the current token, only if its body
 *       can be sent again: no body, or one made by {@code BodyPublishers.ofString}, {@code
 *       ofByteArray}, {@code ofFile}, {@code noBody}, or wrapped in {@link #replayable}. A second
 *       401 is returned to the caller.
 *   <li><b>Redirects:</b> when the wrapped client follows redirects, requests that carry a token are
 *       sent through a twin client that does not, and the redirects are followed here with the same
 *       rules (303, and POST on 301/302, become GET; at most 5 hops; {@code NORMAL} never goes from
 *       https to http), each hop carrying only the token of its own origin. JDK 17's client forwards
 *       {@code Authorization} across origins on redirect; this one never does.
 *   <li><b>Failures:</b> when no token can be had, {@code send} throws {@link TokenIOException} (an
 *       {@link IOException}) and {@code sendAsync} completes with it; the request is not sent.
 * </ul>
 *
 * <p>Thread-safe, like the client it wraps. WebSockets are passed through without tokens.
 */
public final class TokenHttpClient extends HttpClient {
  private final HttpClient delegate;
  private final JdkExchange exchange;

  private TokenHttpClient(HttpClient delegate, TokenPolicy policy) {
    this.delegate = delegate;
    this.exchange = new JdkExchange(delegate, policy);
  }

  /** Returns {@code client} wrapped so that requests carry tokens as {@code policy} says. */
  public static TokenHttpClient wrap(HttpClient client, TokenPolicy policy) {
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(policy, "policy");
    if (client instanceof TokenHttpClient) {
      throw new IllegalArgumentException("client is already a TokenHttpClient; wrap the plain client once");
    }
    return new TokenHttpClient(client, policy);
  }

  /**
   * Marks {@code publisher} as safe to send twice, so that a request carrying it is retried after a
   * 401. Only for publishers that produce the same bytes on every subscription.
   */
  public static HttpRequest.BodyPublisher replayable(HttpRequest.BodyPublisher publisher) {
    Objects.requireNonNull(publisher, "publisher");
    return new JdkExchange.Replayable(publisher);
  }

  /**
   * Sends {@code request}, with a token if its origin is allowed.
   *
   * @throws TokenIOException when no token could be had (the request was not sent)
   * @throws IOException when sending failed
   * @throws InterruptedException when the thread was interrupted
   */
  @Override
  public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
      throws IOException, InterruptedException {
    return exchange.send(request, handler);
  }

  /** Sends {@code request} asynchronously; never blocks a thread waiting for a refresh. */
  @Override
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request,
      HttpResponse.BodyHandler<T> handler) {
    return exchange.sendAsync(request, handler, null);
  }

  /** Sends {@code request} asynchronously; push promises are handled on the first attempt only. */
  @Override
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request,
      HttpResponse.BodyHandler<T> handler, HttpResponse.PushPromiseHandler<T> pushPromiseHandler) {
    return exchange.sendAsync(request, handler, pushPromiseHandler);
  }

  @Override
  public Optional<CookieHandler> cookieHandler() {
    return delegate.cookieHandler();
  }

  @Override
  public Optional<Duration> connectTimeout() {
    return delegate.connectTimeout();
  }

  @Override
  public Redirect followRedirects() {
    return delegate.followRedirects();
  }

  @Override
  public Optional<ProxySelector> proxy() {
    return delegate.proxy();
  }

  @Override
  public SSLContext sslContext() {
    return delegate.sslContext();
  }

  @Override
  public SSLParameters sslParameters() {
    return delegate.sslParameters();
  }

  @Override
  public Optional<Authenticator> authenticator() {
    return delegate.authenticator();
  }

  @Override
  public Version version() {
    return delegate.version();
  }

  @Override
  public Optional<Executor> executor() {
    return delegate.executor();
  }

  /** Returns the wrapped client's WebSocket builder; WebSockets get no token. */
  @Override
  public WebSocket.Builder newWebSocketBuilder() {
    return delegate.newWebSocketBuilder();
  }

  @Override
  public String toString() {
    return "TokenHttpClient[" + delegate + ", " + exchange.policy() + "]";
  }
}
