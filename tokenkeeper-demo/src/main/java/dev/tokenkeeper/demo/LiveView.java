package dev.tokenkeeper.demo;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;
import java.util.function.ToLongFunction;

/**
 * The view while the demo runs: one line per client with elapsed time, requests ok / failed and
 * refresh calls. On a terminal, the lines are redrawn in place with ANSI escape codes (call {@link
 * #update()} about 4 times a second); anywhere else (a pipe, CI) each update appends plain lines,
 * without a single escape code (call it every second or two).
 *
 * <p>Thread-safe: updates are serialised.
 */
final class LiveView {
  private static final String CSI = "\u001b[";
  private static final int BAR_WIDTH = 12;

  private final PrintStream out;
  private final boolean terminal;
  private final List<ClientStats> clients;
  private final ToLongFunction<String> refreshCalls;
  private final long totalMillis;
  private final LongSupplier elapsedMillis;
  private final int titleWidth;
  private int linesOnScreen;

  /**
   * @param refreshCalls the server's count of refresh calls, by client id
   * @param elapsedMillis time since the start of the run
   */
  LiveView(PrintStream out, boolean terminal, List<ClientStats> clients,
      ToLongFunction<String> refreshCalls, Duration total, LongSupplier elapsedMillis) {
    this.out = out;
    this.terminal = terminal;
    this.clients = List.copyOf(clients);
    this.refreshCalls = refreshCalls;
    this.totalMillis = total.toMillis();
    this.elapsedMillis = elapsedMillis;
    this.titleWidth = clients.stream().mapToInt(c -> c.client().title().length()).max().orElse(0);
  }

  /** Draws the current state: in place on a terminal, as new lines otherwise. */
  synchronized void update() {
    long elapsed = Math.min(Math.max(0, elapsedMillis.getAsLong()), totalMillis);
    StringBuilder frame = new StringBuilder();
    if (terminal && linesOnScreen > 0) {
      frame.append(CSI).append(linesOnScreen).append('F'); // up to the first line of the last frame
    }
    for (ClientStats c : clients) {
      Line line = new Line(c.client().title(), elapsed, totalMillis, c.count(Outcome.OK), c.failed(),
          refreshCalls.applyAsLong(c.client().id()));
      frame.append(terminal ? CSI + "2K" + line.forTerminal(titleWidth) : line.plain(titleWidth)).append('\n');
    }
    out.print(frame);
    out.flush();
    linesOnScreen = clients.size();
  }

  /** One client's line, in both renderings. */
  record Line(String title, long elapsedMillis, long totalMillis, long ok, long failed, long refreshCalls) {

    /**
     * {@code naive recipe ██████░░░░░░   6.3s  ok 12,345  failed  4,567  refresh calls   57}, the
     * failures in red; under 80 columns, or a wrapped line would break the redraw.
     */
    String forTerminal(int titleWidth) {
      int filled = (int) (BAR_WIDTH * elapsedMillis / Math.max(1, totalMillis));
      String failedText = String.format(Locale.ROOT, "%,6d", failed);
      return String.format(Locale.ROOT, "%-" + titleWidth + "s %s%s %5.1fs  ok %,6d  failed %s  refresh calls %,4d",
          title, "█".repeat(filled), "░".repeat(BAR_WIDTH - filled), elapsedMillis / 1000.0, ok,
          failed > 0 ? CSI + "31m" + failedText + CSI + "0m" : failedText, refreshCalls);
    }

    /** {@code [ 6/15 s] naive recipe  ok 12,345  failed  4,567  refresh calls   57}: ASCII only. */
    String plain(int titleWidth) {
      return String.format(Locale.ROOT, "[%2d/%d s] %-" + titleWidth + "s  ok %,6d  failed %,6d  refresh calls %,4d",
          elapsedMillis / 1000, totalMillis / 1000, title, ok, failed, refreshCalls);
    }
  }
}
