package dev.tokenkeeper.reliability;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Real time plus an offset that a test can move, forward or back: for tests that must run on real
 * time (real timeouts, real backoff) yet put a token at a chosen age or make the clock jump.
 */
final class OffsetClock implements InstantSource {
  private final AtomicLong offsetMillis = new AtomicLong();

  @Override
  public Instant instant() {
    return Instant.ofEpochMilli(millis());
  }

  @Override
  public long millis() {
    return System.currentTimeMillis() + offsetMillis.get();
  }

  /** Moves this clock by {@code by} (negative: back), at once. */
  void jump(Duration by) {
    offsetMillis.addAndGet(by.toMillis());
  }
}
