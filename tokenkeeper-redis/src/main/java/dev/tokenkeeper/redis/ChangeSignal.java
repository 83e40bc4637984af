package dev.tokenkeeper.redis;

import io.lettuce.core.pubsub.RedisPubSubAdapter;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Wakes the threads of one store that wait for a change ({@code RedisTokenStore#awaitChange}) when
 * a message arrives on the identity's channel. Messages are hints: Redis pub/sub delivers at most
 * once (nothing while the connection is down), so waiters also re-read at the poll interval.
 *
 * <p>Messages arrive on a Lettuce event-loop thread: {@link #message} only counts and signals,
 * never blocks. Thread-safe.
 */
final class ChangeSignal extends RedisPubSubAdapter<String, String> {
  private final String channel;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private long generation;

  ChangeSignal(String channel) {
    this.channel = channel;
  }

  /** Returns the number of messages seen so far; pass it to {@link #awaitAfter}. */
  long generation() {
    lock.lock();
    try {
      return generation;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits until a message arrives after {@code seen} was read, at most {@code nanos}.
   *
   * @throws InterruptedException if the waiting thread is interrupted
   */
  void awaitAfter(long seen, long nanos) throws InterruptedException {
    lock.lock();
    try {
      long left = nanos;
      while (generation == seen && left > 0) {
        left = changed.awaitNanos(left);
      }
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void message(String pattern, String channel, String message) {
    if (this.channel.equals(channel)) {
      signal();
    }
  }

  @Override
  public void message(String channel, String message) {
    if (this.channel.equals(channel)) {
      signal();
    }
  }

  private void signal() {
    lock.lock();
    try {
      generation++;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }
}
