package dev.tokenkeeper.bench;

import dev.tokenkeeper.OAuth2TokenEndpoint;
import dev.tokenkeeper.TokenHttpClient;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenListener;
import dev.tokenkeeper.TokenPolicy;
import dev.tokenkeeper.TokenRequest;
import dev.tokenkeeper.testing.Fault;
import dev.tokenkeeper.testing.ScriptedApiServer;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * B4, the expiry boundary: 50 workers call a loopback API at a steady pace while a 20-second token
 * expires (endpoint latency 50 ms). Compared: request latency in the second around the token's
 * expiry vs steady state, for Tokenkeeper (refreshes ahead, off the request path) and reactive-only
 * refresh (waits for the 401). Paced, not closed-loop, so the latencies reflect the path a request
 * takes rather than queueing on a saturated machine.
 */
final class ExpiryBoundary {
  static final Duration TTL = Duration.ofSeconds(20);
  static final Duration LATENCY = Duration.ofMillis(50);
  private static final long HALF_SECOND = 500_000_000L;

  /** Sends one request; returns the final status. */
  @FunctionalInterface
  interface Call {
    int send() throws Exception;
  }

  /** Every request of one variant's run: start (nanoTime), latency, status. */
  static final class Requests {
    final Samples starts = new Samples();
    final Samples latencies = new Samples();
    final Samples statuses = new Samples();

    synchronized void addAll(Requests other) {
      starts.addAll(other.starts);
      latencies.addAll(other.latencies);
      statuses.addAll(other.statuses);
    }

    /** Latencies of requests started in [from, to), and the number of non-200 answers among them. */
    Samples window(long from, long to, long[] errors) {
      Samples out = new Samples();
      for (int i = 0; i < starts.size(); i++) {
        long s = starts.get(i);
        if (s >= from && s < to) {
          out.add(latencies.get(i));
          if (statuses.get(i) != 200) {
            errors[0]++;
          }
        }
      }
      return out;
    }
  }

  /**
   * One variant's result. The steady state is summarised per second, like the one-second window
   * around expiry, so the p99s compared come from samples of the same size; on a shared machine
   * the seconds differ a lot, so the expiry second is also ranked among them.
   *
   * @param steady all requests of the steady seconds
   * @param steadySecondP99s the p99 of each steady second
   */
  record Result(String label, Samples steady, double[] steadySecondP99s, Samples aroundExpiry,
      Samples aroundRefresh, long errors, int endpointCalls, int rejections) {

    double steadyP99() {
      return Samples.medianOf(steadySecondP99s);
    }

    /** 1 when the expiry second had the highest p99 of all seconds compared, n when the lowest. */
    int expiryRank() {
      double around = aroundExpiry.percentile(99);
      int rank = 1;
      for (double p : steadySecondP99s) {
        if (p > around) {
          rank++;
        }
      }
      return rank;
    }

    /** Requests in the expiry second that took at least the endpoint's latency: they waited for a refresh. */
    int slowAroundExpiry() {
      return aroundExpiry.countAtLeast(LATENCY.toNanos());
    }

    /** The same count per steady second (mean), the machine's own noise. */
    double slowPerSteadySecond() {
      return steady.countAtLeast(LATENCY.toNanos()) / (double) steadySecondP99s.length;
    }
  }

  private ExpiryBoundary() {}

  static String run(int workers, Duration period, int pairs) throws Exception {
    warmUp(workers, period, Duration.ofSeconds(4));
    List<Result> results = new ArrayList<>();
    for (int i = 0; i < pairs; i++) {
      results.add(tokenkeeper(workers, period));
      results.add(reactive(workers, period));
    }
    return render(results, workers, period);
  }

  static Result tokenkeeper(int workers, Duration period) throws Exception {
    try (ScriptedTokenServer tokens = tokenServer();
        ScriptedApiServer api = ScriptedApiServer.start(tokens, InstantSource.system())) {
      AtomicLong refreshStartedAt = new AtomicLong();
      TokenKeeper keeper = TokenKeeper.newBuilder(endpoint(tokens).clientCredentials())
          .listener(new TokenListener() {
            @Override
            public void onRefreshed(Refreshed event) {
              if (event.reason() == TokenRequest.Reason.PROACTIVE) {
                refreshStartedAt.compareAndSet(0, System.nanoTime() - event.duration().toNanos());
              }
            }
          })
          .build();
      try (keeper) {
        HttpClient http = TokenHttpClient.wrap(client(), TokenPolicy.of(api.origin(), keeper));
        URI target = api.uri("/api/items");
        Instant expiry = Jwts.expiry(keeper.token().value());
        Call call = () -> http.send(HttpRequest.newBuilder(target).build(),
            HttpResponse.BodyHandlers.ofString()).statusCode();
        Timeline t = drive(call, workers, period, expiry);
        long refresh = refreshStartedAt.get();
        Samples aroundRefresh = refresh == 0 ? new Samples()
            : t.requests.window(refresh - HALF_SECOND, refresh + HALF_SECOND, new long[1]);
        return t.result("Tokenkeeper (refresh ahead)", refresh, aroundRefresh, tokens.tokenRequests(), 0);
      }
    }
  }

