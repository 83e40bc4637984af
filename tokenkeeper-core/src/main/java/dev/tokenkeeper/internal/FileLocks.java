package dev.tokenkeeper.internal;

import dev.tokenkeeper.SharedTokenStore.RefreshLease;
import dev.tokenkeeper.TokenStoreException;
import dev.tokenkeeper.TokenStoreException.Reason;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * OS file locks ({@code fcntl} on Linux) combined with an in-JVM guard, keyed by the lock file's
 * real path.
 *
 * <p>Why the guard: a JVM cannot hold two overlapping locks on one file ({@link
 * OverlappingFileLockException}), and, worse, POSIX drops <em>all</em> of a process's locks on a
 * file when <em>any</em> descriptor of that file is closed. So within a JVM only the current holder
 * ever has a lock file open; everybody else is turned away by the guard without touching the file.
 * Why two files (refresh lease, write lock) rather than two byte ranges of one: for the same
 * reason, a writer closing its descriptor would drop the lease held through another descriptor.
 *
 * <p>The kernel drops a process's locks when it dies, {@code kill -9} included: no stale lock.
 */
public final class FileLocks {
  private static final ConcurrentHashMap<Path, ReentrantLock> WRITERS = new ConcurrentHashMap<>();
  private static final ConcurrentHashMap<Path, LeaseSlot> LEASES = new ConcurrentHashMap<>();

  private FileLocks() {}

  /** Work done under the write lock. */
  @FunctionalInterface
  public interface LockedAction<T> {
    /** Runs while the lock is held. */
    T run();
  }

  /**
   * Runs {@code action} holding the exclusive write lock {@code lockFile}: first in this JVM, then
   * across processes. Waits at most {@code timeout} for it.
   *
   * @throws TokenStoreException {@code IO_FAILURE} if the lock cannot be had in time or the lock
   *     file cannot be opened, or if the thread is interrupted (its flag is set again)
   */
  public static <T> T withWriteLock(Path lockFile, boolean groupRead, Duration timeout,
      LockedAction<T> action) {
    Path key = realPath(lockFile);
    ReentrantLock inJvm = WRITERS.computeIfAbsent(key, k -> new ReentrantLock());
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      if (!inJvm.tryLock(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
        throw timedOut(lockFile, timeout);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw TokenStoreException.of(Reason.IO_FAILURE, lockFile,
          "interrupted while waiting for the write lock; nothing was written", e);
    }
    try (FileChannel channel = open(lockFile, groupRead)) {
      FileLock lock = lockUntil(channel, lockFile, deadline, timeout);
      try {
        return action.run();
      } finally {
        lock.release();
      }
    } catch (IOException e) {
      throw AtomicFiles.ioFailure(lockFile, "cannot use the write lock file", e);
    } finally {
      inJvm.unlock();
    }
  }

  private static FileLock lockUntil(FileChannel channel, Path lockFile, long deadline,
      Duration timeout) throws IOException {
    long pauseMillis = 1;
    while (true) {
      FileLock lock = channel.tryLock();
      if (lock != null) {
        return lock;
      }
      if (System.nanoTime() - deadline >= 0) {
        throw timedOut(lockFile, timeout);
      }
      // Another process is writing (a write takes milliseconds): poll with a short backoff
      // rather than block in lock(), which no timeout or interrupt can end.
      try {
        Thread.sleep(pauseMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw TokenStoreException.of(Reason.IO_FAILURE, lockFile,
            "interrupted while waiting for the write lock; nothing was written", e);
      }
      pauseMillis = Math.min(pauseMillis * 2, 16);
    }
  }

  private static TokenStoreException timedOut(Path lockFile, Duration timeout) {
    return TokenStoreException.of(Reason.IO_FAILURE, lockFile, "another writer held the write lock "
        + "for more than " + timeout.toMillis() + " ms; nothing was written", null);
  }

  /**
   * Tries to take the refresh lease {@code leaseFile} for {@code ttl}; see {@link
   * dev.tokenkeeper.FileTokenStore#tryLease}. The fencing counter is the first 8 bytes of the lease
   * file, incremented and fsync-ed by each new holder while it holds the OS lock.
   */
  public static @Nullable RefreshLease tryLease(Path leaseFile, boolean groupRead, Duration ttl) {
    LeaseSlot slot = LEASES.computeIfAbsent(realPath(leaseFile), k -> new LeaseSlot());
    slot.guard.lock(); // not synchronized: this does I/O, and may run on a virtual thread
    try {
      long now = System.nanoTime();
      FileLease current = slot.holder;
      if (current != null && now - current.deadlineNanos < 0) {
        return null;
      }
      boolean opened = false;
      try {
        if (current == null) {
          FileChannel channel = open(leaseFile, groupRead);
          FileLock lock;
          try {
            lock = channel.tryLock();
          } catch (OverlappingFileLockException e) {
            lock = null; // held through a path this guard did not see (a hard link): not ours
          }
          if (lock == null) {
            channel.close();
            return null;
          }
          slot.channel = channel;
          slot.lock = lock;
          opened = true;
        }
        // else: the holder in this JVM lapsed; the process keeps its OS lock for the new holder.
        long fencing = readCounter(slot.channel) + 1;
        ByteBuffer buffer = ByteBuffer.allocate(Long.BYTES).putLong(0, fencing);
        slot.channel.write(buffer, 0);
        slot.channel.force(true);
        FileLease lease = new FileLease(slot, fencing, saturatedDeadline(now, ttl));
        slot.holder = lease;
        return lease;
      } catch (IOException e) {
        if (opened || current != null) {
          slot.clear();
        }
        throw AtomicFiles.ioFailure(leaseFile, "cannot take the refresh lease", e);
      }
    } finally {
      slot.guard.unlock();
    }
  }

  private static long saturatedDeadline(long now, Duration ttl) {
    long nanos;
    try {
      nanos = ttl.toNanos();
    } catch (ArithmeticException e) {
      nanos = Long.MAX_VALUE / 2;
    }
    return now + Math.min(nanos, Long.MAX_VALUE / 2);
  }

  private static long readCounter(FileChannel channel) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(Long.BYTES);
    while (buffer.hasRemaining()) {
      if (channel.read(buffer, buffer.position()) < 0) {
        return 0; // a new lease file (or one cut short): start the count
      }
    }
    return Math.max(0, buffer.getLong(0));
  }

  private static FileChannel open(Path lockFile, boolean groupRead) throws IOException {
    Path dir = lockFile.toAbsolutePath().getParent();
    return FileChannel.open(lockFile,
        Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE),
        AtomicFiles.ownerOnly(dir, groupRead));
  }

