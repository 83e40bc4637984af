package dev.tokenkeeper.demo;

import java.io.PrintStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The view while the demo runs: per client (or process) a line with elapsed time, requests ok /
 * failed and refresh calls, and under it why it fails, in words ({@link Tally#cause()}).
 *
 * <p>On a terminal the lines are redrawn in place with ANSI escape codes (call {@link #update()}
 * about 4 times a second). No line is ever longer than the width less one column, so no line
 * wraps and moving the cursor up by the number of lines drawn lands exactly on the first one:
 * narrower terminals get shorter names, then no progress bar, then shorter labels, then no refresh
 * count. Anywhere else (a pipe, CI) each update appends plain ASCII lines, and a cause line only
 * when the cause changed (call it every second or two).
 *
 * <p>Thread-safe: updates are serialised.
 */
final class LiveView {
  private static final String CSI = "\u001b[";
  private static final int BAR_WIDTH = 12;

  /**
   * One client's (or process's) state.
   *
   * @param shortTitle the title when the full one does not fit
   */
  record Row(String title, String shortTitle, Tally tally) {}

  private final PrintStream out;
  private final boolean terminal;
  private final int width;
  private final Supplier<List<Row>> rows;
  private final long totalMillis;
  private final LongSupplier elapsedMillis;
  private final Map<String, String> causeShown = new HashMap<>();
  private int linesOnScreen;

  /**
   * @param width the terminal's columns; lines use at most {@code width - 1}
   * @param elapsedMillis time since the start of the run
   */
  LiveView(PrintStream out, boolean terminal, int width, Supplier<List<Row>> rows, Duration total,
      LongSupplier elapsedMillis) {
    this.out = out;
    this.terminal = terminal;
    this.width = width;
    this.rows = rows;
    this.totalMillis = total.toMillis();
    this.elapsedMillis = elapsedMillis;
  }

  /** Draws the current state: in place on a terminal, as new lines otherwise. */
  synchronized void update() {
    long elapsed = Math.min(Math.max(0, elapsedMillis.getAsLong()), totalMillis);
    List<Row> now = rows.get();
    StringBuilder frame = new StringBuilder();
    if (terminal) {
      if (linesOnScreen > 0) {
        frame.append(CSI).append(linesOnScreen).append('F'); // to the first line of the last frame
      }
      Layout layout = Layout.choose(now, width - 1, 0, true);
      for (Row row : now) {
        String plain = layout.line(row, elapsed, totalMillis, true, false);
        // Past what the narrowest layout holds (huge numbers), cut: a wrapped line breaks the redraw.
        String line = plain.length() < width ? layout.line(row, elapsed, totalMillis, true, true)
            : Text.fit(plain, width - 1);
        frame.append(CSI).append("2K").append(line).append('\n');
        frame.append(CSI).append("2K").append(Text.fit("  ↳ " + row.tally().cause(), width - 1)).append('\n');
      }
      frame.append(CSI).append("J"); // nothing of a longer earlier frame stays below
      linesOnScreen = 2 * now.size();
    } else {
      String clock = String.format(Locale.ROOT, "[%2d/%d s] ", elapsed / 1000, totalMillis / 1000);
      Layout layout = Layout.choose(now, width - 1, clock.length(), false);
      for (Row row : now) {
        frame.append(Text.fit(clock + layout.line(row, elapsed, totalMillis, false, false), width - 1)).append('\n');
      }
      for (Row row : now) {
        String cause = row.tally().cause().replace("→", "->");
        if (!cause.equals(causeShown.put(row.title(), cause))) {
          frame.append(Text.fit(clock + row.title() + ": " + cause, width - 1)).append('\n');
        }
      }
    }
    out.print(frame);
    out.flush();
  }

  /** Which names and fields a stats line has, chosen so that every row fits. */
  enum Layout {
    /** {@code naive recipe ██████░░░░░░   6.3s  ok  12,345  failed   4,567  refresh calls    57} */
    FULL(false, true, "ok", "failed", "refresh calls"),
    /** The same without the progress bar. */
    NO_BAR(false, false, "ok", "failed", "refresh calls"),
    /** {@code naive recipe   6.3s ok  12,345 fail   4,567 refr    57} */
    COMPACT(false, false, "ok", "fail", "refr"),
    /** {@code naive   6.3s ok  12,345 fail   4,567 refr    57} */
    SHORT_NAMES(true, false, "ok", "fail", "refr"),
    /** {@code naive   6.3s ok  12,345 fail   4,567} */
    NARROWEST(true, false, "ok", "fail", null);

    private final boolean shortNames;
    private final boolean bar;
    private final String ok;
    private final String failed;
    private final String refresh;

    Layout(boolean shortNames, boolean bar, String ok, String failed, String refresh) {
      this.shortNames = shortNames;
      this.bar = bar;
      this.ok = ok;
      this.failed = failed;
      this.refresh = refresh;
    }

    /**
     * The first layout whose lines, after {@code prefix} columns, all fit in {@code columns} (the
     * narrowest when none does). Without a terminal there is no bar and no time (the prefix has it).
     */
    static Layout choose(List<Row> rows, int columns, int prefix, boolean terminal) {
      for (Layout layout : values()) {
        if (!terminal && layout.bar) {
          continue;
        }
        int longest = rows.stream()
            .mapToInt(r -> prefix + layout.line(r, 0, 1, terminal, false).length()).max().orElse(0);
        if (longest <= columns) {
          return layout;
        }
      }
      return NARROWEST;
    }

    private String title(Row row) {
      return Text.fit(shortNames ? row.shortTitle() : row.title(), 12);
    }

    /**
     * The line for {@code row}: with the bar and the time on a terminal, and the failures in red
     * when {@code color} (escape codes take no columns).
     */
    String line(Row row, long elapsed, long total, boolean terminal, boolean color) {
      Tally t = row.tally();
      String failedText = String.format(Locale.ROOT, "%,7d", t.failed());
      if (color && t.failed() > 0) {
        failedText = CSI + "31m" + failedText + CSI + "0m";
      }
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT, shortNames ? "%-7s" : "%-12s", title(row)));
      if (bar && terminal) {
        int filled = (int) (BAR_WIDTH * elapsed / Math.max(1, total));
        line.append(' ').append("█".repeat(filled)).append("░".repeat(BAR_WIDTH - filled));
      }
      if (terminal) {
        line.append(String.format(Locale.ROOT, " %5.1fs", elapsed / 1000.0));
      }
      String gap = this == FULL || this == NO_BAR ? "  " : " ";
      line.append(gap).append(ok).append(String.format(Locale.ROOT, " %,7d", t.ok()));
      line.append(gap).append(failed).append(' ').append(failedText);
      if (refresh != null) {
        line.append(gap).append(refresh).append(String.format(Locale.ROOT, " %,5d", t.refreshCalls()));
      }
      return line.toString();
    }
  }
}
