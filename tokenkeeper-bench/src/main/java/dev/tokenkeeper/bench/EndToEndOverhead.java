package dev.tokenkeeper.bench;

import dev.tokenkeeper.OAuth2TokenEndpoint;
import dev.tokenkeeper.TokenHttpClient;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenPolicy;
import dev.tokenkeeper.okhttp.TokenInterceptor;
import dev.tokenkeeper.testing.ScriptedApiServer;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import java.net.URI;
import java.nio.file.Path;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * B3, end-to-end overhead: requests to a loopback API that verifies every RS256 token, sent by the
 * JDK client with a static {@code Authorization} header vs the same client wrapped by {@link
 * TokenHttpClient}, and by plain OkHttp with a static header vs OkHttp with {@link
 * TokenInterceptor}. Closed loop, a few workers, short segments interleaved ABBA-fashion round after
 * round, so the machine's drifting load hits every variant alike; throughput ratios are taken
 * within each round, then the median over rounds.
 */
final class EndToEndOverhead {
  /** Sends one request and returns its status. */
  @FunctionalInterface
  interface Call {
    int send() throws Exception;
  }

  /** One client set-up, accumulating over all of its segments. */
  static final class Variant {
    final String label;
    final Call call;
    final Samples latencies = new Samples();
    final List<Double> throughputPerRound = new ArrayList<>();
    long errors;

    Variant(String label, Call call) {
      this.label = label;
      this.call = call;
    }
  }

  private EndToEndOverhead() {}

  /**
   * Runs {@link AdapterOverheadBenchmark} (the adapters' cost per request without the network)
   * through JMH, keeping its raw output, and renders the difference each adapter makes.
   */
  static String adapterCost(Path results) throws Exception {
    String name = "b3-adapters-jdk" + Machine.jdk();
    Options options = new OptionsBuilder()
        .include(AdapterOverheadBenchmark.class.getName() + "\\.")
        .forks(1)
        .jvmArgsAppend("-Xms1g", "-Xmx1g", "-D" + HotPathBenchmark.JWT_PROPERTY + "=" + Jwts.mint(Duration.ofHours(1)))
        .addProfiler(GCProfiler.class)
        .addProfiler(CpuTimeProfiler.class)
        .shouldFailOnError(true)
        .result(results.resolve(name + ".json").toString())
        .resultFormat(ResultFormatType.JSON)
        .output(results.resolve(name + ".txt").toString())
        .build();
    Map<String, HotPath.Row> rows = new LinkedHashMap<>();
    for (RunResult run : new Runner(options).run()) {
      String benchmark = run.getParams().getBenchmark();
      String method = benchmark.substring(benchmark.lastIndexOf('.') + 1);
      rows.put(method, HotPath.summarise(method, List.of(run), 1));
    }
    StringBuilder out = new StringBuilder("\nB3 without the network: one call through a client whose transport answers"
        + " at once (JMH, 1 thread, 10 warm-up iterations of 1 s, medians of 5 iterations of 1 s)\n\n");
    Table table = new Table("client", "ns/op", "CPU ns/op", "B/op", "adapter adds (CPU ns, B)");
    row(table, "JDK HttpClient, static header", rows.get("jdkStaticHeader"), null);
    row(table, "JDK HttpClient + TokenHttpClient", rows.get("jdkTokenHttpClient"), rows.get("jdkStaticHeader"));
    row(table, "JDK HttpClient, static header, request with an Accept header", rows.get("jdkStaticHeaderWithAccept"),
        null);
    row(table, "JDK HttpClient + TokenHttpClient, request with an Accept header",
        rows.get("jdkTokenHttpClientWithAccept"), rows.get("jdkStaticHeaderWithAccept"));
    row(table, "OkHttp, static header", rows.get("okHttpStaticHeader"), null);
    row(table, "OkHttp + TokenInterceptor", rows.get("okHttpTokenInterceptor"), rows.get("okHttpStaticHeader"));
    row(table, "Apache HttpClient 5 (classic), static header", rows.get("apacheStaticHeader"), null);
    row(table, "Apache HttpClient 5 + TokenExecChainHandler", rows.get("apacheTokenExecChainHandler"),
        rows.get("apacheStaticHeader"));
    row(table, "Spring RestClient, static header", rows.get("springStaticHeader"), null);
    row(table, "Spring RestClient, interceptor setting the static header", rows.get("springStaticHeaderInterceptor"),
        rows.get("springStaticHeader"));
    row(table, "Spring RestClient + TokenClientHttpRequestInterceptor", rows.get("springTokenInterceptor"),
        rows.get("springStaticHeader"));
    row(table, "Spring RestClient + Spring Security OAuth2ClientHttpRequestInterceptor (peer)",
        rows.get("springSecurityOAuth2Interceptor"), rows.get("springStaticHeader"));
    row(table, "google-http-client, static header", rows.get("googleStaticHeader"), null);
    row(table, "google-http-client + Google HttpCredentialsAdapter (peer)", rows.get("googleHttpCredentialsAdapter"),
        rows.get("googleStaticHeader"));
    return out.append(table.render()).append("\nTarget (issue 15): each adapter adds at most 300 CPU ns and 200 B"
        + " per request. Spring rows: deltas against the static header without an interceptor; the plain"
        + " interceptor row is what Spring's interceptor plumbing (which every interceptor pays) costs by itself."
        + " Peers (Spring Security, Google) are measured the same way, for comparison.\n").toString();
  }

