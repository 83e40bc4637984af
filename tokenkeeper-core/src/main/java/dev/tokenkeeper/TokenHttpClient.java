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
 *       https to http). Hops on the first request's origin carry its token; once a redirect leaves
 *       that origin, no later hop carries a token, not even one to another origin the policy
 *       names, or back (the {@linkplain TokenPolicy redirect rule} every adapter shares). JDK 17's
 *       client forwards {@code Authorization} across origins on redirect; this one never does.
 *   <li><b>Failures:</b> when no token can be had (the keeper being closed included), {@code send}
 *       throws {@link TokenIOException} (an {@link IOException}) and {@code sendAsync} completes
 *       with it; the request is not sent.
 * </ul>
 *
 * <p><b>Closing:</b> the wrapper owns the client it wraps. On JDK 21+, {@code close}, {@code
 * shutdown}, {@code shutdownNow}, {@code isTerminated} and {@code awaitTermination} act on the
 * wrapped client and on the internal no-redirect client together, so {@code try (HttpClient c =
 * TokenHttpClient.wrap(...))} leaves no threads behind. On JDK 17, where {@code HttpClient} has no
 * lifecycle, they only make the wrapper refuse requests that would carry a token (the JDK frees
 * idle clients when they are no longer referenced).
 *
 * <p>Thread-safe, like the client it wraps. WebSockets are passed through without tokens.
 */
public final class TokenHttpClient extends HttpClient implements AutoCloseable {
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

  // The five methods below override HttpClient's on JDK 21+ (same names and descriptors); with
  // --release 17 they cannot say @Override. On 17 they are this class's own.

  /**
   * Starts an orderly shutdown of the wrapped client and of the internal one: requests already
   * sent complete, new ones are refused (JDK 21+). Returns at once; idempotent.
   */
  public void shutdown() {
    exchange.shutdown();
  }

  /**
   * Shuts the wrapped client and the internal one down at once; requests in flight fail (JDK 21+).
   * Idempotent.
   */
  public void shutdownNow() {
    exchange.shutdownNow();
  }

  /**
   * Returns {@code true} when, after a shutdown, the wrapped client and the internal one have both
   * terminated (JDK 21+; on 17, once {@link #shutdown} was called).
   */
  public boolean isTerminated() {
    return exchange.isTerminated();
  }

  /**
   * Waits until the wrapped client and the internal one have terminated after a shutdown, or
   * {@code duration} has passed.
   *
   * @return {@code true} if both terminated
   * @throws InterruptedException when the thread was interrupted while waiting
   */
  public boolean awaitTermination(Duration duration) throws InterruptedException {
    Objects.requireNonNull(duration, "duration");
    return exchange.awaitTermination(duration);
  }

  /**
   * Shuts down and waits for the wrapped client and the internal one to terminate, as {@code
   * HttpClient.close()} does on JDK 21+: if interrupted while waiting, shuts down at once and
   * returns with the interrupt flag set. Idempotent.
   */
  @Override
  public void close() {
    boolean terminated = isTerminated();
    if (terminated) {
      return;
    }
    shutdown();
    boolean interrupted = false;
    while (!terminated) {
      try {
        terminated = awaitTermination(Duration.ofDays(1));
      } catch (InterruptedException e) {
        if (!interrupted) {
          interrupted = true;
          shutdownNow();
          if (isTerminated()) {
            break;
          }
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "TokenHttpClient[" + delegate + ", " + exchange.policy() + "]";
  }
}
