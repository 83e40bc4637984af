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
import dev.tokenkeeper.TokenTimeoutException;
import dev.tokenkeeper.testing.Fault;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.logging.Level;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every token endpoint fault × {token still valid, token expired} × 100 concurrent callers, on real
 * time with short deadlines. Each cell asserts that every caller finishes within its deadline (plus
 * {@link #SLACK}) with exactly the answer the cell documents ({@link #DOCUMENTED_OUTCOMES}); that no
 * caller is still inside the keeper at deadline + slack; the exact number of endpoint calls and of
 * {@code sessionExpired} events, also no more calls than the backoff allows; and that the keeper's
 * own threads, seen while it ran, are gone after {@code close()}. The whole matrix runs with
 * logging at the lowest level; afterwards every captured line, exception and {@code toString} is
 * searched for the exact values of every token the keeper held or handed out, every refresh token
 * and the client secret. The table goes to {@code target/fault-matrix.md} (copied into
 * RELIABILITY.md).
 */
class FaultMatrixTest {
  private static final int CALLERS = 100;
  private static final Duration DEADLINE = Duration.ofSeconds(2);
  /** Scheduling allowance on a loaded 2-core machine; a caller later than this missed its deadline. */
  private static final Duration SLACK = Duration.ofMillis(250);
  private static final Duration TTL = Duration.ofSeconds(60);
  private static final Duration BACKOFF = Duration.ofMillis(500);
  private static final Duration BACKOFF_MAX = Duration.ofSeconds(2);
  private static final String CLIENT_SECRET = "matrix-secret-5be1c2";
  private static final String KEEPER_THREADS = "tokenkeeper-matrix-";

  private static final LogCapture capture = new LogCapture();
  private static final Set<String> secrets = ConcurrentHashMap.newKeySet();
  private static final Map<String, String> rows = new TreeMap<>();
  private static ExecutorService callers;

  /** What every one of the 100 callers of a cell must end with. */
  enum Answer {
    /** The token the keeper held before the fault. */
    CURRENT_TOKEN,
    /** One new token, the same for all. */
    NEW_TOKEN,
    /** {@code TokenRefreshException} itself: no attempt could succeed before the deadline. */
    REFRESH_FAILED,
    /** {@code TokenTimeoutException}: an attempt was still in flight at the deadline. */
    TIMED_OUT,
    /** {@code ReauthenticationRequiredException}. */
    REAUTHENTICATE
  }

  /** The documented outcome of one cell: the answer, exact endpoint calls and sessionExpired events. */
  record Outcome(Answer answer, int calls, int sessionExpired) {
    @Override
    public String toString() {
      return answer + ", " + calls + " call(s), sessionExpired " + sessionExpired;
    }
  }

  /** Which engine behaviour a cell's documented outcome depends on. */
  enum EngineDependence {
    /** Retries after 0.5 s, then at most every ~1 s while callers wait on an expired token. */
    RETRY_SPACING,
    /** The endpoint's 1 s timeout bounds the whole answer; the attempt timeout bounds any source. */
    ATTEMPT_DEADLINE,
    /** A user's refresh token refused (any refusal code on the refresh_token grant) ends the session. */
    USER_REFUSAL_IS_TERMINAL,
    /** A service's refused client credentials are retried (credentials-rejected backoff), never terminal. */
    SERVICE_REFUSAL_IS_RETRIED,
    NONE
  }

  enum State {
    VALID, EXPIRED
  }

  /** How the cell breaks the token endpoint, and the failure the keeper must see from it (if checked). */
  record Breakage(String name, Fault fault, Endpoint endpoint, Duration clockJump, Duration retryAfter,
      Class<? extends Throwable> cause) { // cause: null when not checked
    static Breakage fault(String name, Fault fault) {
      return new Breakage(name, fault, Endpoint.SERVER, Duration.ZERO, Duration.ZERO, null);
    }

    @Override
    public String toString() {
      return name;
    }
  }

  enum Endpoint {
    SERVER, REFUSING, NOT_ACCEPTING,
    /** A token source that never answers within the cell (it gives up after 2.5 s): the attempt timeout ends it. */
    HANGING_SOURCE,
    /** The server, through a {@code client_credentials} keeper: a service, whose refusals are retried. */
    SERVICE
  }

  /** One row of {@link #DOCUMENTED_OUTCOMES}. */
  record Row(Breakage breakage, Outcome valid, Outcome expired, EngineDependence dependsOn) {}

  private static Outcome outcome(Answer answer, int calls, int sessionExpired) {
    return new Outcome(answer, calls, sessionExpired);
  }

  /**
   * The documented outcome of every cell, for today's engine: the one place to change when the
   * engine changes. Still valid: callers get the current token at once and exactly one background
   * attempt is made (none when the clock jumps back); a terminal answer ends the session once.
   * Expired: the attempts that fit in the 2 s deadline (at 0, 0.4-0.5, 1.2-1.5 s; one connect
   * timeout or slow response takes 0.5 or 1 s of that), then the typed failure.
   */
  static final List<Row> DOCUMENTED_OUTCOMES;

  static {
    Fault none = Fault.delay(Duration.ZERO);
    Answer current = Answer.CURRENT_TOKEN;
    Answer failed = Answer.REFRESH_FAILED;
    Answer reauth = Answer.REAUTHENTICATE;
    EngineDependence retries = EngineDependence.RETRY_SPACING;
    DOCUMENTED_OUTCOMES = List.of(
        new Row(new Breakage("connection refused", none, Endpoint.REFUSING, Duration.ZERO, Duration.ZERO,
            ConnectException.class), outcome(current, 1, 0), outcome(failed, 3, 0), retries),
        new Row(new Breakage("connect timeout", none, Endpoint.NOT_ACCEPTING, Duration.ZERO, Duration.ZERO,
            HttpConnectTimeoutException.class), outcome(current, 1, 0), outcome(failed, 2, 0), retries),
        new Row(new Breakage("slow response past the deadline", Fault.delay(Duration.ofSeconds(5)), Endpoint.SERVER,
            Duration.ZERO, Duration.ZERO, HttpTimeoutException.class), outcome(current, 1, 0),
            outcome(Answer.TIMED_OUT, 2, 0), EngineDependence.ATTEMPT_DEADLINE),
        new Row(new Breakage("endpoint stalls mid-body", Fault.stallMidBody(), Endpoint.SERVER,
            Duration.ZERO, Duration.ZERO, HttpTimeoutException.class), outcome(current, 1, 0),
            outcome(Answer.TIMED_OUT, 2, 0), EngineDependence.ATTEMPT_DEADLINE),
        // Attempt timeout 600 ms: abandoned at 0.6 s, the retry at 1.0-1.1 s abandoned at 1.6-1.7 s;
        // the next would come after the deadline, so the callers hear it then.
        new Row(new Breakage("token source never returns", none, Endpoint.HANGING_SOURCE, Duration.ZERO,
            Duration.ZERO, null), outcome(current, 1, 0), outcome(failed, 2, 0), EngineDependence.ATTEMPT_DEADLINE),
        new Row(Breakage.fault("connection reset mid-response", Fault.resetMidResponse()),
            outcome(current, 1, 0), outcome(failed, 3, 0), retries),
        new Row(Breakage.fault("connection dropped before answering", Fault.dropConnection()),
            outcome(current, 1, 0), outcome(failed, 3, 0), retries),
        new Row(Breakage.fault("500", Fault.status(500)), outcome(current, 1, 0), outcome(failed, 3, 0), retries),
        new Row(new Breakage("503 + Retry-After 3 s", Fault.retryAfter(503, Duration.ofSeconds(3)), Endpoint.SERVER,
            Duration.ZERO, Duration.ofSeconds(3), null), outcome(current, 1, 0), outcome(failed, 1, 0),
            EngineDependence.NONE),
        new Row(new Breakage("429 + Retry-After 3 s", Fault.retryAfter(429, Duration.ofSeconds(3)), Endpoint.SERVER,
            Duration.ZERO, Duration.ofSeconds(3), null), outcome(current, 1, 0), outcome(failed, 1, 0),
            EngineDependence.NONE),
        new Row(Breakage.fault("HTML error page (502)", Fault.html(502)),
            outcome(current, 1, 0), outcome(failed, 3, 0), retries),
        new Row(Breakage.fault("HTML page with 200", Fault.html(200)),
            outcome(current, 1, 0), outcome(failed, 3, 0), retries),
        new Row(Breakage.fault("malformed JSON", Fault.malformedJson()),
            outcome(current, 1, 0), outcome(failed, 3, 0), retries),
        new Row(Breakage.fault("JSON without access_token", Fault.json(200, "{\"token_type\":\"Bearer\",\"expires_in\":60}")),
            outcome(current, 1, 0), outcome(failed, 3, 0), retries),
        new Row(Breakage.fault("invalid_grant", Fault.invalidGrant()),
            outcome(current, 1, 1), outcome(reauth, 1, 1), EngineDependence.NONE),
        new Row(Breakage.fault("invalid_client", Fault.invalidClient()),
            outcome(current, 1, 1), outcome(reauth, 1, 1), EngineDependence.USER_REFUSAL_IS_TERMINAL),
        // A 401 without a refusal code (here server_error) is no verdict on the credentials.
        new Row(Breakage.fault("401 from the endpoint", Fault.status(401)),
            outcome(current, 1, 0), outcome(failed, 3, 0), retries),
        // Refused once, then accepted: the service recovers by itself (retry after 0.4-0.5 s here).
        new Row(new Breakage("invalid_client, then accepted (service)", Fault.invalidClient(), Endpoint.SERVICE,
            Duration.ZERO, Duration.ZERO, null), outcome(current, 1, 0), outcome(Answer.NEW_TOKEN, 2, 0),
            EngineDependence.SERVICE_REFUSAL_IS_RETRIED),
        new Row(Breakage.fault("no new refresh token (old one kept)", Fault.omitRefreshToken()),
            outcome(current, 1, 0), outcome(Answer.NEW_TOKEN, 1, 0), EngineDependence.NONE),
        new Row(new Breakage("client clock jumps forward 1 h", none, Endpoint.SERVER, Duration.ofHours(1), Duration.ZERO,
            null), outcome(Answer.NEW_TOKEN, 1, 0), outcome(Answer.NEW_TOKEN, 1, 0), EngineDependence.NONE),
        new Row(new Breakage("client clock jumps back 1 h", none, Endpoint.SERVER, Duration.ofHours(-1), Duration.ZERO,
            null), outcome(current, 0, 0), outcome(current, 0, 0), EngineDependence.NONE));
  }

  static Stream<Arguments> cells() {
    List<Arguments> cells = new ArrayList<>();
    for (Row row : DOCUMENTED_OUTCOMES) {
      cells.add(Arguments.of(row.breakage(), State.VALID, row.valid()));
      cells.add(Arguments.of(row.breakage(), State.EXPIRED, row.expired()));
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
  void cell(Breakage breakage, State state, Outcome expected) throws Exception {
    OffsetClock serverClock = new OffsetClock();
    OffsetClock clientClock = new OffsetClock();
    try (ScriptedTokenServer server = ScriptedTokenServer.newBuilder().clock(serverClock)
            .client("matrix", CLIENT_SECRET).accessTokenTtl(TTL).build().start();
        BrokenEndpoint broken = new BrokenEndpoint(breakage.endpoint())) {
      boolean service = breakage.endpoint() == Endpoint.SERVICE;
      URI uri = breakage.endpoint() == Endpoint.SERVER || service ? server.uri() : broken.uri();
      OAuth2TokenEndpoint oauth = OAuth2TokenEndpoint.newBuilder(uri).clientId("matrix").clientSecret(CLIENT_SECRET)
          .httpClient(HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build())
          .timeout(Duration.ofSeconds(1)).build();
      TokenSource endpoint = service ? oauth.clientCredentials() : oauth.refreshTokens();
      AtomicInteger calls = new AtomicInteger();
      CountDownLatch hang = new CountDownLatch(1);
      TokenSource counted = request -> {
        calls.incrementAndGet();
        if (breakage.endpoint() == Endpoint.HANGING_SOURCE) {
          hang.await(2_500, TimeUnit.MILLISECONDS); // longer than the cell: the attempt timeout ends it
          throw new java.io.IOException("gave up hanging");
        }
        return endpoint.fetch(request);
      };
      TokenSource source = service ? TokenSource.usingConfiguredCredentials(counted) : counted;
      AtomicInteger sessionExpired = new AtomicInteger();
      AtomicInteger outcomes = new AtomicInteger();
      List<String> backgroundFailures = new CopyOnWriteArrayList<>();
      TokenStore store = new HeldTokens(TokenStore.inMemory());
      String refreshToken = server.issueLogin("matrix", "alice");
      String accessToken = server.mintAccessToken("alice", TTL);
      secrets.add(refreshToken);
      secrets.add(accessToken);
      List<Thread> keeperThreads;
      Result result;
      StoredTokens stored;
      TokenKeeper.Builder builder = TokenKeeper.newBuilder(source).name("matrix").clock(clientClock).store(store)
          .credentialsRejectedBackoff(BACKOFF, BACKOFF_MAX);
      if (breakage.endpoint() == Endpoint.HANGING_SOURCE) {
        builder.attemptTimeout(Duration.ofMillis(600));
      }
      try (TokenKeeper keeper = builder
          .defaultTimeout(DEADLINE).backoff(BACKOFF, BACKOFF_MAX)
          // The plain backoff spacing while callers wait, so no retry lands next to the 2 s
          // deadline; the 1 s default cap is shown by ServiceRecoveryTest.
          .waitingRetryInterval(BACKOFF_MAX)
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
              backgroundFailures.add(event.failure());
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
        if (service) {
          server.enqueue(breakage.fault()); // refused once, then accepted
        }
        if (!breakage.clockJump().isZero()) {
          clientClock.jump(breakage.clockJump());
        }

        int before = outcomes.get();
        result = storm(keeper);
        // Every call ends in exactly one listener event; wait for those still running in the
        // background (a valid token was served at once) before counting.
        try {
          await().atMost(Duration.ofSeconds(10))
              .until(() -> outcomes.get() - before >= Math.max(expected.calls(), calls.get()));
        } catch (ConditionTimeoutException e) {
          // fewer calls than documented: the assertions below say which
        }
        result.tokens.forEach(secrets::add);
        stored = store.load();
        if (stored.accessToken() != null) {
          secrets.add(stored.accessToken().value());
        }
        if (stored.refreshToken() != null) {
          secrets.add(stored.refreshToken().value());
        }
        capture.add(stored.toString());
        capture.add(keeper.toString());
        keeperThreads = liveThreads(KEEPER_THREADS);

        // Every caller finished within its deadline, all with the documented answer.
        assertThat(result.maxElapsed).as("slowest caller").isLessThanOrEqualTo(DEADLINE.plus(SLACK));
        assertThat(result.stillInside).as("callers still inside the keeper at deadline + slack").isZero();
        assertThat(result.outcomes).as("what the callers got")
            .containsOnlyKeys(expectedName(expected.answer(), current, result)).containsValue(CALLERS);
        assertThat(calls).as("endpoint calls").hasValue(expected.calls());
        assertThat(sessionExpired).as("sessionExpired events").hasValue(expected.sessionExpired());
        int bound = maxCalls(result.maxElapsed, breakage.retryAfter());
        assertThat(calls.get()).as("endpoint calls against the backoff bound").isLessThanOrEqualTo(bound);
        if (breakage.cause() != null) {
          // The fault is the one the cell names (a refused connection is not a connect timeout).
          // Our own timeouts describe themselves (endpoint, limit); foreign causes are named by class.
          assertThat(backgroundFailures).as("failures the listener heard").isNotEmpty()
              .allMatch(f -> f.equals(breakage.cause().getName())
                  || breakage.cause() == HttpTimeoutException.class && f.contains("did not send its whole answer"));
          assertThat(result.causes).as("causes of the callers' failures")
              .allMatch(c -> breakage.cause().isAssignableFrom(c));
        }
        if (breakage.endpoint() == Endpoint.HANGING_SOURCE) {
          assertThat(backgroundFailures).as("abandoned attempts").isNotEmpty()
              .allMatch(f -> f.contains("did not answer within 600 ms"));
        }
        if (breakage.name().startsWith("no new refresh token")) {
          assertThat(stored.refreshToken().value()).isEqualTo(refreshToken);
        }
        if (expected.calls() > 0) {
          assertThat(keeperThreads).as("the keeper's refresh thread, seen while it ran").extracting(Thread::getName)
              .anyMatch(n -> n.startsWith(KEEPER_THREADS) && n.contains("-refresh-"));
        }
        rows.put(String.format("%-40s %s", breakage.name(), state), String.format("| %s | %s | %s | %d | %d | %d ms | %d |",
            breakage.name(), state == State.VALID ? "still valid" : "expired", describe(result), calls.get(), bound,
            result.maxElapsed.toMillis(), sessionExpired.get()));
        if (service) {
          // Recovers by itself: no application code, no sign-in.
          await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
              assertThat(keeper.token().value()).isNotEqualTo(current.value()));
          keeper.token().value(); // and keeps serving
        }
      }
      // Closed: every thread the keeper owned ends (a refresh in flight within its 1 s HTTP timeout).
      await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
        assertThat(keeperThreads).as("keeper threads seen before close, alive").noneMatch(Thread::isAlive);
        assertThat(liveThreads(KEEPER_THREADS)).as("keeper threads after close").isEmpty();
      });
    }
  }

  private static List<Thread> liveThreads(String prefix) {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith(prefix))
        .collect(Collectors.toList());
  }

  private static String expectedName(Answer answer, AccessToken current, Result result) {
    switch (answer) {
      case CURRENT_TOKEN:
        return "token " + current.fingerprint();
      case NEW_TOKEN:
        return result.outcomes.keySet().stream().filter(k -> k.startsWith("token ") && !k.equals("token " + current.fingerprint()))
            .findFirst().orElse("a new token");
      case REFRESH_FAILED:
        return TokenRefreshException.class.getSimpleName();
      case TIMED_OUT:
        return TokenTimeoutException.class.getSimpleName();
      default:
        return ReauthenticationRequiredException.class.getSimpleName();
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

  /**
   * What the storm's callers got; {@code stillInside}: callers not finished at deadline + slack,
   * counted before anyone was joined; {@code causes}: classes of the callers' failure causes.
   */
  private record Result(Map<String, Integer> outcomes, Duration maxElapsed, Set<String> tokens, long stillInside,
      Set<Class<?>> causes) {}

  private static Result storm(TokenKeeper keeper) throws Exception {
    CountDownLatch start = new CountDownLatch(1);
    CountDownLatch finished = new CountDownLatch(CALLERS);
    List<Future<Object[]>> futures = new ArrayList<>();
    for (int i = 0; i < CALLERS; i++) {
      futures.add(callers.submit(() -> {
        try {
          start.await();
          long t0 = System.nanoTime();
          Object outcome;
          try {
            outcome = keeper.token();
          } catch (RuntimeException e) {
            outcome = e;
          }
          return new Object[] {outcome, Duration.ofNanos(System.nanoTime() - t0)};
        } finally {
          finished.countDown();
        }
      }));
    }
    long released = System.nanoTime();
    start.countDown();
    // At deadline + slack, before joining anyone: who is still waiting?
    long cutoff = released + DEADLINE.plus(SLACK).toNanos();
    finished.await(Math.max(0, cutoff - System.nanoTime()), TimeUnit.NANOSECONDS);
    long stillInside = Math.max(finished.getCount(), threadsInsideKeeper());
    Map<String, Integer> outcomes = new TreeMap<>();
    Set<String> tokens = ConcurrentHashMap.newKeySet();
    Set<Class<?>> causes = new HashSet<>();
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
        if (e.getCause() != null) {
          causes.add(e.getCause().getClass());
        }
        name = e.getClass().getSimpleName();
      }
      outcomes.merge(name, 1, Integer::sum);
      Duration elapsed = (Duration) r[1];
      max = elapsed.compareTo(max) > 0 ? elapsed : max;
    }
    return new Result(outcomes, max, tokens, stillInside, causes);
  }

  /** Threads with {@code TokenKeeper.token} on their stack. */
  private static long threadsInsideKeeper() {
    return Thread.getAllStackTraces().entrySet().stream()
        .filter(e -> Stream.of(e.getValue()).anyMatch(f -> f.getClassName().equals(TokenKeeper.class.getName())
            && f.getMethodName().equals("token")))
        .count();
  }

  /** The in-memory store, adding every token the keeper ever saves to the search set. */
  private static final class HeldTokens implements TokenStore {
    private final TokenStore delegate;

    HeldTokens(TokenStore delegate) {
      this.delegate = delegate;
    }

    @Override
    public StoredTokens load() {
      return delegate.load();
    }

    @Override
    public boolean compareAndSet(long expectedVersion, StoredTokens replacement) {
      if (replacement.accessToken() != null) {
        secrets.add(replacement.accessToken().value());
      }
      if (replacement.refreshToken() != null) {
        secrets.add(replacement.refreshToken().value());
      }
      return delegate.compareAndSet(expectedVersion, replacement);
    }
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
    table.append("\nLeak search: ").append(lines.size()).append(" captured lines (").append(capture.records())
        .append(" log records, ").append(capture.records(Level.FINE)).append(" of them at FINE or below; capture level ")
        .append(LogCapture.LEVEL).append("), ").append(secrets.size()).append(" secret values searched, ");
    long leaks = lines.stream().filter(l -> secrets.stream().anyMatch(l::contains)).count();
    table.append(leaks).append(" found.\n");
    Path out = Path.of("target", "fault-matrix.md");
    Files.createDirectories(out.getParent());
    Files.writeString(out, table.toString());
    assertThat(rows).hasSize(2 * DOCUMENTED_OUTCOMES.size());
    // The search means something only if the lowest levels were captured: the keeper logs each
    // refresh at DEBUG (JUL FINE), so the matrix's successful refreshes must be there.
    assertThat(capture.records(Level.FINE)).as("log records at FINE or below").isPositive();
    assertThat(capture.records()).as("log records").isGreaterThan(50);
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
