package dev.tokenkeeper.internal;

import dev.tokenkeeper.AccessToken;
import dev.tokenkeeper.DPoP;
import dev.tokenkeeper.TokenException;
import dev.tokenkeeper.TokenIOException;
import dev.tokenkeeper.TokenInterruptedException;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenPolicy;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Flow;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The request flow behind {@code TokenHttpClient}: attach the token, follow redirects without
 * carrying it across origins, and on a rejection invalidate and retry once. Sync and async share
 * every decision; only the plumbing differs. Also owns the lifecycle of the wrapped client and of
 * the no-redirect twin built from it (JDK 21+ {@code shutdown}/{@code close}, reached by
 * reflection: the bytecode stays Java 17).
 */
public final class JdkExchange {
  static final int MAX_REDIRECTS = 5;

  /** {@code HttpClient}'s lifecycle methods, present from JDK 21; null on 17. */
  private static final @Nullable Method SHUTDOWN = lifecycle("shutdown");
  private static final @Nullable Method SHUTDOWN_NOW = lifecycle("shutdownNow");
  private static final @Nullable Method IS_TERMINATED = lifecycle("isTerminated");
  private static final @Nullable Method AWAIT_TERMINATION = lifecycle("awaitTermination", Duration.class);

  private final HttpClient delegate;
  private final TokenPolicy policy;
  private final ReentrantLock twinLock = new ReentrantLock();
  private volatile @Nullable HttpClient noRedirects;
  /** The headers of the last token sent on a request without headers of its own, built once per token. */
  private volatile @Nullable TokenHeaders tokenHeaders;
  /** Set by shutdown: no twin is built after it (it would never be shut down). */
  private volatile boolean shutdown;

  public JdkExchange(HttpClient delegate, TokenPolicy policy) {
    this.delegate = delegate;
    this.policy = policy;
  }

  public TokenPolicy policy() {
    return policy;
  }

  /** One sent request and what it carried. */
  private record Hop<T>(HttpRequest request, HttpResponse<T> response, @Nullable TokenKeeper keeper,
      @Nullable AccessToken token) {}

  // ------------------------------------------------------------------------------------- sync

  public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
      throws IOException, InterruptedException {
    if (untouched(request)) {
      return delegate.send(request, handler);
    }
    Hop<T> hop = sendFollowingRedirects(request, handler);
    if (asksForNonce(hop)) {
      closeBody(hop.response);
      hop = sendOnce(hop.request, handler, hop.keeper, hop.token, MAX_REDIRECTS);
    }
    if (!rejected(hop)) {
      return hop.response;
    }
    // A late 401 (a newer token exists) invalidates nothing; the retry below uses the newer token.
    hop.keeper.invalidate(hop.token);
    if (!replayable(hop.request)) {
      return hop.response; // the keeper is invalidated; the caller decides what to do with the body
    }
    closeBody(hop.response);
    // The retry follows no redirects (MAX_REDIRECTS hops already "used"): its answer is final.
    Hop<T> second = sendOnce(hop.request, handler, hop.keeper, token(hop.keeper), MAX_REDIRECTS);
    if (rejected(second)) {
      hop.keeper.reportRejectedAfterRefresh(second.token);
    }
    return second.response;
  }

  private <T> Hop<T> sendFollowingRedirects(HttpRequest request, HttpResponse.BodyHandler<T> handler)
      throws IOException, InterruptedException {
    HttpRequest current = request;
    TokenKeeper keeper = policy.keeperFor(request.uri());
    for (int hops = 0; ; hops++) {
      Hop<T> hop = sendOnce(current, handler, keeper, keeper == null ? null : token(keeper), hops);
      HttpRequest next = redirect(hop, hops);
      if (next == null) {
        return hop;
      }
      keeper = carries(keeper, request, next);
      current = next;
    }
  }

