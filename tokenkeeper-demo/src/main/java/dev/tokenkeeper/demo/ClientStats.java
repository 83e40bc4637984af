package dev.tokenkeeper.demo;

import java.time.Duration;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one client's requests came to, as its workers measure it: outcomes, successes per second
 * of the run, the time of the first failure, and latencies.
 *
 * <p>Counters are thread-safe and may be read while the run goes on (the live view does). Each
 * worker records latencies in its own {@link Latencies}, with no sharing; {@link #latencyMillis}
 * merges them and may only be called after the workers have stopped.
 */
final class ClientStats {
  private final DemoClient client;
  private final InstantSource clock;
  private volatile long startMillis;
  private final Map<Outcome, LongAdder> outcomes = new EnumMap<>(Outcome.class);
  private final AtomicLongArray okPerSecond;
  /** Milliseconds into the run of the first request of each outcome; MAX_VALUE for none yet. */
  private final AtomicLongArray firstAt = new AtomicLongArray(Outcome.values().length);
  private final List<Latencies> latencies = new CopyOnWriteArrayList<>();

  ClientStats(DemoClient client, InstantSource clock, long startMillis, Duration planned) {
    this.client = client;
    this.clock = clock;
    this.startMillis = startMillis;
    this.okPerSecond = new AtomicLongArray((int) Math.max(1, (planned.toMillis() + 999) / 1000));
    for (Outcome o : Outcome.values()) {
      outcomes.put(o, new LongAdder());
      firstAt.set(o.ordinal(), Long.MAX_VALUE);
    }
  }

  /** Moves the start of the run to {@code millis} on the clock (before any request is recorded). */
  void startAt(long millis) {
    this.startMillis = millis;
  }

  DemoClient client() {
    return client;
  }

  /** Records one request's outcome, at the clock's current time. */
  void record(Outcome outcome) {
    long elapsed = clock.millis() - startMillis;
    if (outcome != Outcome.OK) {
      // Before the count: a reader that sees the count sees its time too.
      firstAt.accumulateAndGet(outcome.ordinal(), Math.max(0, elapsed), Math::min);
    }
    outcomes.get(outcome).increment();
    if (outcome == Outcome.OK) {
      // A request that ends after the planned duration counts in the last second.
      int second = (int) Math.min(Math.max(0, elapsed / 1000), okPerSecond.length() - 1);
      okPerSecond.incrementAndGet(second);
    }
  }

  /** A new latency recorder for one worker. */
  Latencies newLatencies() {
    Latencies l = new Latencies();
    latencies.add(l);
    return l;
  }

  long count(Outcome outcome) {
    return outcomes.get(outcome).sum();
  }

  long requests() {
    return outcomes.values().stream().mapToLong(LongAdder::sum).sum();
  }

  long failed() {
    return requests() - count(Outcome.OK);
  }

  /** Milliseconds into the run of the first failure, or -1 when there was none. */
  long firstFailureMillis() {
    long first = Long.MAX_VALUE;
    for (Outcome o : Outcome.values()) {
      if (o != Outcome.OK) {
        first = Math.min(first, firstAt.get(o.ordinal()));
      }
    }
    return first == Long.MAX_VALUE ? -1 : first;
  }

  /** The counts so far and when each outcome first happened, with the server's counts. */
  Tally tally(DemoServer.ClientCounts server) {
    long[] counts = new long[Outcome.values().length];
    long[] first = new long[counts.length];
    for (Outcome o : Outcome.values()) {
      counts[o.ordinal()] = count(o);
      long at = firstAt.get(o.ordinal());
      first[o.ordinal()] = at == Long.MAX_VALUE ? -1 : at;
    }
    return new Tally(counts, first, server.refreshCalls(), server.reuseDetections());
  }

  long[] okPerSecond() {
    long[] copy = new long[okPerSecond.length()];
    for (int i = 0; i < copy.length; i++) {
      copy[i] = okPerSecond.get(i);
    }
    return copy;
  }

  /** The latency at {@code percentile} (0..100) in milliseconds, or NaN without requests. */
  double latencyMillis(double percentile) {
    long[] all = latencies.stream().flatMapToLong(l -> Arrays.stream(l.values, 0, l.size)).sorted().toArray();
    if (all.length == 0) {
      return Double.NaN;
    }
    int rank = (int) Math.ceil(percentile / 100 * all.length); // nearest rank
    return all[Math.max(0, rank - 1)] / 1e6;
  }

  /** One worker's latencies in nanoseconds. Not thread-safe: one worker writes, read after the run. */
  static final class Latencies {
    private long[] values = new long[1024];
    private int size;

    void add(long nanos) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = nanos;
    }
  }
}
