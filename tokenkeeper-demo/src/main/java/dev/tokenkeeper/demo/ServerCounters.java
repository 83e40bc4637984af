package dev.tokenkeeper.demo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the demo server saw, per client (the {@value DemoServer#CLIENT_HEADER} header). The numbers
 * in the demo's table about refresh calls and reuse detections come from here, not from the
 * clients' own bookkeeping. Thread-safe.
 */
final class ServerCounters {

  /** The live counters of one client. */
  static final class Counters {
    final LongAdder logins = new LongAdder();
    final LongAdder refreshCalls = new LongAdder();
    final LongAdder refreshRejected = new LongAdder();
    final LongAdder reuseDetections = new LongAdder();
    final LongAdder apiCalls = new LongAdder();
    final LongAdder apiRejected = new LongAdder();

    DemoServer.ClientCounts snapshot() {
      return new DemoServer.ClientCounts(logins.sum(), refreshCalls.sum(), refreshRejected.sum(),
          reuseDetections.sum(), apiCalls.sum(), apiRejected.sum());
    }
  }

  private final Map<String, Counters> byClient = new ConcurrentHashMap<>();
  private final List<Long> rotations = new ArrayList<>(); // guarded by itself

  void rotatedAt(long millis) {
    synchronized (rotations) {
      rotations.add(millis);
    }
  }

  long shortestRotationGapMillis() {
    List<Long> sorted;
    synchronized (rotations) {
      sorted = new ArrayList<>(rotations);
    }
    Collections.sort(sorted);
    long shortest = -1;
    for (int i = 1; i < sorted.size(); i++) {
      long gap = sorted.get(i) - sorted.get(i - 1);
      shortest = shortest < 0 ? gap : Math.min(shortest, gap);
    }
    return shortest;
  }

  Counters of(String client) {
    return byClient.computeIfAbsent(client, c -> new Counters());
  }
}
