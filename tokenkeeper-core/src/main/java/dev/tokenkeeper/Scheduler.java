package dev.tokenkeeper;

import java.time.Duration;
import java.util.concurrent.Future;

/**
 * Runs a task after a delay: the keeper's only source of timers (waiters' deadlines, retries
 * after backoff). By default each keeper owns a single daemon thread that exists only while timers
 * are pending; tests inject {@code dev.tokenkeeper.testing.TestClock}, whose timers fire when the
 * test advances the clock, so no test ever sleeps.
 *
 * <p>Tasks are short (they complete futures or hand work to an executor) and must run once, on any
 * thread, no earlier than the delay on the keeper's clock.
 */
@FunctionalInterface
public interface Scheduler {

  /**
   * Schedules {@code task} to run once after {@code delay}.
   *
   * @return a future whose {@code cancel} unschedules the task
   */
  Future<?> schedule(Runnable task, Duration delay);
}
