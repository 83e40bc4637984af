package dev.tokenkeeper.testing;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A clock and a timer that move only when the test moves them, so tests never sleep.
 *
 * <pre>{@code
 * TestClock clock = new TestClock(Instant.parse("2026-01-01T00:00:00Z"));
 * TokenKeeper keeper = TokenKeeper.newBuilder(source)
 *     .clock(clock)
 *     .scheduler(clock::schedule) // deadlines and retries fire when the test advances the clock
 *     .build();
 * clock.advance(Duration.ofMinutes(4));
 * }</pre>
 *
 * <p>{@link #schedule} queues a task to run once the clock reaches its due time; {@link #advance}
 * runs the due tasks in time order on the calling thread, with the clock set to each task's due
 * time while it runs. Thread-safe; millisecond resolution.
 */
public final class TestClock implements InstantSource {
  /** Delays beyond ~292 million years are treated as that: they never come due in a test. */
  private static final Duration FOREVER = Duration.ofMillis(Long.MAX_VALUE / 4);
  private final AtomicLong millis;
  private final ReentrantLock lock = new ReentrantLock();
  private final PriorityQueue<Task> tasks = new PriorityQueue<>();
  private long sequence;

  /** A clock at {@code start}. */
  public TestClock(Instant start) {
    this.millis = new AtomicLong(Objects.requireNonNull(start, "start").toEpochMilli());
  }

  /** A clock at 2026-01-01T00:00:00Z. */
  public TestClock() {
    this(Instant.parse("2026-01-01T00:00:00Z"));
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochMilli(millis.get());
  }

  @Override
  public long millis() {
    return millis.get();
  }

  /**
   * Moves the clock forward by {@code duration}, running every task that falls due on the way.
   *
   * @throws IllegalArgumentException if {@code duration} is negative (use {@link #set} to jump back)
   */
  public TestClock advance(Duration duration) {
    Objects.requireNonNull(duration, "duration");
    if (duration.isNegative()) {
      throw new IllegalArgumentException("advance cannot go back in time: " + duration + "; use set()");
    }
    long target = millis.get() + duration.toMillis();
    for (Task due; (due = nextDue(target)) != null; ) {
      due.run();
    }
    millis.accumulateAndGet(target, Math::max);
    return this;
  }

  /**
   * Sets the clock to {@code instant}, forward or backward (a jump, as NTP makes). Moving forward
   * runs due tasks as {@link #advance} does; moving back runs none.
   */
  public TestClock set(Instant instant) {
    Objects.requireNonNull(instant, "instant");
    long target = instant.toEpochMilli();
    if (target >= millis.get()) {
      return advance(Duration.ofMillis(target - millis.get()));
    }
    millis.set(target);
    return this;
  }

  /** Runs the tasks already due (for example those scheduled with a zero delay). */
  public TestClock runDueTasks() {
    return advance(Duration.ZERO);
  }

  /**
   * Schedules {@code task} to run once the clock has advanced by {@code delay}. Has the shape of
   * {@code dev.tokenkeeper.Scheduler}, so pass it as {@code clock::schedule}.
   *
   * @return a future whose {@code cancel} unschedules the task
   */
  public Future<?> schedule(Runnable task, Duration delay) {
    Objects.requireNonNull(task, "task");
    Objects.requireNonNull(delay, "delay");
    lock.lock();
    try {
      long delayMillis = delay.isNegative() ? 0 : delay.compareTo(FOREVER) >= 0 ? FOREVER.toMillis() : delay.toMillis();
      Task t = new Task(task, millis.get() + delayMillis, sequence++);
      tasks.add(t);
      return t;
    } finally {
      lock.unlock();
    }
  }

  /** Returns the due times of the tasks that are still pending (cancelled ones excluded), in order. */
  public List<Instant> pendingTasks() {
    lock.lock();
    try {
      List<Task> sorted = new ArrayList<>(tasks);
      sorted.sort(null);
      List<Instant> due = new ArrayList<>();
      for (Task t : sorted) {
        if (!t.isCancelled()) {
          due.add(Instant.ofEpochMilli(t.due));
        }
      }
      return due;
    } finally {
      lock.unlock();
    }
  }

  private Task nextDue(long target) {
    lock.lock();
    try {
      Task head = tasks.peek();
      while (head != null && head.isCancelled()) {
        tasks.poll();
        head = tasks.peek();
      }
      if (head == null || head.due > target) {
        return null;
      }
      tasks.poll();
      millis.accumulateAndGet(head.due, Math::max);
      return head;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public String toString() {
    return "TestClock[" + instant() + "]";
  }

  private static final class Task extends FutureTask<Void> implements Comparable<Task> {
    final long due;
    final long seq;

    Task(Runnable task, long due, long seq) {
      super(task, null);
      this.due = due;
      this.seq = seq;
    }

    @Override
    public int compareTo(Task o) {
      return due != o.due ? Long.compare(due, o.due) : Long.compare(seq, o.seq);
    }
  }
}
