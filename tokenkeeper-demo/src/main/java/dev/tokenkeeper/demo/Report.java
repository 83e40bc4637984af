package dev.tokenkeeper.demo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Act 1's final table, fitted to the width: one column per client; rows for requests, failures by
 * cause (a cause no client had is left out), refresh calls, reuse detections and, when they differ
 * between clients, latencies; then a sparkline of successful requests per second, and one line per
 * client that says what happened. Plain text (block characters, no escape codes), so it reads the
 * same in a terminal and in a CI log.
 */
final class Report {
  private static final String BLOCKS = "▁▂▃▄▅▆▇█";
  /** Latency rows are shown when one client's p50 or p99 is this many times another's. */
  private static final double LATENCY_DIFFERENCE = 1.5;

  private Report() {}

  /**
   * One client's measured results.
   *
   * @param tally requests by outcome, with the server's refresh calls and reuse detections
   * @param okPerSecond successful requests in each second of the run
   */
  record ClientResult(String id, String title, Tally tally, double p50Millis, double p99Millis,
      List<Long> okPerSecond) {

    ClientResult {
      okPerSecond = List.copyOf(okPerSecond);
    }

    static ClientResult of(ClientStats stats, DemoServer.ClientCounts server) {
      return new ClientResult(stats.client().id(), stats.client().title(), stats.tally(server),
          stats.latencyMillis(50), stats.latencyMillis(99),
          Arrays.stream(stats.okPerSecond()).boxed().toList());
    }

    long failed() {
      return tally.failed();
    }

    /** Milliseconds into the run of the first failure, or -1 when nothing failed. */
    long firstFailureMillis() {
      return Arrays.stream(tally.firstMillis()).filter(t -> t >= 0).min().orElse(-1);
    }
  }

  /**
   * Renders the table, the sparklines and the takeaways in at most {@code width} columns.
   *
   * @param runMillis how long the run was
   * @param ttlSeconds the access tokens' lifetime
   */
  static String render(List<ClientResult> results, int width, long runMillis, long ttlSeconds) {
    StringBuilder out = new StringBuilder();
    out.append(Table.render(results.stream().map(ClientResult::title).toList(),
        results.stream().map(ClientResult::id).toList(), rows(results), width - 1));

    out.append('\n');
    int titleWidth = results.stream().mapToInt(r -> r.title().length()).max().orElse(0);
    int seconds = results.stream().mapToInt(r -> r.okPerSecond().size()).max().orElse(1);
    int room = Math.max(10, width - 1 - titleWidth - 4);
    int perChar = (seconds + room - 1) / room; // seconds per character
    Text.wrap(perChar == 1
        ? "Successful requests per second (one character a second, same scale for all):"
        : "Successful requests (one character per " + perChar + " s, same scale for all):", width - 1, "", "")
        .forEach(l -> out.append(l).append('\n'));
    List<List<Long>> lines = results.stream().map(r -> buckets(r.okPerSecond(), perChar)).toList();
    long max = lines.stream().flatMap(List::stream).mapToLong(Long::longValue).max().orElse(1);
    for (int i = 0; i < results.size(); i++) {
      ClientResult r = results.get(i);
      String line = String.format(Locale.ROOT, "  %-" + titleWidth + "s  %s", r.title(), sparkline(lines.get(i), max));
      String note = r.firstFailureMillis() < 0 ? "no failures"
          : "first failure after " + Tally.seconds(r.firstFailureMillis());
      out.append(line.length() + 2 + note.length() <= width - 1 ? line + "  " + note : line).append('\n');
    }

    out.append('\n');
    for (ClientResult r : results) {
      Text.wrap(r.title() + ": " + r.tally().takeaway(runMillis, ttlSeconds), width - 1, "", "    ")
          .forEach(l -> out.append(l).append('\n'));
    }
    return out.toString();
  }

  private static List<Table.Row> rows(List<ClientResult> results) {
    List<Table.Row> rows = new ArrayList<>();
    rows.add(Table.Row.of("requests", "requests", cells(results, r -> Table.number(r.tally().requests()))));
    rows.add(Table.Row.of("succeeded", "ok", cells(results, r -> Table.number(r.tally().ok()))));
    rows.add(Table.Row.of("failed", "failed", cells(results, r -> Table.number(r.failed()))));
    rows.addAll(causeRows(results.stream().map(ClientResult::tally).toList()));
    rows.add(Table.Row.of("refresh calls", "refreshes", cells(results, r -> Table.number(r.tally().refreshCalls()))));
    rows.add(Table.Row.of("reuse detections", "reuse detected", cells(results, r -> Table.number(r.tally().reuseDetections()))));
    if (differ(results, ClientResult::p50Millis) || differ(results, ClientResult::p99Millis)) {
      rows.add(Table.Row.of("latency p50 (ms)", "p50 ms", cells(results, r -> millis(r.p50Millis()))));
      rows.add(Table.Row.of("latency p99 (ms)", "p99 ms", cells(results, r -> millis(r.p99Millis()))));
    }
    return rows;
  }

  /** One row per failure cause, each left out when no column had it. */
  static List<Table.Row> causeRows(List<Tally> tallies) {
    List<Table.Row> rows = new ArrayList<>();
    for (Outcome cause : Outcome.values()) {
      if (cause != Outcome.OK) {
        rows.add(Table.Row.ifNonZero("  " + cause.label(), "  " + cause.shortLabel(),
            tallies.stream().map(t -> Table.number(t.count(cause))).toList()));
      }
    }
    return rows;
  }

  private static boolean differ(List<ClientResult> results, Function<ClientResult, Double> latency) {
    double min = results.stream().mapToDouble(latency::apply).filter(d -> !Double.isNaN(d)).min().orElse(0);
    double max = results.stream().mapToDouble(latency::apply).filter(d -> !Double.isNaN(d)).max().orElse(0);
    return min > 0 && max >= LATENCY_DIFFERENCE * min;
  }

  /** Sums of {@code perChar} consecutive values. */
  private static List<Long> buckets(List<Long> values, int perChar) {
    List<Long> sums = new ArrayList<>();
    for (int i = 0; i < values.size(); i += perChar) {
      sums.add(values.subList(i, Math.min(values.size(), i + perChar)).stream().mapToLong(Long::longValue).sum());
    }
    return sums;
  }

  /** One character per value: a space for 0, else one of ▁▂▃▄▅▆▇█ in proportion to {@code max}. */
  static String sparkline(List<Long> values, long max) {
    StringBuilder line = new StringBuilder(values.size());
    for (long v : values) {
      if (v <= 0) {
        line.append(' ');
      } else {
        int level = (int) Math.ceil(Math.min(v, max) * (double) BLOCKS.length() / Math.max(1, max)) - 1;
        line.append(BLOCKS.charAt(Math.max(0, level)));
      }
    }
    return line.toString();
  }

  private static List<String> cells(List<ClientResult> results, Function<ClientResult, String> cell) {
    return results.stream().map(cell).toList();
  }

  private static String millis(double ms) {
    return Double.isNaN(ms) ? "-" : String.format(Locale.ROOT, "%.1f", ms);
  }
}
