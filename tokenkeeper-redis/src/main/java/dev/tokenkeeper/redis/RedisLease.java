package dev.tokenkeeper.redis;

import dev.tokenkeeper.SharedTokenStore.RefreshLease;
import dev.tokenkeeper.TokenStoreException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A granted lease: the owner string it was taken with, its fencing number, and when it lapses by
 * this JVM's clock. Thread-safe.
 *
 * <p>The local deadline counts from just before {@code SET NX PX} was sent, so it passes no later
 * than the key's expiry in Redis (which counts from when Redis ran the command): {@link #isHeld()}
 * turns false before another keeper can take the lease over, clock rate drift aside.
 */
final class RedisLease implements RefreshLease {
  private final RedisCalls redis;
  private final String[] keys;
  private final String owner;
  private final long fencing;
  private final long deadlineNanos;
  private final AtomicBoolean released = new AtomicBoolean();

  RedisLease(RedisCalls redis, String leaseKey, String owner, long fencing, long deadlineNanos) {
    this.redis = redis;
    this.keys = new String[] {leaseKey};
    this.owner = owner;
    this.fencing = fencing;
    this.deadlineNanos = deadlineNanos;
  }

  @Override
  public long fencingToken() {
    return fencing;
  }

  @Override
  public boolean isHeld() {
    return !released.get() && System.nanoTime() - deadlineNanos < 0;
  }

  /**
   * {@inheritDoc}
   *
   * <p>Runs the compare-and-delete script. If Redis cannot be reached, the failure is swallowed (a
   * release has no caller to tell) and the key lapses by itself at its ttl.
   */
  @Override
  public void release() {
    if (!released.compareAndSet(false, true)) {
      return;
    }
    try {
      redis.script(LuaScript.RELEASE, keys, owner);
    } catch (TokenStoreException e) {
      // The lease expires in Redis at its ttl; another keeper takes it over then.
      RedisTokenStore.LOG.log(System.Logger.Level.DEBUG, () -> "lease release not confirmed: "
          + e.getMessage());
    }
  }

  @Override
  public String toString() {
    return "RedisLease[fencing=" + fencing + ", held=" + isHeld() + "]";
  }
}
