package dev.tokenkeeper.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs B1 ({@link HotPathBenchmark}) through JMH with the GC profiler, keeps JMH's own output and
 * JSON, and summarises medians over the measurement iterations as ratios to the floor.
 */
final class HotPath {
  /** Rows in report order, benchmark method to label. */
  static final Map<String, String> ROWS = new LinkedHashMap<>();

  static {
    ROWS.put("volatileOnly", "volatile read only, no clock (hypothetical)");
    ROWS.put("floor", "floor (volatile read + clock compare)");
    ROWS.put("tokenkeeper", "Tokenkeeper token()");
    ROWS.put("tokenkeeperHeader", "Tokenkeeper token().authorizationHeader()");
    ROWS.put("aws", "AWS CachedSupplier.get");
    ROWS.put("google", "Google getRequestMetadata");
    ROWS.put("azure", "Azure AccessTokenCache.getTokenSync");
    ROWS.put("spring", "Spring AuthorizedClientManager.authorize");
    ROWS.put("naive", "naive (exp decoded once per token)");
  }

  /** Median ns/op and B/op of one benchmark at one thread count. */
  record Row(String method, int threads, double nsPerOp, double minNs, double maxNs, double cpuNsPerOp,
      double bytesPerOp, int iterations) {}

  private HotPath() {}

  /**
   * Runs every B1 benchmark at each of {@code threadCounts}, {@code passes} times over.
   *
   * <p>On a shared machine the load drifts by the minute, and JMH runs benchmarks one after the
   * other in alphabetical order, so two benchmarks a minute apart can see different machines. So
   * each benchmark gets its own short JMH run, in report order (the floor next to Tokenkeeper),
   * the order reversed on every other pass, and the figures are medians over all passes.
   *
   * @param smoke one pass, one fork, one 200 ms warm-up and one 200 ms iteration: checks that it runs
   */
  static List<Row> run(Path results, List<Integer> threadCounts, int passes, boolean smoke)
      throws RunnerException, IOException {
    List<Row> rows = new ArrayList<>();
    String jwt = Jwts.mint(Duration.ofHours(2));
    for (int threads : threadCounts) {
      String name = "b1-jdk" + Machine.jdk() + "-t" + threads + (smoke ? "-smoke" : "");
      Path log = results.resolve(name + ".txt");
      Path json = results.resolve(name + ".json");
      Files.writeString(log, "");
      List<String> jsonRuns = new ArrayList<>();
      Map<String, List<RunResult>> byMethod = new LinkedHashMap<>();
      for (int pass = 0; pass < (smoke ? 1 : passes); pass++) {
        List<String> order = new ArrayList<>(ROWS.keySet());
        if (pass % 2 == 1) {
          Collections.reverse(order);
        }
        for (String method : order) {
          Path tmpLog = Files.createTempFile("jmh", ".txt");
          Path tmpJson = Files.createTempFile("jmh", ".json");
          ChainedOptionsBuilder options = new OptionsBuilder()
              .include(HotPathBenchmark.class.getName() + "\\." + method + "$")
              .threads(threads)
              .forks(1)
              .jvmArgsAppend("-Xms1g", "-Xmx1g", "-D" + HotPathBenchmark.JWT_PROPERTY + "=" + jwt)
              .addProfiler(GCProfiler.class)
              .addProfiler(CpuTimeProfiler.class)
              .shouldFailOnError(true)
              .result(tmpJson.toString())
              .resultFormat(ResultFormatType.JSON)
              .output(tmpLog.toString());
          if (smoke) {
            // One short warm-up: the smoke pass checks that the header path allocates nothing.
            options.warmupIterations(1).warmupTime(TimeValue.milliseconds(200))
                .measurementIterations(1).measurementTime(TimeValue.milliseconds(200));
          } else {
            options.warmupIterations(2).warmupTime(TimeValue.milliseconds(500))
                .measurementIterations(4).measurementTime(TimeValue.milliseconds(500));
          }
          for (RunResult run : new Runner(options.build()).run()) {
            byMethod.computeIfAbsent(method, m -> new ArrayList<>()).add(run);
          }
          Files.writeString(log, "### pass " + (pass + 1) + ", " + method + "\n" + Files.readString(tmpLog) + "\n",
              StandardOpenOption.APPEND);
          String array = Files.readString(tmpJson).trim();
          if (array.length() > 2) {
            jsonRuns.add(array.substring(1, array.length() - 1).trim());
          }
          Files.delete(tmpLog);
          Files.delete(tmpJson);
        }
      }
      Files.writeString(json, "[\n" + String.join(",\n", jsonRuns) + "\n]\n");
      for (Map.Entry<String, List<RunResult>> e : byMethod.entrySet()) {
        rows.add(summarise(e.getKey(), e.getValue(), threads));
      }
    }
    return rows;
  }

