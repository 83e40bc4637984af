package dev.tokenkeeper.internal;

import java.time.Duration;

/** Time arithmetic that saturates instead of overflowing: {@code ChronoUnit.FOREVER} is a valid timeout. */
final class Durations {
  private Durations() {}

  /** {@code d} in millis, clamped to the range of a long. */
  static long millis(Duration d) {
    try {
      return d.toMillis();
    } catch (ArithmeticException e) {
      return d.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
  }

  /** {@code epochMillis + d}, clamped to the range of a long. */
  static long plus(long epochMillis, Duration d) {
    return plus(epochMillis, millis(d));
  }

  /** {@code a + b}, clamped to the range of a long. */
  static long plus(long a, long b) {
    long sum = a + b;
    // Overflow only when both have the same sign and the sum's sign differs.
    if (((a ^ sum) & (b ^ sum)) < 0) {
      return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
    return sum;
  }

  /** {@code a - b}, clamped to the range of a long. */
  static long minus(long a, long b) {
    return b == Long.MIN_VALUE ? plus(plus(a, Long.MAX_VALUE), 1) : plus(a, -b);
  }

  /** {@code a * factor} for a non-negative {@code a}, clamped to the range of a long. */
  static long times(long a, int factor) {
    return a > Long.MAX_VALUE / factor ? Long.MAX_VALUE : a * factor;
  }
}
