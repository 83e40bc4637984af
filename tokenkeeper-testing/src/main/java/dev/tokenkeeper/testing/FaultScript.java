package dev.tokenkeeper.testing;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The faults scripted for upcoming token requests: a FIFO queue, then an optional standing fault
 * for every request once the queue is empty. Thread-safe: every method is synchronized, so two
 * concurrent requests never take the same queued fault.
 */
final class FaultScript {

  private final Deque<Fault> queued = new ArrayDeque<>();
  private @Nullable Fault standing;

  synchronized void enqueue(List<Fault> faults) {
    queued.addAll(faults);
  }

  synchronized void failAll(Fault fault) {
    standing = fault;
  }

  synchronized void clear() {
    queued.clear();
    standing = null;
  }

  /** Takes the fault for the request that just arrived, or null to serve it normally. */
  synchronized @Nullable Fault next() {
    Fault fault = queued.poll();
    return fault != null ? fault : standing;
  }
}
