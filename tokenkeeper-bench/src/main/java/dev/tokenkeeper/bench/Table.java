package dev.tokenkeeper.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A Markdown table, built row by row and rendered with aligned columns. */
final class Table {
  private final List<String[]> rows = new ArrayList<>();
  private final int columns;

  Table(String... header) {
    this.columns = header.length;
    rows.add(header);
  }

  Table row(Object... cells) {
    if (cells.length != columns) {
      throw new IllegalArgumentException("expected " + columns + " cells, got " + cells.length);
    }
    String[] row = new String[columns];
    for (int i = 0; i < columns; i++) {
      row[i] = String.valueOf(cells[i]);
    }
    rows.add(row);
    return this;
  }

  String render() {
    int[] widths = new int[columns];
    for (String[] row : rows) {
      for (int i = 0; i < columns; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    StringBuilder out = new StringBuilder();
    for (int r = 0; r < rows.size(); r++) {
      line(out, rows.get(r), widths);
      if (r == 0) {
        String[] rule = new String[columns];
        for (int i = 0; i < columns; i++) {
          rule[i] = "-".repeat(widths[i]);
        }
        line(out, rule, widths);
      }
    }
    return out.toString();
  }

  private static void line(StringBuilder out, String[] cells, int[] widths) {
    out.append('|');
    for (int i = 0; i < cells.length; i++) {
      out.append(' ').append(cells[i]).append(" ".repeat(widths[i] - cells[i].length())).append(" |");
    }
    out.append('\n');
  }

  /** Formats {@code value} with {@code decimals} decimals, in the root locale. */
  static String num(double value, int decimals) {
    return Double.isNaN(value) ? "n/a" : String.format(Locale.ROOT, "%." + decimals + "f", value);
  }

  /** Nanoseconds as milliseconds with one decimal. */
  static String ms(double nanos) {
    return num(nanos / 1e6, 1);
  }
}