  /**
   * The keeper whose token the next hop carries: the first request's, while the redirects stay on
   * its origin. Once they leave it, no later hop carries a token, not even one back to that origin
   * or to another origin that has a keeper: the application addressed neither.
   */
  private static @Nullable TokenKeeper carries(@Nullable TokenKeeper keeper, HttpRequest first, HttpRequest next) {
    return keeper != null && TokenPolicy.sameOrigin(first.uri(), next.uri()) ? keeper : null;
  }

  private <T> Hop<T> sendOnce(HttpRequest request, HttpResponse.BodyHandler<T> handler,
      @Nullable TokenKeeper keeper, @Nullable AccessToken token, int hops) throws IOException, InterruptedException {
    HttpResponse<T> response = client().send(withToken(request, keeper, token), discardRedirects(handler, request, hops));
    return new Hop<>(request, response, keeper, token);
  }

  private static AccessToken token(TokenKeeper keeper) throws TokenIOException, InterruptedException {
    try {
      return keeper.token();
    } catch (TokenInterruptedException e) {
      Thread.interrupted(); // HttpClient's convention: throwing InterruptedException clears the flag
      InterruptedException interrupted = new InterruptedException("interrupted while waiting for a token");
      interrupted.initCause(e);
      throw interrupted;
    } catch (TokenException e) {
      throw new TokenIOException(e);
    } catch (IllegalStateException e) {
      throw AdapterFailures.keeperClosed(e); // token()'s only IllegalStateException: the keeper is closed
    }
  }

  // ------------------------------------------------------------------------------------ async