  static Result reactive(int workers, Duration period) throws Exception {
    try (ScriptedTokenServer tokens = tokenServer();
        ScriptedApiServer api = ScriptedApiServer.start(tokens, InstantSource.system())) {
      ReactiveRefreshClient client = new ReactiveRefreshClient(client(), endpoint(tokens).clientCredentials());
      URI target = api.uri("/api/items");
      Instant expiry = Jwts.expiry(client.currentToken());
      Timeline t = drive(() -> client.get(target), workers, period, expiry);
      return t.result("reactive only (refresh on 401, retry)", 0, new Samples(), tokens.tokenRequests(),
          client.rejections.get());
    }
  }

  /**
   * Sends both variants' requests for a while, untimed, so that JIT compilation of the HTTP clients,
   * the servers and the adapters is over before anything is measured.
   */
  private static void warmUp(int workers, Duration period, Duration each) throws Exception {
    try (ScriptedTokenServer tokens = tokenServer();
        ScriptedApiServer api = ScriptedApiServer.start(tokens, InstantSource.system());
        TokenKeeper keeper = TokenKeeper.newBuilder(endpoint(tokens).clientCredentials()).build()) {
      URI target = api.uri("/api/items");
      HttpClient wrapped = TokenHttpClient.wrap(client(), TokenPolicy.of(api.origin(), keeper));
      drive(() -> wrapped.send(HttpRequest.newBuilder(target).build(), HttpResponse.BodyHandlers.ofString())
          .statusCode(), workers, period, Instant.now().plus(each).minusSeconds(2));
      ReactiveRefreshClient reactive = new ReactiveRefreshClient(client(), endpoint(tokens).clientCredentials());
      drive(() -> reactive.get(target), workers, period, Instant.now().plus(each).minusSeconds(2));
    }
  }

  private static ScriptedTokenServer tokenServer() {
    ScriptedTokenServer server = ScriptedTokenServer.newBuilder().accessTokenTtl(TTL).build().start();
    server.failAll(Fault.delay(LATENCY));
    return server;
  }

  private static OAuth2TokenEndpoint endpoint(ScriptedTokenServer server) {
    return OAuth2TokenEndpoint.newBuilder(server.uri()).clientId("test-client").clientSecret("test-secret").build();
  }

