package dev.tokenkeeper.demo;

import java.util.ArrayList;
import java.util.List;

/**
 * Fitting text to a terminal's width. Every character the demo prints (letters, digits, {@code
 * █░▁…█}, {@code →}) takes one column, so a string's length is its width on screen.
 */
final class Text {
  private Text() {}

  /** {@code text} cut to {@code width} columns, ending in {@code …} when something was cut. */
  static String fit(String text, int width) {
    if (text.length() <= width) {
      return text;
    }
    return width <= 0 ? "" : text.substring(0, width - 1) + "…";
  }

  /**
   * {@code text} broken into lines of at most {@code width} columns at spaces, the first line
   * starting with {@code first}, the others with {@code rest}; a word longer than a line is cut.
   */
  static List<String> wrap(String text, int width, String first, String rest) {
    List<String> lines = new ArrayList<>();
    StringBuilder line = new StringBuilder(first);
    boolean empty = true;
    for (String word : text.trim().split(" +")) {
      String indent = lines.isEmpty() ? first : rest;
      if (!empty && line.length() + 1 + word.length() > width) {
        lines.add(line.toString());
        line = new StringBuilder(rest);
        empty = true;
        indent = rest;
      }
      if (!empty) {
        line.append(' ');
      }
      line.append(fit(word, width - indent.length()));
      empty = false;
    }
    lines.add(line.toString());
    return lines;
  }
}