  private static Path realPath(Path file) {
    Path dir = file.toAbsolutePath().getParent();
    try {
      return dir.toRealPath().resolve(file.getFileName());
    } catch (IOException e) {
      throw AtomicFiles.ioFailure(dir, "cannot resolve the token directory", e);
    }
  }

  /** One lease file's state in this JVM; fields guarded by {@code guard}. */
  private static final class LeaseSlot {
    final ReentrantLock guard = new ReentrantLock();
    @Nullable FileChannel channel;
    @Nullable FileLock lock;
    @Nullable FileLease holder;

    void clear() {
      holder = null;
      lock = null;
      FileChannel c = channel;
      channel = null;
      if (c != null) {
        try {
          c.close(); // releases the OS lock
        } catch (IOException ignored) {
          // The descriptor is gone either way; the kernel dropped the lock with it.
        }
      }
    }
  }

  private static final class FileLease implements RefreshLease {
    private final LeaseSlot slot;
    private final long fencing;
    private final long deadlineNanos;

    FileLease(LeaseSlot slot, long fencing, long deadlineNanos) {
      this.slot = slot;
      this.fencing = fencing;
      this.deadlineNanos = deadlineNanos;
    }

    @Override
    public long fencingToken() {
      return fencing;
    }

    @Override
    public boolean isHeld() {
      slot.guard.lock();
      try {
        if (slot.holder != this) {
          return false;
        }
        if (System.nanoTime() - deadlineNanos >= 0) {
          slot.clear(); // lapsed: let other processes have it too
          return false;
        }
        return true;
      } finally {
        slot.guard.unlock();
      }
    }

    @Override
    public void release() {
      slot.guard.lock();
      try {
        if (slot.holder == this) { // compare-and-delete: a successor's lease is not ours to drop
          slot.clear();
        }
      } finally {
        slot.guard.unlock();
      }
    }

    @Override
    public String toString() {
      return "RefreshLease[fencingToken=" + fencing + "]";
    }
  }
}
