package dev.tokenkeeper.internal;

import dev.tokenkeeper.Scheduler;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads a keeper owns when the application gives it none: daemon threads that exist only
 * while there is work (they time out when idle), stopped by {@link #shutdown()}.
 */
public final class OwnedThreads {
  private final ScheduledThreadPoolExecutor timers;
  private final ThreadPoolExecutor workers;

  public OwnedThreads(String name) {
    timers = new ScheduledThreadPoolExecutor(1, factory("tokenkeeper-" + name + "-timer"));
    timers.setRemoveOnCancelPolicy(true);
    timers.setKeepAliveTime(1, TimeUnit.SECONDS);
    timers.allowCoreThreadTimeOut(true);
    // Single-flight means one refresh at a time, plus the odd revocation: the pool stays tiny.
    workers = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 10, TimeUnit.SECONDS,
        new SynchronousQueue<>(), factory("tokenkeeper-" + name + "-refresh"));
  }

  public Scheduler scheduler() {
    // TimeUnit.convert saturates: a timeout of ChronoUnit.FOREVER is a very long wait, not an error.
    return (task, delay) -> timers.schedule(task, TimeUnit.NANOSECONDS.convert(delay), TimeUnit.NANOSECONDS);
  }

  public Executor executor() {
    return workers;
  }

  /**
   * Stops both pools. A refresh in flight is not interrupted: if the server has already rotated
   * the refresh token, the new one must still reach the store. Its daemon thread ends with it.
   */
  public void shutdown() {
    timers.shutdownNow();
    workers.shutdown();
  }

  /** Waits for the owned threads to end; for tests that check for leaks. */
  public boolean awaitTermination(long millis) throws InterruptedException {
    return timers.awaitTermination(millis, TimeUnit.MILLISECONDS)
        && workers.awaitTermination(millis, TimeUnit.MILLISECONDS);
  }

  private static ThreadFactory factory(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return task -> {
      Thread t = new Thread(task, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
