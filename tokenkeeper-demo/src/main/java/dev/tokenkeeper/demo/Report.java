package dev.tokenkeeper.demo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The final table: one column per client, rows for requests, outcomes by cause, refresh calls,
 * reuse detections and latency; then a sparkline of successful requests per second per client.
 * Plain text (block characters, no escape codes), so it reads the same in a terminal and in a CI log.
 */
final class Report {
  private static final String BLOCKS = "▁▂▃▄▅▆▇█";
  private static final int LABEL_WIDTH = 34;
  private static final int COLUMN_WIDTH = 14;

  private Report() {}

  /**
   * One client's measured results.
   *
   * @param outcomes requests by outcome
   * @param refreshCalls refresh calls, as counted by the server
   * @param reuseDetections reuse detections, as counted by the server
   * @param okPerSecond successful requests in each second of the run
   * @param firstFailureMillis milliseconds into the run, or -1 when nothing failed
   */
  record ClientResult(String id, String title, Map<Outcome, Long> outcomes, long refreshCalls,
      long reuseDetections, double p50Millis, double p99Millis, List<Long> okPerSecond,
      long firstFailureMillis) {

    ClientResult {
      outcomes = Map.copyOf(outcomes);
      okPerSecond = List.copyOf(okPerSecond);
    }

    static ClientResult of(ClientStats stats, DemoServer.ClientCounts server) {
      Map<Outcome, Long> outcomes = new EnumMap<>(Outcome.class);
      for (Outcome o : Outcome.values()) {
        outcomes.put(o, stats.count(o));
      }
      return new ClientResult(stats.client().id(), stats.client().title(), outcomes,
          server.refreshCalls(), server.reuseDetections(), stats.latencyMillis(50),
          stats.latencyMillis(99), Arrays.stream(stats.okPerSecond()).boxed().toList(),
          stats.firstFailureMillis());
    }

    long count(Outcome o) {
      return outcomes.getOrDefault(o, 0L);
    }

    long requests() {
      return outcomes.values().stream().mapToLong(Long::longValue).sum();
    }

    long failed() {
      return requests() - count(Outcome.OK);
    }
  }

  /** Renders the table and the sparklines. */
  static String render(List<ClientResult> results) {
    StringBuilder out = new StringBuilder();
    row(out, "", results, r -> r.title());
    row(out, "requests", results, r -> number(r.requests()));
    row(out, Outcome.OK.label(), results, r -> number(r.count(Outcome.OK)));
    row(out, "failed", results, r -> number(r.failed()));
    for (Outcome cause : Outcome.values()) {
      if (cause != Outcome.OK) {
        row(out, "  " + cause.label(), results, r -> number(r.count(cause)));
      }
    }
    row(out, "refresh calls", results, r -> number(r.refreshCalls()));
    row(out, "reuse detections", results, r -> number(r.reuseDetections()));
    row(out, "latency p50 (ms)", results, r -> millis(r.p50Millis()));
    row(out, "latency p99 (ms)", results, r -> millis(r.p99Millis()));

    out.append("\nSuccessful requests per second (one character a second, same scale for all):\n");
    long max = 1;
    for (ClientResult r : results) {
      for (long n : r.okPerSecond()) {
        max = Math.max(max, n);
      }
    }
    int titleWidth = results.stream().mapToInt(r -> r.title().length()).max().orElse(0);
    for (ClientResult r : results) {
      out.append(String.format(Locale.ROOT, "  %-" + titleWidth + "s  %s  %s%n", r.title(),
          sparkline(r.okPerSecond(), max), r.firstFailureMillis() < 0 ? "no failures"
              : String.format(Locale.ROOT, "first failure after %.1f s", r.firstFailureMillis() / 1000.0)));
    }
    return out.toString();
  }

  /** One character per value: a space for 0, else one of ▁▂▃▄▅▆▇█ in proportion to {@code max}. */
  static String sparkline(List<Long> values, long max) {
    StringBuilder line = new StringBuilder(values.size());
    for (long v : values) {
      if (v <= 0) {
        line.append(' ');
      } else {
        int level = (int) Math.ceil(Math.min(v, max) * (double) BLOCKS.length() / max) - 1;
        line.append(BLOCKS.charAt(Math.max(0, level)));
      }
    }
    return line.toString();
  }

  private interface Cell {
    String of(ClientResult r);
  }

  private static void row(StringBuilder out, String label, List<ClientResult> results, Cell cell) {
    List<String> cells = new ArrayList<>();
    for (ClientResult r : results) {
      cells.add(String.format(Locale.ROOT, "%" + COLUMN_WIDTH + "s", cell.of(r)));
    }
    out.append(String.format(Locale.ROOT, "%-" + LABEL_WIDTH + "s", label)).append(String.join("", cells))
        .append('\n');
  }

  private static String number(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }

  private static String millis(double ms) {
    return Double.isNaN(ms) ? "-" : String.format(Locale.ROOT, "%.1f", ms);
  }
}
