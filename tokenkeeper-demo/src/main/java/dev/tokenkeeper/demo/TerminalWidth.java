package dev.tokenkeeper.demo;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * How many columns the demo may use: {@code --width}, else {@code COLUMNS} (set by most shells,
 * though not always exported), else what {@code stty size} says about the controlling terminal,
 * else 80. Read once, at the start: a terminal made narrower during the run may wrap the live view.
 */
final class TerminalWidth {
  static final int MIN = 40;
  static final int MAX = 1000;
  static final int DEFAULT = 80;

  private TerminalWidth() {}

  /**
   * The width to use.
   *
   * @param option {@code --width}, or null when not given
   * @param env the environment ({@code COLUMNS})
   * @param stty asks the terminal; only called when {@code terminal}
   */
  static int resolve(@Nullable Integer option, Map<String, String> env, boolean terminal,
      Supplier<OptionalInt> stty) {
    if (option != null) {
      return option;
    }
    OptionalInt columns = parse(env.get("COLUMNS"));
    if (columns.isPresent()) {
      return clamp(columns.getAsInt());
    }
    if (terminal) {
      OptionalInt asked = stty.get();
      if (asked.isPresent()) {
        return clamp(asked.getAsInt());
      }
    }
    return DEFAULT;
  }

  /** The columns of the controlling terminal from {@code stty size < /dev/tty}, if it answers within 2 s. */
  static OptionalInt stty() {
    if (System.getProperty("os.name", "").startsWith("Windows")) {
      return OptionalInt.empty();
    }
    Process stty = null;
    try {
      stty = new ProcessBuilder("sh", "-c", "stty size < /dev/tty")
          .redirectError(ProcessBuilder.Redirect.DISCARD).start();
      stty.getOutputStream().close();
      if (!stty.waitFor(2, TimeUnit.SECONDS)) {
        return OptionalInt.empty();
      }
      try (InputStream in = stty.getInputStream()) {
        String[] rowsColumns = new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim().split("\\s+");
        return rowsColumns.length == 2 ? parse(rowsColumns[1]) : OptionalInt.empty();
      }
    } catch (IOException e) {
      return OptionalInt.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return OptionalInt.empty();
    } finally {
      if (stty != null) {
        stty.destroyForcibly();
      }
    }
  }

  private static OptionalInt parse(@Nullable String value) {
    if (value == null) {
      return OptionalInt.empty();
    }
    try {
      int n = Integer.parseInt(value.trim());
      return n > 0 ? OptionalInt.of(n) : OptionalInt.empty();
    } catch (NumberFormatException e) {
      return OptionalInt.empty();
    }
  }

  private static int clamp(int columns) {
    return Math.max(MIN, Math.min(MAX, columns));
  }
}
