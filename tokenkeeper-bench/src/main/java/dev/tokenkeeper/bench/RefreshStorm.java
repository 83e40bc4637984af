package dev.tokenkeeper.bench;

import dev.tokenkeeper.bench.StormEnvironment.Kind;
import dev.tokenkeeper.testing.RecordedTokenRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * B2, the refresh storm: N callers arrive together just after the token expired, and the token
 * endpoint takes {@link StormEnvironment#LATENCY} to answer. Measured: how many endpoint calls the
 * contender makes; the time from releasing the callers until the last of those who got a valid
 * token held it (callers who failed or got an invalid token are not in that time); and, separately,
 * how many callers ended without a valid token.
 *
 * <p>Callers are parked before the start; the release unparks them one by one from a single
 * thread, which is how a burst of requests arrives anyway. The "harness only" row is the cost of
 * that release and of recording the times, with no token work at all.
 */
final class RefreshStorm {
  /** A storm that takes longer than this is reported as not finished. */
  private static final Duration LIMIT = Duration.ofSeconds(120);
  /** Once one run of a contender took this long, its further repetitions are skipped. */
  private static final Duration SLOW = Duration.ofSeconds(2);

  /**
   * One storm's outcome. {@code nanosToValid} and {@code nanosMedianCaller}: over the callers that
   * got a valid token only (0 if none did); {@code nanosToAll}: until every caller returned, failed
   * or not; {@code failed}, {@code invalid}: callers that threw, or got a missing or invalid token.
   * {@code firstHandoffMillis}: when the first task reached the storm's JDK {@code HttpClient} after
   * the release, the moment the first endpoint call left the contender for the HTTP client (NaN for
   * a contender with a transport of its own, and when none did).
   */
  record Outcome(Kind kind, int callers, int endpointCalls, long nanosToValid, long nanosToAll, long nanosMedianCaller,
      int failed, int invalid, boolean finished, double firstCallArrivedMillis, long cpuNanos, double firstHandoffMillis) {

    boolean allValid() {
      return finished && failed == 0 && invalid == 0;
    }

    /** Callers that ended without a valid token (threw, got none, got an invalid one, or never returned). */
    int withoutValidToken() {
      return failed + invalid;
    }
  }

  private RefreshStorm() {}

  /**
   * CPU time of the whole process (callers, contender, HTTP clients and the in-process token
   * server), which a shared machine's other load disturbs far less than wall time.
   */
  static long processCpuNanos() {
    java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    return os instanceof com.sun.management.OperatingSystemMXBean
        ? ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime() : 0;
  }

  /** Runs one storm of {@code callers} against a freshly set-up {@code kind}. */
  static Outcome once(StormEnvironment env, Kind kind, int callers, boolean virtual)
      throws InterruptedException {
    System.gc(); // the previous run's garbage should not be collected during this one
    try (Contender contender = env.justExpired(kind)) {
      return storm(kind, contender, env.server, callers, virtual);
    }
  }

  /** One storm of {@code callers} on {@code contender}, counting its calls to {@code server}. */
  static Outcome storm(Kind kind, Contender contender, dev.tokenkeeper.testing.ScriptedTokenServer server,
      int callers, boolean virtual) throws InterruptedException {
    {
      Callers run = new Callers(contender, callers, Threads.factory(virtual));
      int before = server.tokenRequests();
      run.startAndPark();
      Instant released = Instant.now();
      long cpuBefore = processCpuNanos();
      StormEnvironment.FIRST_HANDOFF.set(0);
      long start = run.release();
      boolean finished = run.finished.await(LIMIT.toMillis(), TimeUnit.MILLISECONDS);
      long cpu = processCpuNanos() - cpuBefore;
      int calls = server.tokenRequests() - before;
      List<RecordedTokenRequest> log = server.requests();
      double firstArrival = log.size() > before
          ? Duration.between(released, log.get(before).receivedAt()).toNanos() / 1e6 : Double.NaN;
      long handoff = StormEnvironment.FIRST_HANDOFF.get();
      double handedMillis = handoff == 0 ? Double.NaN : (handoff - start) / 1e6;
      return run.outcome(kind, start, calls, finished, firstArrival, cpu, handedMillis);
    }
  }

  /** N threads parked at a gate, each taking one token when released. */
  private static final class Callers {
    final Contender contender;
    final Thread[] threads;
    final @Nullable String[] tokens;
    final long[] doneAt;
    final @Nullable Throwable[] errors;
    final CountDownLatch ready;
    final CountDownLatch finished;
    volatile boolean open;

    Callers(Contender contender, int n, ThreadFactory factory) {
      this.contender = contender;
      this.threads = new Thread[n];
      this.tokens = new String[n];
      this.doneAt = new long[n];
      this.errors = new Throwable[n];
      this.ready = new CountDownLatch(n);
      this.finished = new CountDownLatch(n);
      for (int i = 0; i < n; i++) {
        int index = i;
        threads[i] = factory.newThread(() -> call(index));
      }
    }

    void startAndPark() throws InterruptedException {
      for (Thread t : threads) {
        t.start();
      }
      ready.await();
    }

    long release() {
      long start = System.nanoTime();
      open = true;
      for (Thread t : threads) {
        LockSupport.unpark(t);
      }
      return start;
    }

    private void call(int i) {
      ready.countDown();
      while (!open) {
        LockSupport.park(this);
      }
      try {
        tokens[i] = contender.token();
      } catch (Throwable t) {
        errors[i] = t;
      }
      doneAt[i] = System.nanoTime();
      finished.countDown();
    }

    Outcome outcome(Kind kind, long start, int calls, boolean done, double firstArrival, long cpu,
        double handed) {
      return summarize(kind, start, doneAt, tokens, errors, calls, done, firstArrival, cpu, handed);
    }
  }

  /**
   * One storm's outcome from what each caller ended with: {@code doneAt[i]} (0: never returned),
   * its token or its error. Times are over the callers holding a valid token; the others are counted.
   */
  static Outcome summarize(Kind kind, long start, long[] doneAt, @Nullable String[] tokens,
      @Nullable Throwable[] errors, int calls, boolean done, double firstArrival, long cpu,
      double handed) {
    int n = doneAt.length;
    int failed = 0;
    int invalid = 0;
    long lastDone = 0;
    long[] validElapsed = new long[n];
    int validCallers = 0;
    Set<String> valid = new HashSet<>();
    Set<String> checked = new HashSet<>();
    Instant now = Instant.now();
    Throwable example = null;
    for (int i = 0; i < n; i++) {
      long elapsed = doneAt[i] == 0 ? Long.MAX_VALUE : doneAt[i] - start;
      lastDone = Math.max(lastDone, elapsed);
      String token = tokens[i];
      if (errors[i] != null) {
        failed++;
        example = example == null ? errors[i] : example;
      } else if (token == null) {
        invalid++; // includes a caller that never returned
      } else {
        if (checked.add(token) && Jwts.validAt(token, now)) {
          valid.add(token);
        }
        if (valid.contains(token)) {
          validElapsed[validCallers++] = elapsed;
        } else {
          invalid++;
        }
      }
    }
    long[] ok = Arrays.copyOf(validElapsed, validCallers);
    long lastValid = Arrays.stream(ok).max().orElse(0);
    long median = validCallers == 0 ? 0 : (long) Samples.medianOf(ok);
    if (example != null) {
      System.err.println("  " + kind.label + ": " + failed + " callers failed, e.g. " + example);
    }
    return new Outcome(kind, n, calls, lastValid, lastDone, median, failed, invalid, done,
        firstArrival, cpu, handed);
  }

  /**
   * B2 over several sizes. The contenders without single-flight (Spring, naive) open one connection
   * per caller: at 10,000 callers that is 20,000 sockets in this process (client and server side),
   * which can exhaust file descriptors and stop the token server from accepting. So they run after
   * the others at each size, each against a token server of its own.
   */
  static Report run(List<Integer> sizes, boolean virtual, int reps, boolean warmUp, List<Kind> kinds)
      throws InterruptedException {
    List<Kind> coordinated = new ArrayList<>(kinds);
    coordinated.removeAll(UNCOORDINATED);
    List<Kind> uncoordinated = new ArrayList<>(kinds);
    uncoordinated.retainAll(UNCOORDINATED);
    Map<Integer, Map<Kind, List<Outcome>>> results = new java.util.LinkedHashMap<>();
    try (StormEnvironment env = new StormEnvironment()) {
      if (warmUp) {
        for (Kind kind : kinds) {
          once(env, kind, 100, virtual);
        }
      }
      for (int n : sizes) {
        Map<Kind, List<Outcome>> byKind = new EnumMap<>(Kind.class);
        for (int rep = 0; rep < reps; rep++) {
          // Round-robin over the contenders, so drift in the machine's load hits them alike.
          for (Kind kind : coordinated) {
            repeat(env, kind, n, virtual, byKind);
          }
        }
        for (Kind kind : uncoordinated) {
          try (StormEnvironment own = new StormEnvironment()) {
            for (int rep = 0; rep < reps; rep++) {
              repeat(own, kind, n, virtual, byKind);
            }
          }
        }
        results.put(n, byKind);
      }
    }
    return new Report(results, virtual);
  }

  private static final List<Kind> UNCOORDINATED = List.of(Kind.SPRING, Kind.NAIVE);

  /** Runs one more storm of {@code kind} unless its first took so long that repeating it is pointless. */
  private static void repeat(StormEnvironment env, Kind kind, int n, boolean virtual,
      Map<Kind, List<Outcome>> byKind) throws InterruptedException {
    List<Outcome> done = byKind.computeIfAbsent(kind, k -> new ArrayList<>());
    if (!done.isEmpty() && done.get(0).nanosToAll() > SLOW.toNanos()) {
      return;
    }
    done.add(once(env, kind, n, virtual));
  }

  /** The outcomes of {@link #run}, rendered as one table per size. */
  static final class Report {
    final Map<Integer, Map<Kind, List<Outcome>>> results;
    final boolean virtual;

    Report(Map<Integer, Map<Kind, List<Outcome>>> results, boolean virtual) {
      this.results = results;
      this.virtual = virtual;
    }

    /**
     * Returns {@code true} when Tokenkeeper ran at every size and, in every run, made exactly one
     * endpoint call and served valid tokens; {@code false} also when it did not run at all.
     */
    boolean tokenkeeperSingleFlight() {
      if (results.isEmpty()) {
        return false;
      }
      for (Map<Kind, List<Outcome>> byKind : results.values()) {
        List<Outcome> runs = byKind.getOrDefault(Kind.TOKENKEEPER, List.of());
        if (runs.isEmpty()) {
          return false;
        }
        for (Outcome o : runs) {
          if (o.endpointCalls() != 1 || !o.allValid()) {
            return false;
          }
        }
      }
      return true;
    }

    /** Median time-to-all of Tokenkeeper at {@code n}, NaN if not run. */
    double tokenkeeperMedianNanos(int n) {
      return medianToAll(results.getOrDefault(n, Map.of()).getOrDefault(Kind.TOKENKEEPER, List.of()));
    }

    String render() {
      StringBuilder out = new StringBuilder();
      for (Map.Entry<Integer, Map<Kind, List<Outcome>>> e : results.entrySet()) {
        int n = e.getKey();
        out.append("\nB2 refresh storm: N = ").append(String.format("%,d", n)).append(" ")
            .append(virtual ? "virtual" : "platform").append(" threads, endpoint latency ")
            .append(StormEnvironment.LATENCY.toMillis()).append(" ms\n\n");
        double tk = tokenkeeperMedianNanos(n);
        Table table = new Table("contender", "endpoint calls",
            "time until the last caller with a valid token held it (median)", "median caller with a valid token",
            "1st call handed to the HTTP client", "1st call reached server", "process CPU", "runs", "callers without a valid token", "time vs Tokenkeeper");
        for (Map.Entry<Kind, List<Outcome>> k : e.getValue().entrySet()) {
          List<Outcome> runs = k.getValue();
          double toAll = medianToAll(runs);
          double median = Samples.medianOf(runs.stream().mapToLong(Outcome::nanosMedianCaller).toArray());
          double firstCall = Samples.medianOf(runs.stream().mapToDouble(Outcome::firstCallArrivedMillis).toArray());
          double handed = Samples.medianOf(runs.stream().mapToDouble(Outcome::firstHandoffMillis).toArray());
          double cpu = Samples.medianOf(runs.stream().mapToLong(Outcome::cpuNanos).toArray());
          String validity = describeFailures(runs);
          table.row(k.getKey().label, calls(runs), Table.ms(toAll) + " ms", Table.ms(median) + " ms",
              Double.isNaN(handed) ? "-" : Table.num(handed, 2) + " ms",
              Double.isNaN(firstCall) ? "-" : Table.num(firstCall, 1) + " ms", Table.ms(cpu) + " ms",
              runs.size(), validity,
              k.getKey() == Kind.HARNESS ? "-" : Table.num(toAll / tk, 2) + "×");
        }
        out.append(table.render());
        List<Outcome> keeper = e.getValue().getOrDefault(Kind.TOKENKEEPER, List.of());
        if (!keeper.isEmpty()) {
          out.append("\nTokenkeeper: the last of ").append(String.format("%,d", n))
              .append(" callers held the new token ").append(Table.ms(tk)).append(" ms after the release (median).")
              .append(" Target at every N: 1 endpoint call (").append(tokenkeeperCallsMet(keeper) ? "met" : "MISSED")
              .append(").\n");
        }
      }
      return out.toString();
    }

    private static boolean tokenkeeperCallsMet(List<Outcome> runs) {
      return runs.stream().allMatch(o -> o.endpointCalls() == 1 && o.allValid());
    }

    private static double medianToAll(List<Outcome> runs) {
      return Samples.medianOf(runs.stream().mapToLong(Outcome::nanosToValid).toArray());
    }

    private static String calls(List<Outcome> runs) {
      int min = runs.stream().mapToInt(Outcome::endpointCalls).min().orElse(0);
      int max = runs.stream().mapToInt(Outcome::endpointCalls).max().orElse(0);
      return min == max ? String.format("%,d", min) : String.format("%,d–%,d", min, max);
    }

    /** Callers without a valid token per run (a range over the runs), and why. */
    private static String describeFailures(List<Outcome> runs) {
      int min = runs.stream().mapToInt(Outcome::withoutValidToken).min().orElse(0);
      int max = runs.stream().mapToInt(Outcome::withoutValidToken).max().orElse(0);
      boolean unfinished = runs.stream().anyMatch(o -> !o.finished());
      if (max == 0 && !unfinished) {
        return "0";
      }
      int failed = runs.stream().mapToInt(Outcome::failed).sum();
      int invalid = runs.stream().mapToInt(Outcome::invalid).sum();
      return (min == max ? String.format("%,d", min) : String.format("%,d–%,d", min, max)) + " (in all runs: "
          + failed + " failed, " + invalid + " invalid" + (unfinished ? "; not finished in " + LIMIT.toSeconds() + " s" : "")
          + ")";
    }
  }
}
