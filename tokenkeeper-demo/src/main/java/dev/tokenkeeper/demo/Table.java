package dev.tokenkeeper.demo;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A plain-text table with one column per client (or setup) that fits a width: it tries the long
 * labels and titles, then short labels, then short titles, and takes the first that fits (the
 * last when none does). Rows marked {@link Row#hideWhenZero} are left out when every cell is 0.
 */
final class Table {
  /**
   * One row.
   *
   * @param shortLabel the label when the long one does not fit
   * @param hideWhenZero leave the row out when every cell is {@code "0"}
   */
  record Row(String label, String shortLabel, List<String> cells, boolean hideWhenZero) {
    Row {
      cells = List.copyOf(cells);
    }

    static Row of(String label, String shortLabel, List<String> cells) {
      return new Row(label, shortLabel, cells, false);
    }

    static Row ifNonZero(String label, String shortLabel, List<String> cells) {
      return new Row(label, shortLabel, cells, true);
    }

    boolean shown() {
      return !hideWhenZero || cells.stream().anyMatch(c -> !c.equals("0"));
    }
  }

  private Table() {}

  /** The table in at most {@code width} columns, when it can be done. */
  static String render(List<String> titles, List<String> shortTitles, List<Row> rows, int width) {
    List<Row> shown = rows.stream().filter(Row::shown).toList();
    String widest = null;
    for (int attempt = 0; attempt < 4; attempt++) {
      boolean shortLabels = attempt >= 1;
      List<String> heads = attempt >= 2 ? shortTitles : titles;
      List<Row> cells = attempt >= 3 ? shown.stream().map(Table::abbreviated).toList() : shown;
      String table = render(heads, cells, shortLabels);
      widest = table;
      if (table.lines().mapToInt(String::length).max().orElse(0) <= width) {
        return table;
      }
    }
    return widest;
  }

  private static String render(List<String> heads, List<Row> rows, boolean shortLabels) {
    int labelWidth = rows.stream().mapToInt(r -> (shortLabels ? r.shortLabel() : r.label()).length()).max().orElse(0);
    List<Integer> widths = new ArrayList<>();
    for (int c = 0; c < heads.size(); c++) {
      int w = heads.get(c).length();
      for (Row r : rows) {
        w = Math.max(w, r.cells().get(c).length());
      }
      widths.add(w + 2);
    }
    StringBuilder out = new StringBuilder();
    line(out, "", labelWidth, heads, widths);
    for (Row r : rows) {
      line(out, shortLabels ? r.shortLabel() : r.label(), labelWidth, r.cells(), widths);
    }
    return out.toString();
  }

  private static void line(StringBuilder out, String label, int labelWidth, List<String> cells, List<Integer> widths) {
    StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-" + Math.max(1, labelWidth) + "s", label));
    for (int c = 0; c < cells.size(); c++) {
      line.append(String.format(Locale.ROOT, "%" + widths.get(c) + "s", cells.get(c)));
    }
    out.append(line.toString().stripTrailing()).append('\n');
  }

  /** The row with numbers of 10,000 and more written as {@code 14k} or {@code 13.7M}. */
  private static Row abbreviated(Row row) {
    return new Row(row.label(), row.shortLabel(), row.cells().stream().map(Table::abbreviate).toList(),
        row.hideWhenZero());
  }

  static String abbreviate(String cell) {
    if (!cell.matches("\\d{1,3}(,\\d{3})+")) {
      return cell;
    }
    long n = Long.parseLong(cell.replace(",", ""));
    if (n < 10_000) {
      return cell;
    }
    return n < 1_000_000 ? n / 1000 + "k" : String.format(Locale.ROOT, "%.1fM", n / 1e6);
  }

  static String number(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }
}
