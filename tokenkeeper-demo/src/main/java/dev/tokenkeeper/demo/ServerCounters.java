package dev.tokenkeeper.demo;

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

  Counters of(String client) {
    return byClient.computeIfAbsent(client, c -> new Counters());
  }
}
