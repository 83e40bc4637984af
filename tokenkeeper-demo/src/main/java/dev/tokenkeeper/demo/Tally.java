package dev.tokenkeeper.demo;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * What one client (act 1) or one worker process (act 2) has come to so far: requests by outcome,
 * when each kind of failure first happened, and the server's refresh calls and reuse detections
 * for it. It says <em>why</em> in words: {@link #cause()} for the live view, {@link #takeaway}
 * under the final table. Immutable.
 *
 * @param counts requests by {@link Outcome#ordinal()}
 * @param firstMillis milliseconds into the run of the first request of each outcome, -1 for none
 */
record Tally(long[] counts, long[] firstMillis, long refreshCalls, long reuseDetections) {
  /** The causes in the order they explain a run: a lost session explains the 401s that follow. */
  private static final Outcome[] EXPLAINING = {Outcome.SESSION_LOST, Outcome.REFRESH_REJECTED,
      Outcome.API_REJECTED, Outcome.TIMEOUT_OR_OTHER};

  Tally {
    if (counts.length != Outcome.values().length || firstMillis.length != counts.length) {
      throw new IllegalArgumentException("one count and one time per outcome");
    }
    counts = counts.clone();
    firstMillis = firstMillis.clone();
  }

  /** Nothing yet. */
  static Tally empty() {
    long[] none = new long[Outcome.values().length];
    long[] never = new long[none.length];
    Arrays.fill(never, -1);
    return new Tally(none, never, 0, 0);
  }

  long count(Outcome o) {
    return counts[o.ordinal()];
  }

  long requests() {
    return Arrays.stream(counts).sum();
  }

  long ok() {
    return count(Outcome.OK);
  }

  long failed() {
    return requests() - ok();
  }

  /** The failure that explains the others: the first of {@link #EXPLAINING} that happened. */
  Optional<Outcome> mainCause() {
    return Arrays.stream(EXPLAINING).filter(o -> count(o) > 0).findFirst();
  }

  /** This tally and {@code other} together: counts added, the earlier first times kept. */
  Tally plus(Tally other) {
    long[] sum = new long[counts.length];
    long[] first = new long[counts.length];
    for (int i = 0; i < sum.length; i++) {
      sum[i] = counts[i] + other.counts[i];
      first[i] = firstMillis[i] < 0 ? other.firstMillis[i]
          : other.firstMillis[i] < 0 ? firstMillis[i] : Math.min(firstMillis[i], other.firstMillis[i]);
    }
    return new Tally(sum, first, refreshCalls + other.refreshCalls, reuseDetections + other.reuseDetections);
  }

  /** The same counts with the server's numbers replaced. */
  Tally withServerCounts(long refreshCalls, long reuseDetections) {
    return new Tally(counts, firstMillis, refreshCalls, reuseDetections);
  }

  /**
   * One short line for the live view: {@code refresh token reused → session revoked at 2.8 s},
   * {@code token expired at 3.0 s, no refresh → every request 401}, {@code 0 failures, 3 refreshes}.
   */
  String cause() {
    Optional<Outcome> cause = mainCause();
    if (cause.isEmpty()) {
      return "0 failures, " + refreshes(refreshCalls);
    }
    String at = seconds(firstMillis[cause.get().ordinal()]);
    switch (cause.get()) {
      case SESSION_LOST:
        return "refresh token reused → session revoked at " + at;
      case REFRESH_REJECTED:
        return "refresh refused at " + at + " → logged out";
      case API_REJECTED:
        return refreshCalls == 0
            ? "token expired at " + at + ", no refresh → every request 401"
            : String.format(Locale.ROOT, "%,d sent an expired token (401), first at %s", count(Outcome.API_REJECTED), at);
      default:
        return String.format(Locale.ROOT, "%,d timeouts / errors, first at %s", count(Outcome.TIMEOUT_OR_OTHER), at);
    }
  }

  /**
   * One sentence for under the final table, for a run of {@code runMillis} with tokens living
   * {@code ttlSeconds}.
   */
  String takeaway(long runMillis, long ttlSeconds) {
    Optional<Outcome> cause = mainCause();
    String failedOf = String.format(Locale.ROOT, "%,d of %,d requests failed", failed(), requests());
    if (cause.isEmpty()) {
      long lifetimes = Math.max(1, (runMillis / 1000 + ttlSeconds - 1) / ttlSeconds);
      return String.format(Locale.ROOT, "0 of %,d requests failed; %s in %s with %d s tokens%s.",
          requests(), refreshes(refreshCalls), seconds(runMillis), ttlSeconds,
          refreshCalls <= lifetimes ? ", at most one per token lifetime" : "");
    }
    String at = seconds(firstMillis[cause.get().ordinal()]);
    switch (cause.get()) {
      case SESSION_LOST:
        return String.format(Locale.ROOT, "%s with the same refresh token; at %s the server "
            + "saw a rotated token come back, revoked the session (reuse detection%s), and the "
            + "user was logged out: %s.", refreshes(refreshCalls), at,
            reuseDetections > 0 ? "" : " for another client", failedOf);
      case REFRESH_REJECTED:
        return String.format(Locale.ROOT, "the server refused a refresh at %s and the user was "
            + "logged out: %s.", at, failedOf);
      case API_REJECTED:
        return refreshCalls == 0
            ? String.format(Locale.ROOT, "never refreshes: its token expired at %s and from then on "
                + "every request got 401: %s.", at, failedOf)
            : String.format(Locale.ROOT, "requests went out with an expired token and got 401 "
                + "(first at %s): %s.", at, failedOf);
      default:
        return String.format(Locale.ROOT, "timeouts or errors from %s on: %s.", at, failedOf);
    }
  }

  static String refreshes(long n) {
    return String.format(Locale.ROOT, "%,d refresh%s", n, n == 1 ? "" : "es");
  }

  static String seconds(long millis) {
    return String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
  }

  // --------------------------------------------------------------- act 2's line protocol

  /** {@code <count>... <first>...}: one line, numbers only, for a worker process's stdout. */
  String toLine() {
    StringBuilder line = new StringBuilder();
    for (long c : counts) {
      line.append(c).append(' ');
    }
    for (long f : firstMillis) {
      line.append(f).append(' ');
    }
    return line.toString().trim();
  }

  /**
   * Parses {@link #toLine()}; the server counts are not in it (the parent asks the server).
   *
   * @throws IllegalArgumentException for a line that is not one
   */
  static Tally parse(String line) {
    String[] fields = line.trim().split(" +");
    int n = Outcome.values().length;
    if (fields.length != 2 * n) {
      throw new IllegalArgumentException("not a tally line: " + line);
    }
    long[] counts = new long[n];
    long[] first = new long[n];
    for (int i = 0; i < n; i++) {
      counts[i] = Long.parseLong(fields[i]);
      first[i] = Long.parseLong(fields[n + i]);
    }
    return new Tally(counts, first, 0, 0);
  }
}