  public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request,
      HttpResponse.BodyHandler<T> handler, HttpResponse.@Nullable PushPromiseHandler<T> push) {
    if (untouched(request)) {
      return push == null ? delegate.sendAsync(request, handler) : delegate.sendAsync(request, handler, push);
    }
    return followAsync(request, handler, push, policy.keeperFor(request.uri()), request, 0).thenCompose(hop -> {
      if (!asksForNonce(hop)) {
        return CompletableFuture.completedFuture(hop);
      }
      closeBody(hop.response);
      return againAsync(hop, handler);
    }).thenCompose(hop -> {
      if (!rejected(hop)) {
        return CompletableFuture.completedFuture(hop.response);
      }
      hop.keeper.invalidate(hop.token);
      if (!replayable(hop.request)) {
        return CompletableFuture.completedFuture(hop.response);
      }
      closeBody(hop.response);
      return onceAsync(hop.request, handler, null, hop.keeper, MAX_REDIRECTS).thenApply(second -> {
        if (rejected(second)) {
          hop.keeper.reportRejectedAfterRefresh(second.token);
        }
        return second.response;
      });
    });
  }

  private <T> CompletableFuture<Hop<T>> followAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler,
      HttpResponse.@Nullable PushPromiseHandler<T> push, @Nullable TokenKeeper keeper, HttpRequest first, int hops) {
    return onceAsync(request, handler, push, keeper, hops).thenCompose(hop -> {
      HttpRequest next = redirect(hop, hops);
      return next == null ? CompletableFuture.completedFuture(hop)
          : followAsync(next, handler, null, carries(keeper, first, next), first, hops + 1);
    });
  }

  /** The same request with the same token (a new proof): the answer to a nonce challenge. */
  private <T> CompletableFuture<Hop<T>> againAsync(Hop<T> hop, HttpResponse.BodyHandler<T> handler) {
    HttpClient client;
    try {
      client = client();
    } catch (IOException e) {
      return CompletableFuture.failedFuture(e);
    }
    return client.sendAsync(withToken(hop.request, hop.keeper, hop.token), discardRedirects(handler, hop.request, MAX_REDIRECTS))
        .thenApply(r -> new Hop<>(hop.request, r, hop.keeper, hop.token));
  }

  private <T> CompletableFuture<Hop<T>> onceAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler,
      HttpResponse.@Nullable PushPromiseHandler<T> push, @Nullable TokenKeeper keeper, int hops) {
    CompletableFuture<@Nullable AccessToken> token = keeper == null
        ? CompletableFuture.completedFuture(null)
        : keeper.tokenAsync().handle((t, failure) -> {
          if (failure != null) {
            Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
            throw new CompletionException(cause instanceof TokenException
                ? new TokenIOException((TokenException) cause)
                : cause instanceof IllegalStateException ? AdapterFailures.keeperClosed((IllegalStateException) cause)
                : cause);
          }
          return t;
        });
    return token.thenCompose(t -> {
      HttpRequest sent = withToken(request, keeper, t);
      HttpResponse.BodyHandler<T> body = discardRedirects(handler, request, hops);
      HttpClient client;
      try {
        client = client();
      } catch (IOException e) {
        return CompletableFuture.failedFuture(e);
      }
      CompletableFuture<HttpResponse<T>> response = push == null
          ? client.sendAsync(sent, body) : client.sendAsync(sent, body, push);
      return response.thenApply(r -> new Hop<>(request, r, keeper, t));
    });
  }

  // ---------------------------------------------------------------------------------- policy

  /** No token for this request: another origin, or the caller set Authorization itself. */
  private boolean untouched(HttpRequest request) {
    return policy.keeperFor(request.uri()) == null || request.headers().firstValue("Authorization").isPresent();
  }

  private static boolean rejected(Hop<?> hop) {
    return hop.token != null && hop.keeper != null && TokenPolicy.isTokenRejection(
        hop.response.statusCode(), hop.response.headers().allValues("WWW-Authenticate"));
  }

  /**
   * A DPoP origin's answer that asks for the request again with the nonce it sent (learned here):
   * not a rejection of the token, so it is retried once with the same token and a new proof, when
   * the body can be sent again.
   */
  private static boolean asksForNonce(Hop<?> hop) {
    if (hop.token == null || hop.keeper == null) {
      return false;
    }
    DPoP dpop = hop.keeper.dpop();
    java.net.http.HttpHeaders headers = hop.response.headers();
    return dpop != null && dpop.learnNonce(hop.request.uri(), hop.response.statusCode(),
        headers.allValues("WWW-Authenticate"), headers.firstValue("DPoP-Nonce").orElse(null))
        && replayable(hop.request);
  }

  private HttpRequest withToken(HttpRequest request, @Nullable TokenKeeper keeper, @Nullable AccessToken token) {
    if (token != null && VIEWS && (keeper == null || keeper.dpop() == null)) {
      // The request goes out as it is, seen through a view with the token's header (B3): no builder
      // and no second copy of its headers. Without headers of its own (most GETs), the view's
      // headers are the token's alone, built once per token.
      java.util.Map<String, List<String>> own = request.headers().map();
      if (!own.isEmpty()) {
        // An HttpHeaders' names are unique ignoring case (HttpHeaders.of refuses duplicates), so
        // this copy cannot meet two names the builder would have merged.
        return new WithHeaders(request, java.net.http.HttpHeaders.of(
            new PlusAuthorization(own, token.authorizationHeader()), (name, value) -> true));
      }
      TokenHeaders cached = tokenHeaders;
      if (cached == null || cached.token != token) {
        cached = new TokenHeaders(token, java.net.http.HttpHeaders.of(
            java.util.Map.of("Authorization", List.of(token.authorizationHeader())), (name, value) -> true));
        tokenHeaders = cached;
      }
      return new WithHeaders(request, cached.headers);
    }
    HttpRequest.Builder copy = HttpRequest.newBuilder(request,
        (name, value) -> !name.equalsIgnoreCase("Authorization") && !name.equalsIgnoreCase("DPoP"));
    if (token != null) {
      copy.header("Authorization", token.authorizationHeader());
      DPoP dpop = keeper == null ? null : keeper.dpop();
      if (dpop != null) {
        copy.header("DPoP", dpop.proof(request.method(), request.uri(), token));
      }
    }
    return copy.build();
  }

  private record TokenHeaders(AccessToken token, java.net.http.HttpHeaders headers) {}

  /**
   * Whether requests may go out as a {@link WithHeaders} view: not on a JDK whose requests carry
   * more than this class can forward. JDK 26 added per-request options ({@code
   * HttpRequest.getOption}, read by the HTTP/3 support) as a default method, which a class compiled
   * for Java 17 cannot override; there the builder copy, which keeps them, is used.
   */
  static final boolean VIEWS = java.util.Arrays.stream(HttpRequest.class.getMethods())
      .noneMatch(m -> m.getName().equals("getOption"));

  /**
   * A request's headers without any {@code Authorization} or {@code DPoP} of theirs, then the
   * token's {@code Authorization}: read once, by {@code HttpHeaders.of}, which copies it.
   */
  private static final class PlusAuthorization extends java.util.AbstractMap<String, List<String>> {
    private final java.util.Map<String, List<String>> own;
    private final List<String> authorization;

    PlusAuthorization(java.util.Map<String, List<String>> own, String authorization) {
      this.own = own;
      this.authorization = List.of(authorization);
    }

    @Override
    public void forEach(java.util.function.BiConsumer<? super String, ? super List<String>> action) {
      own.forEach((name, values) -> {
        if (!name.equalsIgnoreCase("Authorization") && !name.equalsIgnoreCase("DPoP")) {
          action.accept(name, values);
        }
      });
      action.accept("Authorization", authorization);
    }

    @Override
    public java.util.Set<Entry<String, List<String>>> entrySet() {
      java.util.Map<String, List<String>> all = new java.util.LinkedHashMap<>();
      forEach(all::put);
      return all.entrySet();
    }
  }

  /**
   * A request as its caller built it, but for its headers. The client reads a request through
   * these methods only, and copies what it reads into a request of its own.
   */
  private static final class WithHeaders extends HttpRequest {
    private final HttpRequest request;
    private final java.net.http.HttpHeaders headers;

    WithHeaders(HttpRequest request, java.net.http.HttpHeaders headers) {
      this.request = request;
      this.headers = headers;
    }

    @Override
    public Optional<BodyPublisher> bodyPublisher() {
      return request.bodyPublisher();
    }

    @Override
    public String method() {
      return request.method();
    }

    @Override
    public Optional<Duration> timeout() {
      return request.timeout();
    }

    @Override
    public boolean expectContinue() {
      return request.expectContinue();
    }

    @Override
    public URI uri() {
      return request.uri();
    }

    @Override
    public Optional<HttpClient.Version> version() {
      return request.version();
    }

    @Override
    public java.net.http.HttpHeaders headers() {
      return headers;
    }

    @Override
    public String toString() {
      return request.toString();
    }
  }

  /**
   * Requests with tokens go through a client that never follows redirects by itself.
   *
   * @throws IOException after shutdown, when the twin was never built: the wrapped client must
   *     not take its place (on JDK 17 it would still run, and forward the token on redirects)
   */
  private HttpClient client() throws IOException {
    if (delegate.followRedirects() == HttpClient.Redirect.NEVER) {
      return delegate;
    }
    HttpClient twin = noRedirects;
    if (twin != null) {
      return twin;
    }
    twinLock.lock(); // builds threads, no I/O; one twin, never one after shutdown
    try {
      twin = noRedirects;
      if (twin != null) {
        return twin;
      }
      if (shutdown) {
        throw new IOException("the TokenHttpClient is shut down; build a new one");
      }
      HttpClient.Builder b = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
          .version(delegate.version()).sslContext(delegate.sslContext()).sslParameters(delegate.sslParameters());
      delegate.cookieHandler().ifPresent(b::cookieHandler);
      delegate.connectTimeout().ifPresent(b::connectTimeout);
      delegate.proxy().ifPresent(b::proxy);
      delegate.authenticator().ifPresent(b::authenticator);
      delegate.executor().ifPresent(b::executor);
      twin = b.build();
      noRedirects = twin;
      return twin;
    } finally {
      twinLock.unlock();
    }
  }

  // ------------------------------------------------------------------------------- lifecycle

  /** Starts an orderly shutdown of the wrapped client and the twin (JDK 21+; else only stops twins being built). */
  public void shutdown() {
    for (HttpClient client : stopBuildingTwins()) {
      invoke(SHUTDOWN, client);
    }
  }

  /** Shuts both clients down at once (JDK 21+), failing operations in flight. */
  public void shutdownNow() {
    for (HttpClient client : stopBuildingTwins()) {
      invoke(SHUTDOWN_NOW, client);
    }
  }

  /**
   * True when both clients have terminated after a shutdown. On JDK 17, where clients have no
   * lifecycle, true once {@link #shutdown} was called.
   */
  public boolean isTerminated() {
    if (IS_TERMINATED == null) {
      return shutdown;
    }
    HttpClient twin = noRedirects;
    return (Boolean) invoke(IS_TERMINATED, delegate) && (twin == null || (Boolean) invoke(IS_TERMINATED, twin));
  }

  /** Waits up to {@code duration} for both clients to terminate; true if they did. */
  public boolean awaitTermination(Duration duration) throws InterruptedException {
    if (AWAIT_TERMINATION == null) {
      return isTerminated();
    }
    long deadline = System.nanoTime() + Math.max(0, Math.min(duration.toNanos(), Long.MAX_VALUE / 2));
    if (!awaitTermination(delegate, duration)) {
      return false;
    }
    HttpClient twin = noRedirects;
    return twin == null || awaitTermination(twin, Duration.ofNanos(deadline - System.nanoTime()));
  }

  private List<HttpClient> stopBuildingTwins() {
    twinLock.lock();
    try {
      shutdown = true;
      HttpClient twin = noRedirects;
      return twin == null ? List.of(delegate) : List.of(delegate, twin);
    } finally {
      twinLock.unlock();
    }
  }

  private static boolean awaitTermination(HttpClient client, Duration duration) throws InterruptedException {
    try {
      return (Boolean) AWAIT_TERMINATION.invoke(client, duration);
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof InterruptedException) {
        throw (InterruptedException) e.getCause();
      }
      throw rethrow(e);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(e);
    }
  }

  private static @Nullable Object invoke(@Nullable Method method, HttpClient client) {
    if (method == null) {
      return null;
    }
    try {
      return method.invoke(client);
    } catch (InvocationTargetException e) {
      throw rethrow(e);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(e);
    }
  }

  private static RuntimeException rethrow(InvocationTargetException e) {
    Throwable cause = e.getCause();
    if (cause instanceof RuntimeException) {
      return (RuntimeException) cause;
    }
    if (cause instanceof Error) {
      throw (Error) cause;
    }
    return new IllegalStateException(cause);
  }

  private static @Nullable Method lifecycle(String name, Class<?>... parameters) {
    try {
      return HttpClient.class.getMethod(name, parameters);
    } catch (NoSuchMethodException e) {
      return null; // JDK 17-20: HttpClient has no lifecycle
    }
  }

  /**
   * Where an answer redirects to, if the wrapped client would follow it from {@code request} after
   * {@code hops} redirects (its redirect policy, at most {@link #MAX_REDIRECTS}, never https to http
   * under {@code NORMAL}); null when the answer goes back to the caller as it is.
   */
  private @Nullable URI followTarget(HttpRequest request, int status, java.net.http.HttpHeaders headers, int hops) {
    HttpClient.Redirect mode = delegate.followRedirects();
    if (mode == HttpClient.Redirect.NEVER || hops >= MAX_REDIRECTS || !isFollowed(status)) {
      return null;
    }
    Optional<String> location = headers.firstValue("Location");
    if (location.isEmpty()) {
      return null;
    }
    URI target;
    try {
      target = request.uri().resolve(location.get());
    } catch (IllegalArgumentException e) {
      return null;
    }
    String scheme = target.getScheme() == null ? "" : target.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https") || target.getHost() == null
        || mode == HttpClient.Redirect.NORMAL && scheme.equals("http")
            && "https".equalsIgnoreCase(request.uri().getScheme())) {
      return null;
    }
    return target;
  }

  /** The request for the redirect {@code hop} answered, as the wrapped client would follow it; or null. */
  private @Nullable HttpRequest redirect(Hop<?> hop, int hops) {
    URI target = followTarget(hop.request, hop.response.statusCode(), hop.response.headers(), hops);
    if (target == null) {
      return null;
    }
    int status = hop.response.statusCode();
    String method = hop.request.method();
    boolean toGet = status == 303 && !method.equals("HEAD") || (status == 301 || status == 302) && method.equals("POST");
    boolean crossOrigin = !TokenPolicy.sameOrigin(hop.request.uri(), target);
    // Authorization never goes on (the next hop gets its own origin's token, if any); cookies do not
    // cross origins (the client's CookieHandler supplies the right ones); a body's headers do not
    // outlive the body.
    HttpRequest.Builder next = HttpRequest.newBuilder(hop.request, (name, value) ->
        !name.equalsIgnoreCase("Authorization") && !name.equalsIgnoreCase("DPoP")
            && !(crossOrigin && name.equalsIgnoreCase("Cookie"))
            && !(toGet && (name.equalsIgnoreCase("Content-Type") || name.equalsIgnoreCase("Content-Encoding"))))
        .uri(target);
    if (toGet) {
      next.method("GET", HttpRequest.BodyPublishers.noBody());
    }
    closeBody(hop.response);
    return next.build();
  }

  private static boolean isFollowed(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
  }

  /**
   * Bodies of redirects that will be followed are discarded, as the JDK does; every other answer,
   * a redirect that is not followed included, goes to the caller's handler.
   */
  private <T> HttpResponse.BodyHandler<T> discardRedirects(HttpResponse.BodyHandler<T> handler,
      HttpRequest request, int hops) {
    if (delegate.followRedirects() == HttpClient.Redirect.NEVER) {
      return handler;
    }
    return info -> followTarget(request, info.statusCode(), info.headers(), hops) != null
        ? HttpResponse.BodySubscribers.replacing(null) : handler.apply(info);
  }

  /** Whether the request's body can be sent a second time. */
  static boolean replayable(HttpRequest request) {
    Optional<HttpRequest.BodyPublisher> body = request.bodyPublisher();
    if (body.isEmpty() || body.get().contentLength() == 0 || body.get() instanceof Replayable) {
      return true;
    }
    // The JDK's own publishers for strings, byte arrays and files produce the same bytes on every
    // subscription; ofInputStream and fromPublisher may not, so they are never sent twice.
    String name = body.get().getClass().getName();
    return name.startsWith("jdk.internal.net.http.RequestPublishers$")
        && (name.endsWith("$ByteArrayPublisher") || name.endsWith("$StringPublisher")
            || name.endsWith("$FilePublisher") || name.endsWith("$EmptyPublisher"));
  }

  private static void closeBody(HttpResponse<?> response) {
    if (response.body() instanceof AutoCloseable) {
      try {
        ((AutoCloseable) response.body()).close();
      } catch (Exception e) {
        // Closing only releases the connection; nothing to report.
      }
    }
  }

  /** A publisher the caller vouches for: same bytes on every subscription. */
  public static final class Replayable implements HttpRequest.BodyPublisher {
    private final HttpRequest.BodyPublisher delegate;

    public Replayable(HttpRequest.BodyPublisher delegate) {
      this.delegate = delegate;
    }

    @Override
    public long contentLength() {
      return delegate.contentLength();
    }

    @Override
    public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
      delegate.subscribe(subscriber);
    }
  }
}
