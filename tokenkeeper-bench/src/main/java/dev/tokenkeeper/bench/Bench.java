package dev.tokenkeeper.bench;

import dev.tokenkeeper.bench.StormEnvironment.Kind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Entry point of {@code benchmarks.jar}.
 *
 * <pre>
 * java -jar tokenkeeper-bench/target/benchmarks.jar COMMAND [--option value ...]
 *
 *   b1     hot path (JMH, -prof gc)           --threads 1,2 --passes 2
 *   b2     refresh storm                      --sizes 1,100,1000,10000 --reps 7 [--platform]
 *                                             --contenders harness,tokenkeeper,google,...
 *   b2rot  refresh storm on a rotating refresh_token grant with reuse detection (Tokenkeeper, Google,
 *          Spring, naive): endpoint calls, callers without a token, session alive afterwards
 *                                             --sizes 100,1000 --reps 3 [--platform]
 *   memory heap per idle keeper, and for 10,000 identities in TokenKeepers  --keepers 2000 --identities 10000
 *   b3     end-to-end overhead (loopback, then the adapters' cost without the network, JMH)
 *                                             --rounds 20 --segment-ms 500 --workers 4 [--adapters-only]
 *   b4     expiry boundary                    --workers 50 --period-ms 50 --pairs 3
 *   all    b1, b2, b3 and b4 with their defaults
 *   smoke  CI guard: B1 one fork, 200 ms warm-up, one 200 ms iteration; B2 at N = 100 once. Exits 1 unless
 *          token().authorizationHeader() allocated nothing, and Tokenkeeper made exactly one
 *          endpoint call and every caller got a valid token.
 *   jmh    the plain JMH command line, e.g. "jmh HotPathBenchmark -t 2 -prof gc"
 *
 *   --results DIR   where reports and raw JMH output go (default tokenkeeper-bench/results, for
 *                   smoke tokenkeeper-bench/target/smoke; bench-results elsewhere than the root)
 * </pre>
 *
 * B2 uses virtual threads when the JDK has them (run it on JDK 21+ for N = 10,000), platform
 * threads otherwise, where the default sizes stop at 1,000.
 */
public final class Bench {
  private Bench() {}

  public static void main(String[] args) throws Exception {
    disableNagleInJdkHttpServer();
    if (args.length == 0) {
      usage();
      System.exit(2);
    }
    String command = args[0];
    if (command.equals("jmh")) {
      org.openjdk.jmh.Main.main(Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    Map<String, String> options = options(Arrays.copyOfRange(args, 1, args.length));
    Path results = options.containsKey("results") ? Path.of(options.get("results")) : defaultResults(command);
    Files.createDirectories(results);
    String invocation = "java -jar tokenkeeper-bench/target/benchmarks.jar " + String.join(" ", args);
    switch (command) {
      case "b1":
        b1(results, options, invocation);
        break;
      case "b2":
        b2(results, options, invocation);
        break;
      case "b2rot":
        b2rot(results, options, invocation);
        break;
      case "memory":
        memory(results, options, invocation);
        break;
      case "b3":
        b3(results, options, invocation);
        break;
      case "b4":
        b4(results, options, invocation);
        break;
      case "all":
        b1(results, options, invocation);
        b2(results, options, invocation);
        b3(results, options, invocation);
        b4(results, options, invocation);
        break;
      case "smoke":
        System.exit(smoke(results, invocation) ? 0 : 1);
        break;
      default:
        usage();
        System.exit(2);
    }
    // Scenario servers and clients leave daemon and pool threads behind; we are done.
    System.exit(0);
  }

  /**
   * Where reports go unless {@code --results} says: the module's {@code results} directory (the
   * session's figures, kept in Git), except for the smoke pass, whose throwaway figures go under
   * {@code target}.
   */
  private static Path defaultResults(String command) {
    Path module = Path.of("tokenkeeper-bench");
    if (!Files.isDirectory(module)) {
      return Path.of("bench-results");
    }
    return command.equals("smoke") ? module.resolve("target").resolve("smoke") : module.resolve("results");
  }

  /**
   * {@code ScriptedApiServer} runs on the JDK's {@code HttpServer}, which writes a response's
   * headers and body separately without TCP_NODELAY: Nagle's algorithm then holds the body until
   * the client's delayed ACK, 40 ms on Linux, and every B3/B4 request would take 40 ms. Must be set
   * before the server's configuration class loads.
   */
  static void disableNagleInJdkHttpServer() {
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  private static void b1(Path results, Map<String, String> options, String invocation) throws Exception {
    List<Integer> threads = ints(options.getOrDefault("threads", "1,2"));
    int passes = Integer.parseInt(options.getOrDefault("passes", "2"));
    String started = Machine.describe();
    String report = HotPath.render(HotPath.run(results, threads, passes, false));
    publish(results, "b1", invocation, started, report);
  }

  private static void b2(Path results, Map<String, String> options, String invocation) throws Exception {
    boolean virtual = Threads.virtualAvailable() && !options.containsKey("platform");
    List<Integer> sizes = ints(options.getOrDefault("sizes", virtual ? "1,100,1000,10000" : "1,100,1000"));
    int reps = Integer.parseInt(options.getOrDefault("reps", "7"));
    String started = Machine.describe();
    List<Kind> kinds = new ArrayList<>();
    for (String name : options.getOrDefault("contenders", "harness,tokenkeeper,tokenkeeper_virtual,tokenkeeper_no_timers,google,spring,aws,azure,naive").split(",")) {
      Kind kind = Kind.valueOf(name.trim().toUpperCase(java.util.Locale.ROOT));
      if (StormEnvironment.runsHere(kind)) {
        kinds.add(kind);
      }
    }
    RefreshStorm.Report report = RefreshStorm.run(sizes, virtual, reps, true, kinds);
    publish(results, "b2" + (virtual ? "" : "-platform"), invocation, started, report.render());
  }

  private static void b2rot(Path results, Map<String, String> options, String invocation) throws Exception {
    boolean virtual = Threads.virtualAvailable() && !options.containsKey("platform");
    List<Integer> sizes = ints(options.getOrDefault("sizes", "100,1000"));
    int reps = Integer.parseInt(options.getOrDefault("reps", "3"));
    String started = Machine.describe();
    publish(results, "b2rot" + (virtual ? "" : "-platform"), invocation, started,
        RotationStorm.run(sizes, virtual, reps));
  }

  private static void memory(Path results, Map<String, String> options, String invocation) throws Exception {
    int keepers = Integer.parseInt(options.getOrDefault("keepers", "2000").replace("_", ""));
    int identities = Integer.parseInt(options.getOrDefault("identities", "10000").replace("_", ""));
    String started = Machine.describe();
    publish(results, "memory", invocation, started, Memory.run(keepers, identities));
  }

  private static void b3(Path results, Map<String, String> options, String invocation) throws Exception {
    int rounds = Integer.parseInt(options.getOrDefault("rounds", "20"));
    Duration segment = Duration.ofMillis(Long.parseLong(options.getOrDefault("segment-ms", "500")));
    int workers = Integer.parseInt(options.getOrDefault("workers", "4"));
    String started = Machine.describe();
    String loopback = options.containsKey("adapters-only") ? "" : EndToEndOverhead.run(segment, rounds, 4, workers);
    publish(results, "b3", invocation, started, loopback + EndToEndOverhead.adapterCost(results));
  }

  private static void b4(Path results, Map<String, String> options, String invocation) throws Exception {
    int workers = Integer.parseInt(options.getOrDefault("workers", "50"));
    Duration period = Duration.ofMillis(Long.parseLong(options.getOrDefault("period-ms", "50")));
    int pairs = Integer.parseInt(options.getOrDefault("pairs", "3"));
    String started = Machine.describe();
    publish(results, "b4", invocation, started, ExpiryBoundary.run(workers, period, pairs));
  }

  /**
   * The CI guard: everything runs, Tokenkeeper's storm costs exactly one endpoint call, and
   * {@code token().authorizationHeader()} allocates nothing (the header is built once per token).
   */
  private static boolean smoke(Path results, String invocation) throws Exception {
    String started = Machine.describe();
    List<HotPath.Row> rows = HotPath.run(results, List.of(1), 1, true);
    String b1 = HotPath.render(rows);
    String header = headerAllocation(rows);
    boolean virtual = Threads.virtualAvailable();
    RefreshStorm.Report b2 = RefreshStorm.run(List.of(100), virtual, 1, false,
        List.of(Kind.TOKENKEEPER, Kind.GOOGLE, Kind.SPRING, Kind.AWS, Kind.AZURE, Kind.NAIVE));
    boolean storm = b2.tokenkeeperSingleFlight();
    String verdict = (header == null
        ? "\nsmoke: OK: token().authorizationHeader() allocated nothing\n"
        : "\nsmoke: FAILED: " + header + "\n")
        + (storm
        ? "smoke: OK: Tokenkeeper made exactly 1 endpoint call for 100 callers, all holding a valid token\n"
        : "smoke: FAILED: Tokenkeeper did not run, or did not make exactly 1 endpoint call for 100 callers"
            + " (or a caller did not get a valid token); see the B2 table above\n");
    publish(results, "smoke", invocation, started, b1 + b2.render() + verdict);
    return header == null && storm;
  }

  /**
   * Why {@code token().authorizationHeader()} fails the smoke pass, or {@code null} when it
   * allocated less than 16 B per call (JMH's {@code gc.alloc.rate.norm}). 16 B is the smallest
   * object a call could allocate; a header built per call costs ~770 B. The short smoke run is not
   * at 0.0 B/op even for {@code token()}: class loading and the JIT's own work in the 200 ms
   * measured after a 200 ms warm-up come to a few bytes per call.
   */
  static @Nullable String headerAllocation(List<HotPath.Row> rows) {
    for (HotPath.Row row : rows) {
      if (row.method().equals("tokenkeeperHeader")) {
        if (Double.isNaN(row.bytesPerOp())) {
          return "token().authorizationHeader(): this JVM reported no allocation figure (-prof gc)";
        }
        return row.bytesPerOp() < 16.0 ? null
            : "token().authorizationHeader() allocated " + Table.num(row.bytesPerOp(), 1)
                + " B per call; it must hand out the header built once per token (0 B)";
      }
    }
    return "token().authorizationHeader() did not run";
  }

  private static void publish(Path results, String name, String invocation, String started, String body)
      throws IOException {
    String text = "command: " + invocation + "\n" + started + "\nfinished at load average "
        + Machine.loadAverage() + "\n" + body;
    System.out.println(text);
    Files.writeString(results.resolve(name + "-jdk" + Machine.jdk() + ".md"), text);
  }

  private static Map<String, String> options(String[] args) {
    Map<String, String> options = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--")) {
        throw new IllegalArgumentException("expected --option, got " + args[i]);
      }
      String name = args[i].substring(2);
      if (name.equals("platform") || name.equals("adapters-only")) {
        options.put(name, "true");
      } else if (i + 1 < args.length) {
        options.put(name, args[++i]);
      } else {
        throw new IllegalArgumentException("--" + name + " needs a value");
      }
    }
    return options;
  }

  private static List<Integer> ints(String csv) {
    List<Integer> out = new ArrayList<>();
    for (String s : csv.split(",")) {
      out.add(Integer.parseInt(s.trim().replace("_", "")));
    }
    return out;
  }

  private static void usage() {
    System.err.println("usage: java -jar benchmarks.jar b1|b2|b2rot|memory|b3|b4|all|smoke|jmh [options]; see Bench's Javadoc");
  }

}