  private static HttpClient client() {
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  /** What happened between the start and two seconds after the first token's expiry. */
  private static final class Timeline {
    final Requests requests;
    final long start;
    final long expiry;
    final long end;

    Timeline(Requests requests, long start, long expiry, long end) {
      this.requests = requests;
      this.start = start;
      this.expiry = expiry;
      this.end = end;
    }

    /**
     * Splits the run into one-second windows centred on the first token's expiry. Steady seconds:
     * every whole window from 4 s after the start (the first seconds warm up: 50 connections opened
     * at once) to the end, except the expiry second and any second touching Tokenkeeper's refresh.
     */
    Result result(String label, long refreshStart, Samples aroundRefresh, int endpointCalls, int rejections) {
      Samples steady = new Samples();
      List<Double> perSecond = new ArrayList<>();
      for (long from = expiry - HALF_SECOND - 2 * HALF_SECOND * 30; from < end; from += 2 * HALF_SECOND) {
        long to = from + 2 * HALF_SECOND;
        boolean warmingUp = from < start + 8 * HALF_SECOND;
        boolean isExpiry = from == expiry - HALF_SECOND;
        boolean touchesRefresh = refreshStart != 0 && refreshStart + HALF_SECOND > from && refreshStart - HALF_SECOND < to;
        if (warmingUp || isExpiry || touchesRefresh || to > end) {
          continue;
        }
        Samples second = requests.window(from, to, new long[1]);
        perSecond.add(second.percentile(99));
        steady.addAll(second);
      }
      Samples around = requests.window(expiry - HALF_SECOND, expiry + HALF_SECOND, new long[1]);
      long[] errors = new long[1];
      requests.window(Long.MIN_VALUE, Long.MAX_VALUE, errors);
      return new Result(label, steady, perSecond.stream().mapToDouble(Double::doubleValue).toArray(), around,
          aroundRefresh, errors[0], endpointCalls, rejections);
    }
  }

  /** Runs the paced workers from now until two seconds after {@code expiry}. */
  private static Timeline drive(Call call, int workers, Duration period, Instant expiry) throws InterruptedException {
    long startNanos = System.nanoTime();
    long startMillis = System.currentTimeMillis();
    long expiryNanos = startNanos + (expiry.toEpochMilli() - startMillis) * 1_000_000L;
    long end = expiryNanos + 4 * HALF_SECOND;
    long periodNanos = period.toNanos();
    Requests all = new Requests();
    Thread[] threads = new Thread[workers];
    for (int w = 0; w < workers; w++) {
      long first = startNanos + ThreadLocalRandom.current().nextLong(periodNanos);
      threads[w] = new Thread(() -> {
        Requests mine = new Requests();
        long next = first;
        for (long now = System.nanoTime(); now < end; now = System.nanoTime()) {
          if (now < next) {
            LockSupport.parkNanos(next - now);
            continue;
          }
          long s = System.nanoTime();
          int status;
          try {
            status = call.send();
          } catch (Exception e) {
            status = -1;
          }
          long done = System.nanoTime();
          mine.starts.add(s);
          mine.latencies.add(done - s);
          mine.statuses.add(status);
          next = Math.max(next + periodNanos, done); // late: go at once, but never in a burst
        }
        all.addAll(mine);
      }, "b4-worker-" + w);
      threads[w].start();
    }
    for (Thread t : threads) {
      t.join();
    }
    return new Timeline(all, startNanos, expiryNanos, end);
  }

  private static String render(List<Result> results, int workers, Duration period) {
    StringBuilder out = new StringBuilder();
    out.append("\nB4 expiry boundary: ").append(workers).append(" workers, one request each every ")
        .append(period.toMillis()).append(" ms, token lifetime ").append(TTL.toSeconds())
        .append(" s, endpoint latency ").append(LATENCY.toMillis()).append(" ms\n\n");
    Table table = new Table("variant", "steady p50", "steady p99: median second [range]",
        "expiry ±0.5 s p99", "× steady p99", "expiry second's rank (1 = slowest)", "expiry max",
        "refresh ±0.5 s p99", "≥ 50 ms: expiry s / steady s (mean)", "401s seen", "endpoint calls", "errors");
    for (Result r : results) {
      double steady99 = r.steadyP99();
      double around99 = r.aroundExpiry().percentile(99);
      double[] range = r.steadySecondP99s().clone();
      java.util.Arrays.sort(range);
      table.row(r.label(), ms(r.steady().percentile(50)),
          ms(steady99) + " [" + Table.num(range[0] / 1e6, 2) + "–" + Table.num(range[range.length - 1] / 1e6, 2) + "]",
          ms(around99), Table.num(around99 / steady99, 2) + "×",
          r.expiryRank() + " of " + (range.length + 1), ms(r.aroundExpiry().percentile(100)),
          r.aroundRefresh().size() == 0 ? "-" : ms(r.aroundRefresh().percentile(99)),
          r.slowAroundExpiry() + " / " + Table.num(r.slowPerSteadySecond(), 1),
          r.rejections(), r.endpointCalls(), r.errors());
    }
    out.append(table.render()).append('\n');
    for (String label : results.stream().map(Result::label).distinct().toList()) {
      double[] ratios = results.stream().filter(r -> r.label().equals(label))
          .mapToDouble(r -> r.aroundExpiry().percentile(99) / r.steadyP99()).toArray();
      double median = Samples.medianOf(ratios);
      out.append(label).append(": expiry-second p99 ÷ steady p99, median of ").append(ratios.length)
          .append(" runs: ").append(Table.num(median, 2)).append("× (target ≤ 1.05×: ")
          .append(median <= 1.05 ? "met" : "missed").append(")\n");
    }
    return out.toString();
  }

  private static String ms(double nanos) {
    return Table.num(nanos / 1e6, 2) + " ms";
  }
}
