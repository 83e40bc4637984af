package dev.tokenkeeper.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The live view and the tables at 40 to 160 columns. The live view's frames are played on {@link
 * Screen}, a terminal of that width that wraps long lines as real ones do: after any number of
 * redraws the screen must hold exactly the last frame, nothing stacked, nothing left over.
 */
class FitToWidthTest {

  @ParameterizedTest
  @ValueSource(ints = {40, 60, 80, 160})
  void liveView_redrawnManyTimes_screenHoldsExactlyTheLastFrame(int width) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    AtomicLong elapsed = new AtomicLong();
    AtomicInteger step = new AtomicInteger();
    LiveView view = new LiveView(new PrintStream(bytes, true, StandardCharsets.UTF_8), true, width,
        () -> rows(step.get()), Duration.ofSeconds(15), elapsed::get);
    Screen screen = new Screen(width);

    for (int i = 0; i < 8; i++) {
      step.set(i);
      elapsed.set(i * 2000L);
      bytes.reset();
      view.update();
      screen.play(bytes.toString(StandardCharsets.UTF_8));
    }

    assertThat(screen.lines()).as("screen at %d columns:%n%s", width, String.join("\n", screen.lines()))
        .hasSize(6); // two lines per client, once
    assertThat(screen.lines()).allSatisfy(line -> assertThat(line.length()).isLessThan(width));
    assertThat(screen.lines().get(0)).startsWith(width >= 80 ? "naive recipe" : "naive");
    assertThat(screen.lines().get(1)).startsWith("  ↳ refresh token reused");
    assertThat(screen.lines().get(5)).contains("0 failures, 1,234 refreshes");
  }

  @ParameterizedTest
  @ValueSource(ints = {40, 60, 80, 160})
  void plainLiveView_linesFitTheWidth(int width) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    LiveView view = new LiveView(new PrintStream(bytes, true, StandardCharsets.UTF_8), false, width,
        () -> rows(7), Duration.ofSeconds(3600), () -> 3_599_000);
    view.update();
    assertThat(bytes.toString(StandardCharsets.UTF_8).lines())
        .hasSize(6).allSatisfy(line -> assertThat(line.length()).isLessThan(width));
  }

  @ParameterizedTest
  @ValueSource(ints = {40, 60, 80, 160})
  void finalTables_everyLineFitsTheWidth(int width) {
    List<Report.ClientResult> act1 = List.of(
        result("none", "no refresh", Outcome.API_REJECTED, 13_667_000),
        result("naive", "naive recipe", Outcome.SESSION_LOST, 16_860_000),
        result("keeper", "Tokenkeeper", null, 0));
    String report = Report.render(act1, width, 3_600_000, 3);
    String act2 = Act2.render(List.of(ReportAndLiveViewTest.setup(Act2.Setup.MEMORY, 20_804_000),
        ReportAndLiveViewTest.setup(Act2.Setup.FILE, 0)), width, 3);

    assertThat(report.lines()).as(report).allSatisfy(line -> assertThat(line.length()).isLessThan(width));
    assertThat(act2.lines()).as(act2).allSatisfy(line -> assertThat(line.length()).isLessThan(width));
    assertThat(report).contains(width >= 60 ? "16,860,000" : "16.9M").contains(width >= 80 ? "session lost to reuse detection" : "session lost");
  }

  @Test
  void widthComesFromTheOption_elseColumns_elseStty_else80() {
    assertThat(TerminalWidth.resolve(60, Map.of("COLUMNS", "100"), true, () -> OptionalInt.of(120))).isEqualTo(60);
    assertThat(TerminalWidth.resolve(null, Map.of("COLUMNS", "100"), true, () -> OptionalInt.of(120))).isEqualTo(100);
    assertThat(TerminalWidth.resolve(null, Map.of(), true, () -> OptionalInt.of(120))).isEqualTo(120);
    assertThat(TerminalWidth.resolve(null, Map.of(), false, () -> OptionalInt.of(120))).isEqualTo(80);
    assertThat(TerminalWidth.resolve(null, Map.of("COLUMNS", "x"), true, OptionalInt::empty)).isEqualTo(80);
    assertThat(TerminalWidth.resolve(null, Map.of("COLUMNS", "20"), true, OptionalInt::empty)).isEqualTo(40);
  }

  @Test
  void latencyRows_onlyWhenTheyDiffer() {
    List<Report.ClientResult> same = List.of(withLatency("a", 50, 300), withLatency("b", 55, 320));
    List<Report.ClientResult> differ = List.of(withLatency("a", 50, 300), withLatency("b", 51, 900));
    assertThat(Report.render(same, 100, 15_000, 3)).doesNotContain("latency");
    assertThat(Report.render(differ, 100, 15_000, 3)).contains("latency p50 (ms)", "latency p99 (ms)");
  }

  @Test
  void wrap_breaksAtSpaces_withTheIndent() {
    assertThat(Text.wrap("one two three four", 9, "", "  ")).containsExactly("one two", "  three", "  four");
    assertThat(Text.fit("abcdef", 4)).isEqualTo("abc…");
  }

  /** Rows whose numbers grow with {@code step}: longer lines each frame. */
  private static List<LiveView.Row> rows(int step) {
    long n = (long) Math.pow(10, step);
    return List.of(
        new LiveView.Row("naive recipe", "naive", tally(n, n * 3, Outcome.SESSION_LOST, 50)),
        new LiveView.Row("no refresh", "none", tally(n, n * 2, Outcome.API_REJECTED, 0)),
        new LiveView.Row("Tokenkeeper", "keeper", tally(n * 5, 0, null, 1234)));
  }

  private static Tally tally(long ok, long failed, Outcome cause, long refreshes) {
    long[] counts = new long[Outcome.values().length];
    long[] first = new long[counts.length];
    Arrays.fill(first, -1);
    counts[Outcome.OK.ordinal()] = ok;
    if (cause != null) {
      counts[cause.ordinal()] = failed;
      first[cause.ordinal()] = 2345;
    }
    return new Tally(counts, first, refreshes, cause == Outcome.SESSION_LOST ? 1 : 0);
  }

  private static Report.ClientResult result(String id, String title, Outcome cause, long failed) {
    List<Long> perSecond = new ArrayList<>();
    for (int i = 0; i < 3600; i++) {
      perSecond.add((long) (i % 7) * 100);
    }
    return new Report.ClientResult(id, title, tally(1_000_000, failed, cause, 50), 40, 300, perSecond);
  }

  private static Report.ClientResult withLatency(String id, double p50, double p99) {
    return new Report.ClientResult(id, id, tally(10, 0, null, 1), p50, p99, List.of(10L));
  }

  /**
   * A terminal of {@code width} columns: prints characters, wraps at the right margin (the next
   * character goes to the next line), and understands the escape codes the live view sends:
   * {@code CSI n F} (up n lines, column 0), {@code CSI 2K} (clear the line), {@code CSI J} (clear
   * to the end of the screen), {@code CSI m} (colours, ignored).
   */
  static final class Screen {
    private static final Pattern CSI = Pattern.compile("\u001b\\[(\\d*)([A-Za-z])");
    private final int width;
    private final List<StringBuilder> rows = new ArrayList<>();
    private int row;
    private int column;

    Screen(int width) {
      this.width = width;
    }

    void play(String output) {
      int i = 0;
      Matcher m = CSI.matcher(output);
      while (i < output.length()) {
        if (m.find(i) && m.start() == i) {
          int n = m.group(1).isEmpty() ? 1 : Integer.parseInt(m.group(1));
          switch (m.group(2)) {
            case "F" -> {
              row = Math.max(0, row - n);
              column = 0;
            }
            case "K" -> line(row).setLength(0);
            case "J" -> {
              line(row).setLength(Math.min(line(row).length(), column));
              while (rows.size() > row + 1) {
                rows.remove(rows.size() - 1);
              }
            }
            default -> { } // colours
          }
          i = m.end();
          continue;
        }
        char c = output.charAt(i++);
        if (c == '\n') {
          row++;
          column = 0;
          continue;
        }
        if (column == width) { // a real terminal wraps here
          row++;
          column = 0;
        }
        StringBuilder line = line(row);
        while (line.length() < column) {
          line.append(' ');
        }
        if (column < line.length()) {
          line.setCharAt(column, c);
        } else {
          line.append(c);
        }
        column++;
      }
    }

    private StringBuilder line(int r) {
      while (rows.size() <= r) {
        rows.add(new StringBuilder());
      }
      return rows.get(r);
    }

    /** The lines with something on them. */
    List<String> lines() {
      return rows.stream().map(StringBuilder::toString).filter(s -> !s.isBlank()).toList();
    }
  }
}
