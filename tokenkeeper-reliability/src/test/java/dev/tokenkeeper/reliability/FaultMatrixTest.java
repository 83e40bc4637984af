package dev.tokenkeeper.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenkeeper.AccessToken;
import dev.tokenkeeper.OAuth2TokenEndpoint;
import dev.tokenkeeper.ReauthenticationRequiredException;
import dev.tokenkeeper.StoredTokens;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenListener;
import dev.tokenkeeper.TokenRefreshException;
import dev.tokenkeeper.TokenResponse;
import dev.tokenkeeper.TokenSource;
import dev.tokenkeeper.TokenStore;
import dev.tokenkeeper.testing.Fault;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every token endpoint fault × {token still valid, token expired} × 100 concurrent callers, on real
 * time with short deadlines. Each cell asserts that every caller finishes within its deadline with
 * a token or the documented typed exception, that no thread is left waiting, and that the endpoint
 * was called no more often than the backoff allows. The whole matrix runs with logging at the
 * lowest level; afterwards every captured line, exception and {@code toString} is searched for
 * the exact values of every token, refresh token and the client secret. The table goes to
 * {@code target/fault-matrix.md} (copied into RELIABILITY.md).
 */
class FaultMatrixTest {
  private static final int CALLERS = 100;
  private static final Duration DEADLINE = Duration.ofSeconds(2);
  private static final Duration SLACK = Duration.ofMillis(1_500); // scheduling on a loaded 2-core box
  private static final Duration TTL = Duration.ofSeconds(60);
  private static final Duration BACKOFF = Duration.ofMillis(500);
  private static final Duration BACKOFF_MAX = Duration.ofSeconds(2);
  private static final String CLIENT_SECRET = "matrix-secret-5be1c2";

  private static final LogCapture capture = new LogCapture();
  private static final Set<String> secrets = ConcurrentHashMap.newKeySet();
  private static final Map<String, String> rows = new TreeMap<>();
  private static ExecutorService callers;

  /** What every caller of a cell must end with. */
  enum Expect {
    CURRENT_TOKEN, NEW_TOKEN, TEMPORARY_FAILURE, REAUTHENTICATE
  }

  enum State {
    VALID, EXPIRED
  }

  /** How the cell breaks the token endpoint. */
  record Breakage(String name, Fault fault, Endpoint endpoint, Duration clockJump, Duration retryAfter) {
    static Breakage fault(String name, Fault fault) {
      return new Breakage(name, fault, Endpoint.SERVER, Duration.ZERO, Duration.ZERO);
    }

    @Override
    public String toString() {
      return name;
    }
  }

  enum Endpoint {
    SERVER, REFUSING, NOT_ACCEPTING
  }