  private static void row(Table table, String label, HotPath.Row r, HotPath.@Nullable Row base) {
    table.row(label, Table.num(r.nsPerOp(), 0), Table.num(r.cpuNsPerOp(), 0), Table.num(r.bytesPerOp(), 0),
        base == null ? "-" : signed(r.cpuNsPerOp() - base.cpuNsPerOp()) + " ns, "
            + signed(r.bytesPerOp() - base.bytesPerOp()) + " B");
  }

  static String run(Duration segment, int rounds, int warmUpRounds, int workers) throws Exception {
    try (ScriptedTokenServer tokens = ScriptedTokenServer.newBuilder().accessTokenTtl(Duration.ofHours(1)).build().start();
        ScriptedApiServer api = ScriptedApiServer.start(tokens, InstantSource.system());
        TokenKeeper keeper = TokenKeeper.newBuilder(OAuth2TokenEndpoint.newBuilder(tokens.uri())
            .clientId("test-client").clientSecret("test-secret").build().clientCredentials()).build()) {
      URI target = api.uri("/api/items");
      TokenPolicy policy = TokenPolicy.of(api.origin(), keeper);
      // The static header carries the very token the keeper holds: same length, same verification.
      String header = keeper.token().authorizationHeader();

      HttpClient jdk = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      HttpClient jdkKeeper = TokenHttpClient.wrap(jdk, policy);
      OkHttpClient ok = new OkHttpClient.Builder().build();
      OkHttpClient okKeeper = TokenInterceptor.install(ok.newBuilder(), policy).build();

      Variant jdkStatic = new Variant("JDK HttpClient, static header", () -> jdk.send(
          HttpRequest.newBuilder(target).header("Authorization", header).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode());
      Variant jdkWrapped = new Variant("JDK HttpClient + TokenHttpClient", () -> jdkKeeper.send(
          HttpRequest.newBuilder(target).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
      Variant okStatic = new Variant("OkHttp, static header", () -> okCall(ok,
          new Request.Builder().url(target.toString()).header("Authorization", header).build()));
      Variant okWrapped = new Variant("OkHttp + TokenInterceptor", () -> okCall(okKeeper,
          new Request.Builder().url(target.toString()).build()));
      List<Variant> order = List.of(jdkStatic, jdkWrapped, okStatic, okWrapped);

      List<double[]> jdkRatios = new ArrayList<>();
      List<double[]> okRatios = new ArrayList<>();
      for (int round = 0; round < warmUpRounds + rounds; round++) {
        boolean record = round >= warmUpRounds;
        List<Variant> thisRound = new ArrayList<>(order);
        if (round % 2 == 1) {
          java.util.Collections.reverse(thisRound);
        }
        for (Variant v : thisRound) {
          segment(v, segment, workers, record);
        }
        if (record) {
          jdkRatios.add(new double[] {last(jdkWrapped) / last(jdkStatic)});
          okRatios.add(new double[] {last(okWrapped) / last(okStatic)});
        }
      }
      ok.dispatcher().executorService().shutdown();
      ok.connectionPool().evictAll();
      return render(List.of(jdkStatic, jdkWrapped, okStatic, okWrapped), jdkRatios, okRatios, segment, rounds, workers);
    }
  }

  private static String signed(double value) {
    return (value >= 0 ? "+" : "−") + Table.num(Math.abs(value), 0);
  }

  private static int okCall(OkHttpClient client, Request request) throws Exception {
    try (Response response = client.newCall(request).execute()) {
      response.body().string();
      return response.code();
    }
  }

  private static double last(Variant v) {
    return v.throughputPerRound.get(v.throughputPerRound.size() - 1);
  }

  /** Runs {@code workers} closed-loop threads for {@code length}; records throughput and latencies. */
  private static void segment(Variant v, Duration length, int workers, boolean record) throws InterruptedException {
    AtomicLong count = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    Samples[] latencies = new Samples[workers];
    Thread[] threads = new Thread[workers];
    long start = System.nanoTime();
    long end = start + length.toNanos();
    for (int w = 0; w < workers; w++) {
      Samples mine = latencies[w] = new Samples();
      threads[w] = new Thread(() -> {
        while (System.nanoTime() < end) {
          long t = System.nanoTime();
          int status;
          try {
            status = v.call.send();
          } catch (Exception e) {
            status = -1;
          }
          mine.add(System.nanoTime() - t);
          count.incrementAndGet();
          if (status != 200) {
            errors.incrementAndGet();
          }
        }
      }, "b3-worker-" + w);
      threads[w].start();
    }
    for (Thread t : threads) {
      t.join();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    if (record) {
      v.throughputPerRound.add(count.get() / seconds);
      for (Samples s : latencies) {
        v.latencies.addAll(s);
      }
      v.errors += errors.get();
    }
  }

  private static String render(List<Variant> variants, List<double[]> jdkRatios, List<double[]> okRatios,
      Duration segment, int rounds, int workers) {
    StringBuilder out = new StringBuilder();
    out.append("\nB3 end-to-end overhead: ").append(workers).append(" closed-loop workers, ")
        .append(rounds).append(" rounds of ").append(segment.toMillis())
        .append(" ms per variant, interleaved ABBA (medians over rounds)\n\n");
    Table table = new Table("client", "throughput (req/s, median round)", "p50", "p99", "requests", "errors");
    for (Variant v : variants) {
      double[] tp = v.throughputPerRound.stream().mapToDouble(Double::doubleValue).toArray();
      table.row(v.label, Table.num(Samples.medianOf(tp), 0), Table.num(v.latencies.percentile(50) / 1e3, 0) + " µs",
          Table.num(v.latencies.percentile(99) / 1e3, 0) + " µs", String.format("%,d", v.latencies.size()), v.errors);
    }
    out.append(table.render()).append('\n');
    Table ratios = new Table("pair", "throughput ratio (median of per-round ratios)", "p99 ratio", "target ≥ 0.98");
    ratio(ratios, "TokenHttpClient / static header", jdkRatios, variants.get(1), variants.get(0));
    ratio(ratios, "TokenInterceptor / static header", okRatios, variants.get(3), variants.get(2));
    out.append(ratios.render());
    return out.toString();
  }

  private static void ratio(Table table, String label, List<double[]> perRound, Variant wrapped, Variant plain) {
    double median = Samples.medianOf(perRound.stream().mapToDouble(r -> r[0]).toArray());
    double p99 = wrapped.latencies.percentile(99) / plain.latencies.percentile(99);
    table.row(label, Table.num(median, 3), Table.num(p99, 3), median >= 0.98 ? "met" : "missed");
  }
}
