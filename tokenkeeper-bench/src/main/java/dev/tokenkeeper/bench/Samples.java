package dev.tokenkeeper.bench;

import java.util.Arrays;

/** A growable list of long samples (nanoseconds, counts) with the order statistics the reports use. */
final class Samples {
  private long[] values = new long[1024];
  private int size;

  void add(long value) {
    if (size == values.length) {
      values = Arrays.copyOf(values, size * 2);
    }
    values[size++] = value;
  }

  void addAll(Samples other) {
    for (int i = 0; i < other.size; i++) {
      add(other.values[i]);
    }
  }

  long get(int i) {
    if (i >= size) {
      throw new IndexOutOfBoundsException(i + " >= " + size);
    }
    return values[i];
  }

  /** How many samples are at least {@code threshold}. */
  int countAtLeast(long threshold) {
    int n = 0;
    for (int i = 0; i < size; i++) {
      if (values[i] >= threshold) {
        n++;
      }
    }
    return n;
  }

  int size() {
    return size;
  }

  /** The {@code p}-th percentile (nearest rank), {@code p} in (0, 100]; NaN when empty. */
  double percentile(double p) {
    if (size == 0) {
      return Double.NaN;
    }
    long[] sorted = Arrays.copyOf(values, size);
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(p / 100.0 * size);
    return sorted[Math.max(0, Math.min(size - 1, rank - 1))];
  }

  double median() {
    return medianOf(Arrays.copyOf(values, size));
  }

  static double medianOf(double[] values) {
    if (values.length == 0) {
      return Double.NaN;
    }
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int mid = sorted.length / 2;
    return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  }

  static double medianOf(long[] values) {
    double[] d = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      d[i] = values[i];
    }
    return medianOf(d);
  }
}