  static Stream<Arguments> cells() {
    Fault none = Fault.delay(Duration.ZERO);
    List<Arguments> cells = new ArrayList<>();
    Object[][] table = {
        {new Breakage("connection refused", none, Endpoint.REFUSING, Duration.ZERO, Duration.ZERO), Expect.CURRENT_TOKEN, Expect.TEMPORARY_FAILURE},
        {new Breakage("connect timeout", none, Endpoint.NOT_ACCEPTING, Duration.ZERO, Duration.ZERO), Expect.CURRENT_TOKEN, Expect.TEMPORARY_FAILURE},
        {Breakage.fault("slow response past the deadline", Fault.delay(Duration.ofSeconds(5))), Expect.CURRENT_TOKEN, Expect.TEMPORARY_FAILURE},
        {Breakage.fault("connection reset mid-response", Fault.resetMidResponse()), Expect.CURRENT_TOKEN, Expect.TEMPORARY_FAILURE},
        {Breakage.fault("connection dropped before answering", Fault.dropConnection()), Expect.CURRENT_TOKEN, Expect.TEMPORARY_FAILURE},
        {Breakage.fault("500", Fault.status(500)), Expect.CURRENT_TOKEN, Expect.TEMPORARY_FAILURE},
        {new Breakage("503 + Retry-After 3 s", Fault.retryAfter(503, Duration.ofSeconds(3)), Endpoint.SERVER, Duration.ZERO, Duration.ofSeconds(3)), Expect.CURRENT_TOKEN, Expect.TEMPORARY_FAILURE},
        {new Breakage("429 + Retry-After 3 s", Fault.retryAfter(429, Duration.ofSeconds(3)), Endpoint.SERVER, Duration.ZERO, Duration.ofSeconds(3)), Expect.CURRENT_TOKEN, Expect.TEMPORARY_FAILURE},
        {Breakage.fault("HTML error page (502)", Fault.html(502)), Expect.CURRENT_TOKEN, Expect.TEMPORARY_FAILURE},
        {Breakage.fault("HTML page with 200", Fault.html(200)), Expect.CURRENT_TOKEN, Expect.TEMPORARY_FAILURE},
        {Breakage.fault("malformed JSON", Fault.malformedJson()), Expect.CURRENT_TOKEN, Expect.TEMPORARY_FAILURE},
        {Breakage.fault("JSON without access_token", Fault.json(200, "{\"token_type\":\"Bearer\",\"expires_in\":60}")), Expect.CURRENT_TOKEN, Expect.TEMPORARY_FAILURE},
        {Breakage.fault("invalid_grant", Fault.invalidGrant()), Expect.CURRENT_TOKEN, Expect.REAUTHENTICATE},
        {Breakage.fault("invalid_client", Fault.invalidClient()), Expect.CURRENT_TOKEN, Expect.REAUTHENTICATE},
        {Breakage.fault("401 from the endpoint", Fault.status(401)), Expect.CURRENT_TOKEN, Expect.REAUTHENTICATE},
        {Breakage.fault("no new refresh token (old one kept)", Fault.omitRefreshToken()), Expect.CURRENT_TOKEN, Expect.NEW_TOKEN},
        {new Breakage("client clock jumps forward 1 h", none, Endpoint.SERVER, Duration.ofHours(1), Duration.ZERO), Expect.NEW_TOKEN, Expect.NEW_TOKEN},
        {new Breakage("client clock jumps back 1 h", none, Endpoint.SERVER, Duration.ofHours(-1), Duration.ZERO), Expect.CURRENT_TOKEN, Expect.CURRENT_TOKEN},
    };
    for (Object[] row : table) {
      cells.add(Arguments.of(row[0], State.VALID, row[1]));
      cells.add(Arguments.of(row[0], State.EXPIRED, row[2]));
    }
    return cells.stream();
  }

  @BeforeAll
  static void start() {
    capture.install();
    secrets.add(CLIENT_SECRET);
    callers = Executors.newFixedThreadPool(CALLERS, r -> {
      Thread t = new Thread(r, "matrix-caller");
      t.setDaemon(true);
      return t;
    });
  }

