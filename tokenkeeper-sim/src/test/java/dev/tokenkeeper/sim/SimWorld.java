package dev.tokenkeeper.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The simulated world's time and event queue: one virtual clock (milliseconds, the store's and the
 * token server's time), one seeded random generator, and a queue of events ordered by time, then by
 * the order they were scheduled. Nothing here uses a real thread or the real clock.
 *
 * <p>{@link #runUntil} may be called from inside an event (a blocking call of the code under test:
 * the token source waiting for its answer, the store's {@code awaitChange}); it runs the queue
 * forward, nested, until its condition holds or its deadline passes. See {@code package-info} for
 * what that can and cannot produce.
 */
final class SimWorld {
  /** A scheduled event; also the {@link Future} the keeper's scheduler hands out. */
  static final class Event implements Future<Object> {
    final long at;
    final long seq;
    final String label;
    final Runnable task;
    boolean cancelled;
    boolean done;

    Event(long at, long seq, String label, Runnable task) {
      this.at = at;
      this.seq = seq;
      this.label = label;
      this.task = task;
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      if (done || cancelled) {
        return false;
      }
      cancelled = true;
      return true;
    }

    @Override
    public boolean isCancelled() {
      return cancelled;
    }

    @Override
    public boolean isDone() {
      return done || cancelled;
    }

    @Override
    public Object get() {
      throw new UnsupportedOperationException("nothing in the simulation waits on a timer");
    }

    @Override
    public Object get(long timeout, TimeUnit unit) {
      throw new UnsupportedOperationException("nothing in the simulation waits on a timer");
    }
  }

  final SplittableRandom random;
  private final PriorityQueue<Event> queue = new PriorityQueue<>((a, b) ->
      a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
  private final long start;
  private long now;
  private long seq;
  private long sameTimeSince;
  private long sameTimeAt = Long.MIN_VALUE;
  /** Steps allowed at one virtual millisecond before the world calls it a livelock. */
  static final long LIVELOCK_STEPS = 200_000;
  private Runnable livelock = () -> { };
  private long steps;
  private int depth;
  private int maxDepth;
  private boolean stopped;
  /** Runs after every event: the invariant checks. */
  private Runnable afterStep = () -> { };
  private final List<String> trace;
  private Supplier<String> state = () -> "";

  SimWorld(long seed, long start, boolean tracing) {
    this.random = new SplittableRandom(seed);
    this.start = start;
    this.now = start;
    this.trace = tracing ? new ArrayList<>() : null;
  }

  long now() {
    return now;
  }

  long steps() {
    return steps;
  }

  int maxDepth() {
    return maxDepth;
  }

  void onLivelock(Runnable report) {
    this.livelock = report;
  }

  void afterStep(Runnable check) {
    this.afterStep = check;
  }

  /** What the trace shows on every line after the time: store version, lease owner. */
  void state(Supplier<String> state) {
    this.state = state;
  }

  /** Stops the world: every loop returns as soon as it can (a violation was found). */
  void stop() {
    stopped = true;
  }

  boolean stopped() {
    return stopped;
  }

  Event after(long delayMillis, String label, Runnable task) {
    Event e = new Event(now + Math.max(0, delayMillis), seq++, label, task);
    queue.add(e);
    return e;
  }

  boolean tracing() {
    return trace != null;
  }

  void trace(String who, Supplier<String> what) {
    if (trace != null) {
      trace.add(String.format("%9.3fs #%-6d %-9s %-26s %s", (now - start) / 1000.0, steps, who, state.get(), what.get()));
    }
  }

  List<String> traceLines() {
    return trace == null ? List.of() : trace;
  }

  /**
   * Runs events until {@code done} holds (checked before each event) or the next event lies after
   * {@code deadline}; then the clock stands at the deadline if it was reached. Returns {@code done}.
   */
  boolean runUntil(BooleanSupplier done, long deadline) {
    depth++;
    maxDepth = Math.max(maxDepth, depth);
    try {
      while (!stopped) {
        if (done.getAsBoolean()) {
          return true;
        }
        Event next = queue.peek();
        if (next == null || next.at > deadline) {
          now = Math.max(now, deadline);
          return done.getAsBoolean();
        }
        queue.poll();
        if (next.cancelled) {
          continue;
        }
        now = Math.max(now, next.at);
        steps++;
        if (now != sameTimeAt) {
          sameTimeAt = now;
          sameTimeSince = steps;
        } else if (steps - sameTimeSince > LIVELOCK_STEPS) {
          livelock.run();
          sameTimeSince = steps;
        }
        next.done = true;
        next.task.run();
        afterStep.run();
      }
      return done.getAsBoolean();
    } finally {
      depth--;
    }
  }
}