  /** Medians over every measurement iteration of every pass. */
  static Row summarise(String method, List<RunResult> runs, int threads) {
    List<Double> ns = new ArrayList<>();
    List<Double> bytes = new ArrayList<>();
    List<Double> cpu = new ArrayList<>();
    for (RunResult run : runs) {
      if (!TimeUnit.NANOSECONDS.equals(run.getParams().getTimeUnit())) {
        throw new IllegalStateException("B1 reports ns/op; got " + run.getParams().getTimeUnit());
      }
      for (BenchmarkResult fork : run.getBenchmarkResults()) {
        for (IterationResult iteration : fork.getIterationResults()) {
          ns.add(iteration.getPrimaryResult().getScore());
          for (Map.Entry<String, Result> secondary : iteration.getSecondaryResults().entrySet()) {
            if (secondary.getKey().endsWith("gc.alloc.rate.norm")) {
              bytes.add(secondary.getValue().getScore());
            } else if (secondary.getKey().endsWith("cpu.time.norm")) {
              cpu.add(secondary.getValue().getScore());
            }
          }
        }
      }
    }
    double[] nsArray = ns.stream().mapToDouble(Double::doubleValue).toArray();
    double min = ns.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    double max = ns.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    double alloc = Samples.medianOf(bytes.stream().mapToDouble(Double::doubleValue).toArray());
    double cpuPerOp = Samples.medianOf(cpu.stream().mapToDouble(Double::doubleValue).toArray());
    return new Row(method, threads, Samples.medianOf(nsArray), min, max, cpuPerOp, alloc, ns.size());
  }

  /** One table per thread count, with ratios to the floor and to Tokenkeeper. */
  static String render(List<Row> rows) {
    StringBuilder out = new StringBuilder();
    for (int threads : rows.stream().mapToInt(Row::threads).distinct().toArray()) {
      Map<String, Row> byMethod = new LinkedHashMap<>();
      rows.stream().filter(r -> r.threads() == threads).forEach(r -> byMethod.put(r.method(), r));
      Row floor = byMethod.get("floor");
      Row tk = byMethod.get("tokenkeeper");
      out.append("\nB1 hot path, ").append(threads).append(threads == 1 ? " thread" : " threads")
          .append(" (median of all measurement iterations of all passes; their range in brackets)\n\n");
      Table table = new Table("contender", "ns/op", "range", "× floor", "CPU ns/op", "CPU × floor", "B/op",
          "× Tokenkeeper (ns/op)");
      for (Map.Entry<String, String> label : ROWS.entrySet()) {
        Row r = byMethod.get(label.getKey());
        if (r == null) {
          continue;
        }
        table.row(label.getValue(), Table.num(r.nsPerOp(), 1),
            "[" + Table.num(r.minNs(), 1) + "–" + Table.num(r.maxNs(), 1) + "]",
            floor == null ? "n/a" : Table.num(r.nsPerOp() / floor.nsPerOp(), 2) + "×",
            Table.num(r.cpuNsPerOp(), 1),
            floor == null ? "n/a" : Table.num(r.cpuNsPerOp() / floor.cpuNsPerOp(), 2) + "×",
            Table.num(r.bytesPerOp(), 1),
            tk == null ? "n/a" : Table.num(r.nsPerOp() / tk.nsPerOp(), 2) + "×");
      }
      out.append(table.render());
    }
    return out.toString();
  }
}
