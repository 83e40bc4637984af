package dev.tokenkeeper.spring.boot;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * A resource server on 127.0.0.1 that checks each Bearer JWT against its issuer's JWK set and its
 * {@code exp} against the real clock, allowing {@code skew} past it as every resource server allows
 * some (Spring Security's default is 60 s for tokens of minutes), and counts what it saw. Expiry is
 * judged when the request arrived, or, if the request carries {@link #SENT_AT}, when the client
 * sent it, whichever is earlier. answers by {@code X-Via} (which client
 * kind sent the request) and method, and every distinct token it accepted. {@link #revokeNewest()}
 * is a server-side revocation: the newest accepted token is refused from then on although it has
 * not expired. {@code /api/**}: 200 {@code ok <subject> <body length>} or 401 {@code Bearer
 * error="invalid_token"}. Thread-safe.
 */
final class CountingApi implements AutoCloseable {
  /** Header with the instant (epoch millis) a request left the client, after its token was attached. */
  static final String SENT_AT = "X-Sent-At";
  /**
   * Header naming a request, the same on its retry. A request meets at most one revocation: once
   * refused for a revoked token, its retry is not refused for another revocation. (On a loaded
   * machine a request can take seconds: without this, its retry's token could be the newest one the
   * next revocation picks, and a client with one retry, as every adapter has, would fail it.)
   */
  static final String REQUEST = "X-Request";
  private final Map<String, String> firstRevocation = new ConcurrentHashMap<>();
  private final JWKSet keys;
  private final HttpServer http;
  private final ExecutorService executor;
  private final Set<String> accepted = ConcurrentHashMap.newKeySet();
  private final Set<String> revoked = ConcurrentHashMap.newKeySet();
  private final Map<String, LongAdder> answers = new ConcurrentHashMap<>();
  private final Duration skew;
  private volatile String newest = "";
  private final Map<String, LongAdder> refusals = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicLong latestMillisPastExpiry = new java.util.concurrent.atomic.AtomicLong();

  CountingApi(JWKSet keys, Duration skew) {
    this.keys = keys;
    this.skew = skew;
    try {
      http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    AtomicInteger n = new AtomicInteger();
    executor = Executors.newCachedThreadPool(task -> {
      Thread t = new Thread(task, "counting-api-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    http.setExecutor(executor);
    http.createContext("/", this::handle);
    http.start();
  }

  URI origin() {
    return URI.create("http://127.0.0.1:" + http.getAddress().getPort());
  }

  /** Distinct tokens accepted so far. */
  int acceptedTokens() {
    return accepted.size();
  }

  /** Tokens revoked so far. */
  int revocations() {
    return revoked.size();
  }

  /** Refuses the newest accepted token from now on; returns how many tokens are revoked. */
  int revokeNewest() {
    revoked.add(newest);
    return revoked.size();
  }

  /** Answers with {@code status} to requests from {@code via} with {@code method}. */
  long answers(String via, String method, int status) {
    LongAdder n = answers.get(via + " " + method + " " + status);
    return n == null ? 0 : n.sum();
  }

  /** Answers with {@code status} to requests from {@code via}, any method. */
  long answers(String via, int status) {
    return answers(via, "GET", status) + answers(via, "POST", status);
  }

  /** Refusals by reason ({@code revoked}, {@code expired}), and how late the latest token came. */
  String refusals() {
    return refusals + ", latest " + latestMillisPastExpiry.get() + " ms past exp";
  }

  /** Requests refused for {@code reason} ({@code revoked}, {@code expired}). */
  long refusals(String reason) {
    LongAdder n = refusals.get(reason);
    return n == null ? 0 : n.sum();
  }

  private void refused(String reason) {
    refusals.computeIfAbsent(reason, k -> new LongAdder()).increment();
  }

  @Override
  public void close() {
    http.stop(0);
    executor.shutdownNow();
  }

  private void handle(HttpExchange exchange) throws IOException {
    Instant arrived = Instant.now();
    try (exchange) {
      byte[] body = exchange.getRequestBody().readAllBytes();
      String via = String.valueOf(exchange.getRequestHeaders().getFirst("X-Via"));
      String sentAt = exchange.getRequestHeaders().getFirst(SENT_AT);
      Instant judgedAt = sentAt == null ? arrived : Instant.ofEpochMilli(Math.min(Long.parseLong(sentAt), arrived.toEpochMilli()));
      String subject = subject(exchange.getRequestHeaders().getFirst("Authorization"), judgedAt,
          exchange.getRequestHeaders().getFirst(REQUEST));
      int status = subject == null ? 401 : 200;
      answers.computeIfAbsent(via + " " + exchange.getRequestMethod() + " " + status, k -> new LongAdder()).increment();
      if (subject == null) {
        exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      }
      byte[] answer = (subject == null ? "invalid_token" : "ok " + subject + " " + body.length)
          .getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
      exchange.sendResponseHeaders(status, answer.length);
      exchange.getResponseBody().write(answer);
    }
  }

  private String subject(String authorization, Instant now, String request) {
    if (authorization == null || !authorization.startsWith("Bearer ")) {
      return null;
    }
    String token = authorization.substring("Bearer ".length());
    if (revoked.contains(token)) {
      String first = request == null ? null : firstRevocation.putIfAbsent(request, token);
      if (first == null || first.equals(token)) {
        refused("revoked"); // the first revocation this request meets, or the same token sent again
        return null;
      }
      refused("revoked-spared"); // counted, not refused: a second revocation on the same request
    }
    try {
      SignedJWT jwt = SignedJWT.parse(token);
      JWK key = keys.getKeyByKeyId(jwt.getHeader().getKeyID());
      if (key == null || !jwt.verify(new RSASSAVerifier(key.toRSAKey()))) {
        return null;
      }
      Instant expiry = jwt.getJWTClaimsSet().getExpirationTime().toInstant();
      if (now.isAfter(expiry)) {
        latestMillisPastExpiry.accumulateAndGet(Duration.between(expiry, now).toMillis(), Math::max);
      }
      if (!now.isBefore(expiry.plus(skew))) {
        refused("expired");
        return null;
      }
      if (accepted.add(token)) {
        newest = token;
      }
      return jwt.getJWTClaimsSet().getSubject();
    } catch (ParseException | JOSEException | RuntimeException e) {
      return null;
    }
  }
}
