package dev.tokenkeeper.sim;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongFunction;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs many seeds and sums them up; prints a failing seed's trace and how to replay it.
 *
 * <p>Each simulation runs on one thread of its own with a deep stack: blocking calls of the code
 * under test nest the event loop (see {@code package-info}). That thread is the only one: the
 * simulated world itself has none.
 */
final class SimRunner {
  /** Keeps the keeper's log quiet (failures under simulated faults are the point, not news). */
  private static final Logger QUIET = Logger.getLogger("dev.tokenkeeper");

  static {
    QUIET.setLevel(Level.OFF);
  }

  /** The sum of many seeds. */
  static final class Summary {
    long seeds;
    long steps;
    long requests;
    long rotations;
    long reuseDetections;
    long graceReuses;
    long crashes;
    long crashesInRotationWindow;
    long callers;
    long tokensServed;
    long typedErrors;
    long nanos;
    int maxDepth;
    long seedsWithGrace;
    final Map<String, Long> excused = new TreeMap<>();
    final Map<String, Long> sessionsLost = new TreeMap<>();
    final Map<String, Long> sessionsLostWithGrace = new TreeMap<>();
    final List<Simulation.Result> failures = new ArrayList<>();

    void add(Simulation.Result r) {
      seeds++;
      steps += r.steps;
      requests += r.requests;
      rotations += r.rotations;
      reuseDetections += r.reuseDetections;
      graceReuses += r.graceReuses;
      crashes += r.crashes;
      crashesInRotationWindow += r.crashesInRotationWindow;
      callers += r.callers;
      tokensServed += r.tokensServed;
      typedErrors += r.typedErrors;
      maxDepth = Math.max(maxDepth, r.maxDepth);
      if (r.config.graceMillis() > 0) {
        seedsWithGrace++;
      }
      r.excused.forEach((k, v) -> excused.merge(k, (long) v, Long::sum));
      r.sessionsLost.forEach((k, v) -> (r.config.graceMillis() > 0 ? sessionsLostWithGrace : sessionsLost)
          .merge(k, (long) v, Long::sum));
      if (r.failed()) {
        failures.add(r);
      }
    }

    @Override
    public String toString() {
      double secs = nanos / 1e9;
      return String.format("%,d seeds in %.1f s (%,.0f seeds/s), %,d steps, %,d endpoint calls, %,d rotations,"
          + " %,d callers (%,d tokens, %,d typed errors), %,d crashes (%,d in the rotation window),"
          + " %,d reuse detections, %,d grace redemptions (%,d seeds had a grace window), deepest nesting %d;%n"
          + "  excused retired-token presentations: %s%n  sessions lost without a grace window: %s%n"
          + "  sessions lost with a grace window: %s%n  seeds with a violation: %d%s",
          seeds, secs, seeds / Math.max(secs, 1e-9), steps, requests, rotations, callers, tokensServed,
          typedErrors, crashes, crashesInRotationWindow, reuseDetections, graceReuses, seedsWithGrace,
          maxDepth, excused, sessionsLost, sessionsLostWithGrace, failures.size(),
          failures.isEmpty() ? "" : " (first seeds: " + failures.stream().limit(10)
              .map(f -> Long.toString(f.config.seed())).toList() + ")");
    }
  }

  private SimRunner() { }

  /** Runs {@code count} seeds from {@code first}, each world made by {@code configs}. */
  static Summary run(long first, long count, LongFunction<Simulation.Config> configs) {
    Summary summary = new Summary();
    long started = System.nanoTime();
    onSimThread(() -> {
      for (long seed = first; seed < first + count; seed++) {
        summary.add(Simulation.run(configs.apply(seed), false));
      }
    });
    summary.nanos = System.nanoTime() - started;
    return summary;
  }

  /** Runs one seed without its trace. */
  static Simulation.Result once(Simulation.Config config) {
    AtomicReference<Simulation.Result> result = new AtomicReference<>();
    onSimThread(() -> result.set(Simulation.run(config, false)));
    return result.get();
  }

  /** Runs one seed with its trace. */
  static Simulation.Result replay(Simulation.Config config) {
    AtomicReference<Simulation.Result> result = new AtomicReference<>();
    onSimThread(() -> result.set(Simulation.run(config, true)));
    return result.get();
  }

  /**
   * The report for a failing seed: its violation, the end of its trace (written whole to
   * {@code target/sim-traces/seed-N.txt}) and the command that replays it.
   */
  static String report(Simulation.Result failed, String replayCommand) {
    Simulation.Result traced = replay(failed.config);
    List<String> lines = traced.trace;
    Path file = Path.of("target", "sim-traces", "seed-" + failed.config.seed() + ".txt");
    try {
      Files.createDirectories(file.getParent());
      Files.write(file, lines);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    StringBuilder out = new StringBuilder();
    out.append("seed ").append(failed.config.seed()).append(": ").append(failed.violations).append('\n');
    out.append("replayed with its trace: ").append(traced.violations.equals(failed.violations)
        ? "same violation" : "DIFFERENT outcome " + traced.violations).append('\n');
    out.append(failed.config).append('\n');
    out.append("last ").append(Math.min(80, lines.size())).append(" of ").append(lines.size())
        .append(" trace lines (all in ").append(file.toAbsolutePath()).append("):\n");
    for (String line : lines.subList(Math.max(0, lines.size() - 80), lines.size())) {
      out.append("  ").append(line).append('\n');
    }
    out.append("replay: ").append(replayCommand.replace("SEED", Long.toString(failed.config.seed()))).append('\n');
    return out.toString();
  }

  private static void onSimThread(Runnable body) {
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread t = new Thread(null, () -> {
      try {
        body.run();
      } catch (Throwable e) {
        failure.set(e);
      }
    }, "simulation", 512L * 1024 * 1024);
    t.start();
    try {
      t.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    if (failure.get() != null) {
      throw new IllegalStateException("the simulation thread failed", failure.get());
    }
  }
}
