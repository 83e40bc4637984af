package dev.tokenkeeper.testing;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A resource server on 127.0.0.1 that checks Bearer JWTs the way a real API does: RS256 signature
 * against a {@link ScriptedTokenServer}'s key and {@code exp} against a clock the test shares with
 * the client, so token lifetimes pass without sleeping.
 *
 * <p>DPoP (RFC 9449): a request with {@code Authorization: DPoP <token>} is accepted only with a
 * {@code DPoP} proof that passes every check of section 4.3 (typ, signature by its {@code jwk},
 * {@code htm}, {@code htu} = this origin and the path, {@code iat} within 60 s of the real clock, a
 * {@code jti} never seen before, {@code ath}), with this API's nonce when {@link #requireDPoPNonce}
 * is on, and only when the token's {@code cnf.jkt} is the thumbprint of the proof's key. A failure
 * is a 401 with {@code WWW-Authenticate: DPoP error="invalid_token"}; a DPoP-bound token sent as
 * Bearer is rejected too.
 *
 * <ul>
 *   <li>{@code /api/...} (any method) needs a valid token: 200 with body {@code ok <subject>
 *       <request body length>}, else 401 with {@code WWW-Authenticate: Bearer
 *       error="invalid_token"}. {@code /api/admin/...} also needs scope {@code admin}: 403 {@code
 *       insufficient_scope} otherwise.
 *   <li>{@code /redirect?status=307&location=<url-encoded URI>} answers that redirect, no token
 *       needed, with the body {@code redirect to <URI>}.
 *   <li>{@code /challenge?www=<url-encoded value>&www=...} answers 401 with one {@code
 *       WWW-Authenticate} field per {@code www} value ({@link #challenge}), whatever the token.
 *   <li>Anything else: 200 {@code open}, no token needed (a stand-in for "another server").
 * </ul>
 *
 * {@link #revoke(String)} makes the API reject one unexpired token (server-side revocation); {@link
 * #rejectAll(boolean)} rejects every token; {@link #holdNext()} holds the next {@code /api} request
 * after it arrived and before its token is checked. Every {@code Authorization} header received is
 * recorded. Thread-safe; each request is served on a daemon thread of its own pool; {@link
 * #close()} stops at once.
 */
public final class ScriptedApiServer implements AutoCloseable {
  /** How many {@code Authorization} headers {@link #authorizations()} keeps (the first ones). */
  public static final int MAX_RECORDED = 10_000;

  private final @Nullable RSAPublicKey key;
  private final InstantSource clock;
  private final HttpServer http;
  private final ExecutorService executor;
  private final Set<String> revoked = ConcurrentHashMap.newKeySet();
  private final List<String> authorizations = Collections.synchronizedList(new ArrayList<>());
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicInteger accepted = new AtomicInteger();
  private final AtomicInteger rejected = new AtomicInteger();
  private volatile boolean rejectAll;
  private final DPoPState dpop = new DPoPState();
  private final java.util.concurrent.atomic.AtomicReference<@Nullable Held> held =
      new java.util.concurrent.atomic.AtomicReference<>();

  private ScriptedApiServer(@Nullable RSAPublicKey key, InstantSource clock) {
    this.key = key;
    this.clock = clock;
    try {
      http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind a loopback port", e);
    }
    AtomicInteger n = new AtomicInteger();
    executor = Executors.newCachedThreadPool(task -> {
      Thread t = new Thread(task, "scripted-api-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    http.setExecutor(executor);
    http.createContext("/", this::handle);
    http.start();
  }

  /**
   * Starts an API that accepts tokens signed by {@code issuer} and not expired on {@code clock}.
   *
   * @throws UncheckedIOException if no loopback port can be bound
   */
  public static ScriptedApiServer start(ScriptedTokenServer issuer, InstantSource clock) {
    return new ScriptedApiServer(Objects.requireNonNull(issuer, "issuer").publicKey(),
        Objects.requireNonNull(clock, "clock"));
  }

  /**
   * Starts an API that accepts tokens signed with {@code accessTokenKey} (another authorization
   * server's RS256 key, such as one from its JWK set) and not expired on {@code clock}.
   *
   * @throws UncheckedIOException if no loopback port can be bound
   */
  public static ScriptedApiServer start(RSAPublicKey accessTokenKey, InstantSource clock) {
    return new ScriptedApiServer(Objects.requireNonNull(accessTokenKey, "accessTokenKey"),
        Objects.requireNonNull(clock, "clock"));
  }

  /** Starts a server that accepts no token at all: the "other origin" that must never get one. */
  public static ScriptedApiServer startOther() {
    return new ScriptedApiServer(null, InstantSource.system());
  }

  /** Returns {@code http://127.0.0.1:<port>}, this server's origin. */
  public URI origin() {
    return URI.create("http://127.0.0.1:" + http.getAddress().getPort());
  }

  /** Returns the URI of {@code path} on this server. */
  public URI uri(String path) {
    return origin().resolve(path);
  }

  /** Returns a URI here that redirects with {@code status} to {@code location}. */
  public URI redirect(int status, URI location) {
    return uri("/redirect?status=" + status + "&location="
        + java.net.URLEncoder.encode(location.toString(), StandardCharsets.UTF_8));
  }

  /**
   * Returns a URI here answered with 401 and one {@code WWW-Authenticate} field per value, in
   * order, whatever the request carries: a server that challenges another scheme ({@code Basic}),
   * or several.
   */
  public URI challenge(String... wwwAuthenticate) {
    StringBuilder query = new StringBuilder("/challenge?");
    for (String value : wwwAuthenticate) {
      query.append(query.length() > "/challenge?".length() ? "&" : "").append("www=")
          .append(java.net.URLEncoder.encode(value, StandardCharsets.UTF_8));
    }
    return uri(query.toString());
  }

  /**
   * Holds the next {@code /api} request once it has arrived (its {@code Authorization} recorded)
   * and before its token is checked, until {@link Held#release()}: a request on the wire while the
   * test changes tokens (a 401 that arrives late).
   *
   * @throws IllegalStateException if a hold is already waiting for its request
   */
  public Held holdNext() {
    Held hold = new Held();
    if (!held.compareAndSet(null, hold)) {
      throw new IllegalStateException("a hold is already set; release it first");
    }
    return hold;
  }

  /** A request held by {@link #holdNext()}. Thread-safe. */
  public static final class Held {
    private final java.util.concurrent.CountDownLatch arrived = new java.util.concurrent.CountDownLatch(1);
    private final java.util.concurrent.CountDownLatch released = new java.util.concurrent.CountDownLatch(1);

    private Held() {}

    /**
     * Waits until the held request has arrived.
     *
     * @return {@code true} if it arrived within {@code timeout}
     * @throws InterruptedException if interrupted while waiting
     */
    public boolean awaitArrival(java.time.Duration timeout) throws InterruptedException {
      return arrived.await(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** Lets the held request go on; idempotent. */
    public void release() {
      released.countDown();
    }
  }

  /** Rejects {@code token} from now on although it has not expired. */
  public void revoke(String token) {
    revoked.add(Objects.requireNonNull(token, "token"));
  }

  /** Rejects every token while {@code reject} is true. */
  public void rejectAll(boolean reject) {
    this.rejectAll = reject;
  }

  /**
   * Sets whether {@code DPoP} requests must carry this API's nonce (RFC 9449 section 9): a proof
   * without it is answered 401 {@code WWW-Authenticate: DPoP error="use_dpop_nonce"} with a {@code
   * DPoP-Nonce} header. Default false.
   */
  public void requireDPoPNonce(boolean require) {
    dpop.requireNonce = require;
  }

  /** Returns how many requests were answered {@code use_dpop_nonce}. */
  public int dpopNonceChallenges() {
    return dpop.nonceChallenges.get();
  }

  /** Returns how many {@code DPoP} requests passed every proof and binding check. */
  public int dpopAccepted() {
    return dpop.accepted.get();
  }

  /**
   * Returns how many requests failed a DPoP check (proof, replayed {@code jti}, binding, or a bound
   * token sent as Bearer).
   */
  public int dpopFailures() {
    return dpop.invalidProofs.get();
  }

  /** Returns how many DPoP proofs repeated a {@code jti} (each one also counts as a failure). */
  public int dpopReplays() {
    return dpop.verifier.replays();
  }

  /** Returns why the last DPoP check failed, or null: for assertion messages. */
  public @Nullable String lastDPoPFailure() {
    return dpop.lastFailure();
  }

  /** Returns the {@code Authorization} header values received, in order; the first {@link #MAX_RECORDED}. */
  public List<String> authorizations() {
    synchronized (authorizations) {
      return List.copyOf(authorizations);
    }
  }

  /** Returns how many requests arrived. */
  public int requests() {
    return requests.get();
  }

  /** Returns how many {@code /api} requests were answered 200. */
  public int accepted() {
    return accepted.get();
  }

  /** Returns how many {@code /api} requests were answered 401. */
  public int rejected() {
    return rejected.get();
  }

  @Override
  public void close() {
    Held hold = held.getAndSet(null);
    if (hold != null) {
      hold.release();
    }
    http.stop(0);
    executor.shutdownNow();
  }

  @Override
  public String toString() {
    return "ScriptedApiServer[" + origin() + "]";
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      requests.incrementAndGet();
      byte[] body = exchange.getRequestBody().readAllBytes();
      String authorization = exchange.getRequestHeaders().getFirst("Authorization");
      if (authorization != null) {
        synchronized (authorizations) {
          if (authorizations.size() < MAX_RECORDED) { // bounded, so long soaks do not fill the heap
            authorizations.add(authorization);
          }
        }
      }
      String path = exchange.getRequestURI().getPath();
      if (path.equals("/redirect")) {
        Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
        exchange.getResponseHeaders().set("Location", query.get("location"));
        respond(exchange, Integer.parseInt(query.get("status")), "redirect to " + query.get("location"));
        return;
      }
      if (path.equals("/challenge")) {
        for (String value : queryValues(exchange.getRequestURI().getRawQuery(), "www")) {
          exchange.getResponseHeaders().add("WWW-Authenticate", value);
        }
        respond(exchange, 401, "challenged");
        return;
      }
      if (!path.startsWith("/api/")) {
        respond(exchange, 200, "open");
        return;
      }
      Held hold = held.getAndSet(null);
      if (hold != null) {
        hold.arrived.countDown();
        try {
          hold.released.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return; // closing: the exchange is closed unanswered
        }
      }
      boolean dpopScheme = authorization != null && authorization.regionMatches(true, 0, "DPoP ", 0, 5);
      JWTClaimsSet claims;
      if (dpopScheme) {
        String token = authorization.substring(5);
        DPoPProofVerifier.Check check = dpop.verifier.verify(exchange.getRequestHeaders().getFirst("DPoP"),
            exchange.getRequestMethod(), DPoPProofVerifier.htu(origin().toString(), path), token, dpop.requiredNonce());
        if (check.nonceRequired()) {
          // RFC 9449 section 9: not a rejection of the token; the client retries with the nonce.
          dpop.nonceChallenges.incrementAndGet();
          exchange.getResponseHeaders().set("WWW-Authenticate",
              "DPoP algs=\"ES256 RS256 PS256\", error=\"use_dpop_nonce\", error_description=\"a nonce is required\"");
          exchange.getResponseHeaders().set("DPoP-Nonce", dpop.nonce);
          respond(exchange, 401, "use_dpop_nonce");
          return;
        }
        claims = check.ok() ? verify(token) : null;
        if (!check.ok()) {
          dpop.failed(check.failure());
        } else if (claims != null && !check.jkt().equals(boundTo(claims))) {
          dpop.failed("cnf.jkt is not the thumbprint of the proof's key");
          claims = null;
        }
        if (claims != null) {
          dpop.accepted.incrementAndGet();
        }
      } else {
        claims = authorization != null && authorization.startsWith("Bearer ")
            ? verify(authorization.substring("Bearer ".length())) : null;
        if (claims != null && boundTo(claims) != null) {
          dpop.failed("a DPoP-bound token sent as a Bearer token");
          claims = null; // RFC 9449 section 7.2: a bound token is never a bearer token
        }
      }
      if (claims == null) {
        rejected.incrementAndGet();
        exchange.getResponseHeaders().set("WWW-Authenticate", dpopScheme
            ? "DPoP algs=\"ES256 RS256 PS256\", error=\"invalid_token\", error_description=\"invalid proof or binding\""
            : "Bearer realm=\"api\", error=\"invalid_token\", error_description=\"expired, revoked or invalid\"");
        respond(exchange, 401, "invalid_token");
        return;
      }
      if (path.startsWith("/api/admin/") && !scopes(claims).contains("admin")) {
        exchange.getResponseHeaders().set("WWW-Authenticate",
            "Bearer realm=\"api\", error=\"insufficient_scope\", scope=\"admin\"");
        respond(exchange, 403, "insufficient_scope");
        return;
      }
      accepted.incrementAndGet();
      respond(exchange, 200, "ok " + claims.getSubject() + " " + body.length);
    }
  }

  private @Nullable JWTClaimsSet verify(String token) {
    if (key == null || rejectAll) {
      return null;
    }
    if (revoked.contains(token)) {
      return null;
    }
    try {
      SignedJWT jwt = SignedJWT.parse(token);
      if (!jwt.verify(new RSASSAVerifier(key))) {
        return null;
      }
      JWTClaimsSet claims = jwt.getJWTClaimsSet();
      if (claims.getExpirationTime() == null || !clock.instant().isBefore(claims.getExpirationTime().toInstant())) {
        return null;
      }
      return claims;
    } catch (ParseException | JOSEException | RuntimeException e) {
      return null;
    }
  }

  /** The {@code cnf.jkt} a DPoP-bound token carries, or null. */
  private static @Nullable String boundTo(JWTClaimsSet claims) {
    Object cnf = claims.getClaim("cnf");
    Object jkt = cnf instanceof Map ? ((Map<?, ?>) cnf).get("jkt") : null;
    return jkt instanceof String ? (String) jkt : null;
  }

  private static Set<String> scopes(JWTClaimsSet claims) {
    Object scope = claims.getClaim("scope");
    return scope instanceof String ? Set.of(((String) scope).split(" ")) : Set.of();
  }

  private static Map<String, String> query(@Nullable String raw) {
    Map<String, String> out = new HashMap<>();
    if (raw != null) {
      for (String pair : raw.split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0) {
          out.put(pair.substring(0, eq), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
      }
    }
    return out;
  }

  private static List<String> queryValues(@Nullable String raw, String name) {
    List<String> out = new ArrayList<>();
    if (raw != null) {
      for (String pair : raw.split("&")) {
        if (pair.startsWith(name + "=")) {
          out.add(URLDecoder.decode(pair.substring(name.length() + 1), StandardCharsets.UTF_8));
        }
      }
    }
    return out;
  }

  private static void respond(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
  }
}