  @ParameterizedTest(name = "{0} / {1}")
  @MethodSource("cells")
  void cell(Breakage breakage, State state, Expect expect) throws Exception {
    OffsetClock serverClock = new OffsetClock();
    OffsetClock clientClock = new OffsetClock();
    try (ScriptedTokenServer server = ScriptedTokenServer.newBuilder().clock(serverClock)
            .client("matrix", CLIENT_SECRET).accessTokenTtl(TTL).build().start();
        BrokenEndpoint broken = new BrokenEndpoint(breakage.endpoint())) {
      URI uri = breakage.endpoint() == Endpoint.SERVER ? server.uri() : broken.uri();
      TokenSource endpoint = OAuth2TokenEndpoint.newBuilder(uri).clientId("matrix").clientSecret(CLIENT_SECRET)
          .httpClient(HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build())
          .timeout(Duration.ofSeconds(1)).build().refreshTokens();
      AtomicInteger calls = new AtomicInteger();
      TokenSource counted = request -> {
        calls.incrementAndGet();
        return endpoint.fetch(request);
      };
      AtomicInteger sessionExpired = new AtomicInteger();
      AtomicInteger outcomes = new AtomicInteger();
      TokenStore store = TokenStore.inMemory();
      String refreshToken = server.issueLogin("matrix", "alice");
      String accessToken = server.mintAccessToken("alice", TTL);
      secrets.add(refreshToken);
      secrets.add(accessToken);
      try (TokenKeeper keeper = TokenKeeper.newBuilder(counted).name("matrix").clock(clientClock).store(store)
          .defaultTimeout(DEADLINE).backoff(BACKOFF, BACKOFF_MAX)
          .listener(new TokenListener() {
            @Override
            public void onSessionExpired(SessionExpired event) {
              sessionExpired.incrementAndGet();
              outcomes.incrementAndGet();
            }

            @Override
            public void onRefreshed(Refreshed event) {
              outcomes.incrementAndGet();
            }

            @Override
            public void onRefreshFailed(RefreshFailed event) {
              outcomes.incrementAndGet();
            }
          })
          .initialTokens(TokenResponse.bearer(accessToken).withRefreshToken(refreshToken)
              .withServerDate(serverClock.instant()))
          .build()) {
        AccessToken current = keeper.token();
        // VALID: inside the refresh-ahead window (stale at 40 s of 60). EXPIRED: past 55 s.
        Duration age = state == State.VALID ? Duration.ofSeconds(45) : Duration.ofSeconds(61);
        serverClock.jump(age);
        clientClock.jump(age);
        if (breakage.fault() != null && breakage.endpoint() == Endpoint.SERVER && breakage.clockJump().isZero()) {
          server.failAll(breakage.fault());
        }
        if (!breakage.clockJump().isZero()) {
          clientClock.jump(breakage.clockJump());
        }

        int before = outcomes.get();
        Result result = storm(keeper);
        if (calls.get() > 0) {
          // A valid token was served at once; wait for the background refresh to end before counting.
          await().atMost(Duration.ofSeconds(10)).until(() -> outcomes.get() > before);
        }
        result.tokens.forEach(secrets::add);
        StoredTokens stored = store.load();
        if (stored.refreshToken() != null) {
          secrets.add(stored.refreshToken().value());
        }
        capture.add(stored.toString());
        capture.add(keeper.toString());

        // Every caller finished within its deadline, with what the cell documents.
        assertThat(result.maxElapsed).isLessThanOrEqualTo(DEADLINE.plus(SLACK));
        assertThat(result.outcomes.keySet()).as("outcomes").containsExactly(outcomeName(expect, current, result));
        assertThat(result.outcomes.values().iterator().next()).isEqualTo(CALLERS);
        assertThat(threadsWaitingInKeeper()).as("threads left waiting").isZero();
        int bound = maxCalls(result.maxElapsed, breakage.retryAfter());
        assertThat(calls.get()).as("endpoint calls").isLessThanOrEqualTo(bound);
        if (expect == Expect.REAUTHENTICATE) {
          assertThat(calls.get()).isEqualTo(1);
          assertThat(sessionExpired).hasValue(1);
        }
        if (breakage.name().startsWith("no new refresh token")) {
          assertThat(stored.refreshToken().value()).isEqualTo(refreshToken);
        }
        rows.put(String.format("%-40s %s", breakage.name(), state), String.format("| %s | %s | %s | %d | %d | %d ms | %d |",
            breakage.name(), state == State.VALID ? "still valid" : "expired", describe(result), calls.get(), bound,
            result.maxElapsed.toMillis(), sessionExpired.get()));
      }
    }
  }

  private static String outcomeName(Expect expect, AccessToken current, Result result) {
    switch (expect) {
      case CURRENT_TOKEN:
        return "token " + current.fingerprint();
      case NEW_TOKEN:
        return result.outcomes.keySet().stream().filter(k -> k.startsWith("token ") && !k.equals("token " + current.fingerprint()))
            .findFirst().orElse("a new token");
      case REAUTHENTICATE:
        return ReauthenticationRequiredException.class.getSimpleName();
      default:
        // The refresh failed (TokenRefreshException), or the deadline passed first (its subclass).
        return result.outcomes.keySet().stream()
            .filter(k -> k.equals("TokenRefreshException") || k.equals("TokenTimeoutException"))
            .findFirst().orElse("TokenRefreshException");
    }
  }

  private static String describe(Result result) {
    return result.outcomes.entrySet().stream()
        .map(e -> e.getValue() + " × " + (e.getKey().startsWith("token ") ? "token" : e.getKey()))
        .collect(Collectors.joining(", "));
  }

  /**
   * Attempts the backoff allows in {@code elapsed}: one at once, then after 0.5, 1, 2, 2 … s (or
   * Retry-After), each shortened by at most the default 20 % jitter.
   */
  static int maxCalls(Duration elapsed, Duration retryAfter) {
    long left = elapsed.toMillis() + 250; // the last attempt may start a little after the callers end
    int attempts = 1;
    long delay = BACKOFF.toMillis();
    while (true) {
      long wait = Math.max(delay * 8 / 10, retryAfter.toMillis());
      if (wait > left) {
        return attempts;
      }
      left -= wait;
      attempts++;
      delay = Math.min(delay * 2, BACKOFF_MAX.toMillis());
    }
  }

  private record Result(Map<String, Integer> outcomes, Duration maxElapsed, Set<String> tokens) {}

