package dev.tokenkeeper.demo;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A small API and auth server of the kind applications really run, on loopback, in this JVM:
 *
 * <ul>
 *   <li>{@code POST /auth/login} {@code {"username", "password"}} → {@code {"accessToken",
 *       "refreshToken"}}: an RS256 JWT with {@code exp = iat + ttl}, and a random refresh token
 *       that starts a new family; 401 {@code invalid_credentials} for a wrong password.
 *   <li>{@code POST /auth/refresh} {@code {"refreshToken"}} → a new pair. Refresh tokens rotate
 *       with reuse detection: presenting a retired one revokes its whole family and answers 401
 *       {@code {"error":"refresh_token_reused"}}; a token of a revoked family gets 401 {@code
 *       refresh_token_revoked}, an unknown one 401 {@code invalid_refresh_token}.
 *   <li>{@code GET /api/items} needs {@code Authorization: Bearer <valid JWT>} (signature and
 *       {@code exp} checked against the injected clock, no leeway); otherwise 401 with {@code
 *       WWW-Authenticate: Bearer error="invalid_token"}.
 * </ul>
 *
 * Every request may name its client in {@value #CLIENT_HEADER}; {@link #counts} reports per client.
 *
 * <p>Thread-safe. Requests run on a cached pool of daemon threads: one per request in progress, so a
 * client's concurrency is never capped by the server. (Measured with 3 × 50 workers on 2 cores: a
 * fixed pool of 4 or 8 threads gives the same throughput and latency, and the keeper's refresh
 * still takes 15 to 100 ms under full load.) {@link #close()} stops it at once.
 *
 * <p>Loading this class sets two system properties of the JDK server unless they are set already:
 * {@code sun.net.httpserver.nodelay=true} (else every response waits about 40 ms for a delayed ACK)
 * and {@code sun.net.httpserver.maxIdleConnections=4096} (else, past 200 connections, the server
 * closes keep-alive connections that clients then try to reuse).
 */
public final class DemoServer implements AutoCloseable {
  /** The request header that says which demo client sent a request. */
  public static final String CLIENT_HEADER = "X-Demo-Client";

  static {
    // The JDK server sends a response's headers and body in separate small packets. With Nagle's
    // algorithm on, the second waits for the client's delayed ACK: 40 ms per request, and the demo
    // would measure TCP, not tokens.
    setIfAbsent("sun.net.httpserver.nodelay", "true");
    // Past 200 idle keep-alive connections the JDK server closes each connection after its answer,
    // and a client that reuses one gets "header parser received no bytes": a failure the demo
    // would blame on the client. 3 clients × 500 workers need 1,500.
    setIfAbsent("sun.net.httpserver.maxIdleConnections", "4096");
  }

  /** The JDK reads these properties once, when the first server in the JVM is created. */
  private static void setIfAbsent(String property, String value) {
    if (System.getProperty(property) == null) {
      System.setProperty(property, value);
    }
  }

  private final HttpServer server;
  private final ExecutorService handlers;
  private final AccessTokens accessTokens;
  private final RefreshTokens refreshTokens = new RefreshTokens();
  private final ServerCounters counters = new ServerCounters();
  private final Map<String, String> passwords;
  private final Consumer<String> beforeRefresh;

  /**
   * What the server saw from one client.
   *
   * @param logins calls to {@code /auth/login}
   * @param refreshCalls calls to {@code /auth/refresh}
   * @param refreshRejected refresh calls answered 401 (reuse detections included)
   * @param reuseDetections refresh calls that presented a retired token and revoked its family
   * @param apiCalls calls to {@code /api/items}
   * @param apiRejected API calls answered 401
   */
  public record ClientCounts(long logins, long refreshCalls, long refreshRejected,
      long reuseDetections, long apiCalls, long apiRejected) {}

  private DemoServer(Builder b) throws IOException {
    this.accessTokens = new AccessTokens(b.clock, b.ttl);
    this.passwords = Map.copyOf(b.passwords);
    this.beforeRefresh = b.beforeRefresh;
    // The backlog holds a burst of a few hundred connects (150 workers open theirs at once).
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 512);
    AtomicInteger threads = new AtomicInteger();
    this.handlers = Executors.newCachedThreadPool(task -> {
      Thread t = new Thread(task, "demo-server-" + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(handlers);
    server.createContext("/auth/login", handle("POST", this::login));
    server.createContext("/auth/refresh", handle("POST", this::refresh));
    server.createContext("/api/items", handle("GET", this::items));
    server.start();
  }

  /** Returns a builder; {@link Builder#start()} starts the server. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** Returns {@code http://127.0.0.1:<port>/}. */
  public URI baseUri() {
    return URI.create("http://" + server.getAddress().getAddress().getHostAddress() + ":"
        + server.getAddress().getPort() + "/");
  }

  /** Returns what the server has seen so far from {@code client} (all zero for a stranger). */
  public ClientCounts counts(String client) {
    return counters.of(client).snapshot();
  }

  /** Whether {@code user} still has a session whose refresh token works (not revoked by reuse detection). */
  public boolean sessionAlive(String user) {
    return refreshTokens.hasLiveFamily(user);
  }

  /**
   * The shortest time between two successful refreshes of any clients, in milliseconds; -1 with
   * fewer than two. Two refreshes close together mean two parties refreshed the same token.
   */
  public long shortestRefreshGapMillis() {
    return counters.shortestRotationGapMillis();
  }

  /** Stops the server at once; requests in progress are cut off. Idempotent. */
  @Override
  public void close() {
    server.stop(0);
    handlers.shutdownNow();
  }

  // ------------------------------------------------------------------------------------ routes

  private Reply login(HttpExchange exchange, ServerCounters.Counters counts) throws IOException {
    counts.logins.increment();
    Map<String, Object> body = JsonExchange.readJson(exchange);
    String user = body == null ? null : JsonExchange.string(body, "username");
    String password = body == null ? null : JsonExchange.string(body, "password");
    if (user == null || password == null) {
      return Reply.error(400, "invalid_request");
    }
    if (!password.equals(passwords.get(user))) {
      return Reply.error(401, "invalid_credentials");
    }
    return Reply.tokens(accessTokens.issue(user), refreshTokens.startFamily(user));
  }

  private Reply refresh(HttpExchange exchange, ServerCounters.Counters counts) throws IOException {
    counts.refreshCalls.increment();
    Map<String, Object> body = JsonExchange.readJson(exchange);
    String presented = body == null ? null : JsonExchange.string(body, "refreshToken");
    if (presented == null) {
      return Reply.error(400, "invalid_request");
    }
    beforeRefresh.accept(clientOf(exchange));
    RefreshTokens.Rotation rotation = refreshTokens.rotate(presented);
    switch (rotation.status()) {
      case ROTATED:
        counters.rotatedAt(accessTokens.clockMillis());
        return Reply.tokens(accessTokens.issue(Objects.requireNonNull(rotation.user())),
            Objects.requireNonNull(rotation.next()));
      case REUSED:
        counts.reuseDetections.increment();
        counts.refreshRejected.increment();
        return Reply.error(401, "refresh_token_reused");
      case REVOKED:
        counts.refreshRejected.increment();
        return Reply.error(401, "refresh_token_revoked");
      default:
        counts.refreshRejected.increment();
        return Reply.error(401, "invalid_refresh_token");
    }
  }

  private Reply items(HttpExchange exchange, ServerCounters.Counters counts) {
    counts.apiCalls.increment();
    String authorization = exchange.getRequestHeaders().getFirst("Authorization");
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      counts.apiRejected.increment();
      // RFC 6750 3.1: a request without credentials gets no error code.
      return Reply.unauthorized("Bearer realm=\"demo\"");
    }
    String problem = accessTokens.problemWith(authorization.substring(7).trim());
    if (problem != null) {
      counts.apiRejected.increment();
      return Reply.unauthorized("Bearer realm=\"demo\", error=\"invalid_token\", error_description=\""
          + problem + "\"");
    }
    return Reply.json(200, Map.of("items", List.of("apple", "banana", "cherry")));
  }

  // ------------------------------------------------------------------------------------- plumbing

  private interface Route {
    Reply answer(HttpExchange exchange, ServerCounters.Counters counts) throws IOException;
  }

  private HttpHandler handle(String method, Route route) {
    return exchange -> {
      try (exchange) {
        Reply reply;
        if (!exchange.getRequestMethod().equals(method)) {
          reply = new Reply(405, Map.of("Allow", method), "{\"error\":\"method_not_allowed\"}");
        } else {
          try {
            reply = route.answer(exchange, counters.of(clientOf(exchange)));
          } catch (RuntimeException e) {
            reply = Reply.error(500, "server_error");
          }
        }
        JsonExchange.send(exchange, reply);
      }
    };
  }

  private static String clientOf(HttpExchange exchange) {
    String client = exchange.getRequestHeaders().getFirst(CLIENT_HEADER);
    return client == null || client.isBlank() ? "unknown" : client;
  }

  /**
   * Builds and starts a {@link DemoServer}. Every setter checks its argument. Not thread-safe.
   */
  public static final class Builder {
    private InstantSource clock = InstantSource.system();
    private Duration ttl = Duration.ofSeconds(3);
    private final Map<String, String> passwords = new LinkedHashMap<>();
    private Consumer<String> beforeRefresh = client -> {};

    private Builder() {}

    /** The clock that issues and checks access tokens (default the system clock). */
    public Builder clock(InstantSource clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * The lifetime of access tokens (default 3 s).
     *
     * @throws IllegalArgumentException unless it is a whole number of seconds, at least 1
     */
    public Builder accessTokenTtl(Duration ttl) {
      Objects.requireNonNull(ttl, "ttl");
      if (ttl.getSeconds() < 1 || ttl.getNano() != 0) {
        throw new IllegalArgumentException(
            "access token TTL must be a whole number of seconds, at least 1 (JWT exp is in seconds): " + ttl);
      }
      this.ttl = ttl;
      return this;
    }

    /**
     * Adds a user who may log in.
     *
     * @throws IllegalArgumentException if the username is blank or the password empty
     */
    public Builder user(String username, String password) {
      Objects.requireNonNull(username, "username");
      Objects.requireNonNull(password, "password");
      if (username.isBlank() || password.isEmpty()) {
        throw new IllegalArgumentException("username must not be blank and password not empty");
      }
      passwords.put(username, password);
      return this;
    }

    /**
     * Runs {@code hook} with the client's name on the handler thread of each {@code /auth/refresh}
     * call, before the refresh token is looked at. Tests use it to hold refreshes in flight.
     */
    Builder beforeRefresh(Consumer<String> hook) {
      this.beforeRefresh = Objects.requireNonNull(hook, "hook");
      return this;
    }

    /**
     * Binds a random port on 127.0.0.1 and starts serving.
     *
     * @throws IllegalStateException when no user was added
     * @throws IOException when the port cannot be bound
     */
    public DemoServer start() throws IOException {
      if (passwords.isEmpty()) {
        throw new IllegalStateException("add at least one user(...) or nobody can log in");
      }
      return new DemoServer(this);
    }
  }
}