  private static Result storm(TokenKeeper keeper) throws Exception {
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Object[]>> futures = new ArrayList<>();
    for (int i = 0; i < CALLERS; i++) {
      futures.add(callers.submit(() -> {
        start.await();
        long t0 = System.nanoTime();
        Object outcome;
        try {
          outcome = keeper.token();
        } catch (RuntimeException e) {
          outcome = e;
        }
        return new Object[] {outcome, Duration.ofNanos(System.nanoTime() - t0)};
      }));
    }
    start.countDown();
    Map<String, Integer> outcomes = new TreeMap<>();
    Set<String> tokens = ConcurrentHashMap.newKeySet();
    Duration max = Duration.ZERO;
    for (Future<Object[]> future : futures) {
      Object[] r = future.get(30, TimeUnit.SECONDS);
      String name;
      if (r[0] instanceof AccessToken) {
        AccessToken token = (AccessToken) r[0];
        tokens.add(token.value());
        capture.add(token.toString());
        name = "token " + token.fingerprint();
      } else {
        RuntimeException e = (RuntimeException) r[0];
        capture.add(e);
        assertThat(e).isInstanceOfAny(TokenRefreshException.class, ReauthenticationRequiredException.class);
        name = e.getClass().getSimpleName();
      }
      outcomes.merge(name, 1, Integer::sum);
      Duration elapsed = (Duration) r[1];
      max = elapsed.compareTo(max) > 0 ? elapsed : max;
    }
    return new Result(outcomes, max, tokens);
  }

  private static long threadsWaitingInKeeper() {
    return Thread.getAllStackTraces().entrySet().stream()
        .filter(e -> Stream.of(e.getValue()).anyMatch(f -> f.getClassName().equals("dev.tokenkeeper.internal.Engine")
            && f.getMethodName().equals("token")))
        .count();
  }

  @AfterAll
  static void searchForSecretsAndWriteTheTable() throws IOException {
    callers.shutdownNow();
    capture.uninstall();
    List<String> lines = capture.lines();
    StringBuilder table = new StringBuilder()
        .append("| fault | token when it hits | what the 100 callers got | endpoint calls | backoff bound | slowest caller | sessionExpired |\n")
        .append("|---|---|---|---|---|---|---|\n");
    rows.values().forEach(r -> table.append(r).append('\n'));
    table.append("\nLeak search: ").append(lines.size()).append(" captured lines (").append(capture.logLines())
        .append(" log records at FINEST and up), ").append(secrets.size()).append(" secret values searched, ");
    long leaks = lines.stream().filter(l -> secrets.stream().anyMatch(l::contains)).count();
    table.append(leaks).append(" found.\n");
    Path out = Path.of("target", "fault-matrix.md");
    Files.createDirectories(out.getParent());
    Files.writeString(out, table.toString());
    assertThat(rows).hasSize(36);
    assertThat(capture.logLines()).isGreaterThan(50);
    for (String line : lines) {
      for (String secret : secrets) {
        assertThat(line.contains(secret)).as("a captured line contains a secret (%s chars)", secret.length()).isFalse();
      }
    }
  }

  /** A token endpoint that refuses connections, or accepts none (its backlog is full). */
  static final class BrokenEndpoint implements AutoCloseable {
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final int port;

    BrokenEndpoint(Endpoint kind) throws IOException {
      InetAddress loopback = InetAddress.getByName("127.0.0.1");
      if (kind == Endpoint.NOT_ACCEPTING) {
        // Listening with a backlog of 1 and never accepting: once the queue is full the kernel
        // drops further SYNs, so a new connection times out instead of being refused.
        ServerSocket server = new ServerSocket(0, 1, loopback);
        resources.add(server);
        port = server.getLocalPort();
        for (int i = 0; i < 8; i++) {
          Socket filler = new Socket();
          try {
            filler.connect(new java.net.InetSocketAddress(loopback, port), 200);
            resources.add(filler);
          } catch (IOException full) {
            filler.close();
            break;
          }
        }
      } else {
        try (ServerSocket closed = new ServerSocket(0, 1, loopback)) {
          port = closed.getLocalPort(); // closed again at once: connections are refused
        }
      }
    }

    URI uri() {
      return URI.create("http://127.0.0.1:" + port + "/oauth2/token");
    }

    @Override
    public void close() throws Exception {
      for (AutoCloseable r : resources) {
        r.close();
      }
    }
  }
}
