package dev.tokenkeeper.sim;

import dev.tokenkeeper.SharedTokenStore;
import dev.tokenkeeper.StoredTokens;
import dev.tokenkeeper.TokenStoreException;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * A simulated shared token store: one identity's versioned tokens, a refresh lease with a fencing
 * counter and a ttl on the store's clock, change notification, and outages. Every keeper process
 * opens its own {@link Handle}; a crashed process's handle is {@linkplain Handle#kill() killed}
 * (its memory is gone: nothing it still runs reaches the store), the store itself survives.
 *
 * <p>Two ways of waiting in {@link Handle#awaitChange}: in the simulation ({@link Waiting}) the
 * wait runs the world forward until a notification (delayed or lost, as the simulation decides)
 * or the timeout; {@link #realTime()} waits on this object's monitor with the real clock, so that
 * {@code SharedTokenStoreContract} (real threads) can check the same state machine.
 *
 * <p>{@link Bug} plants a protocol bug for {@code PlantedBugsTest}. Thread-safe (synchronized).
 */
final class SimStore {
  /** A bug planted on purpose, to show the simulation finds it. */
  enum Bug {
    NONE,
    /** {@code load} returns what the handle's previous load returned: the keeper skips the re-read. */
    STALE_READS,
    /** The lease leaves the store when granted: as if the holder released it before its write. */
    RELEASE_BEFORE_WRITE,
    /** {@code compareAndSet} writes whatever the version. */
    CAS_IGNORES_VERSION
  }

  /** How the simulation hears what the store does (invariants, trace). */
  interface Observer {
    void written(Handle by, StoredTokens before, StoredTokens after);

    /** A write refused because the store was unavailable (its tokens never got there). */
    void writeFailed(Handle by, StoredTokens replacement);

    void leased(Handle by, Lease lease);
  }

  /** How {@code awaitChange} waits in the simulation. */
  interface Waiting {
    /** Waits until {@code woken} is called for this handle or {@code timeoutMillis} passes. */
    void await(Handle handle, long knownVersion, long timeoutMillis);
  }

  /** A store call's trip over the network, one way (the simulation runs the world meanwhile). */
  interface Latency {
    void travel(Handle handle);
  }

  private Latency latency = handle -> { };
  private final LongSupplier clock;
  private final @Nullable Waiting waiting;
  private final Observer observer;
  private final Bug bug;
  private StoredTokens tokens = StoredTokens.EMPTY;
  private long fencing;
  private @Nullable Lease holder;
  private long unavailableUntil = Long.MIN_VALUE;

  SimStore(LongSupplier clock, @Nullable Waiting waiting, Observer observer, Bug bug) {
    this.clock = clock;
    this.waiting = waiting;
    this.observer = observer;
    this.bug = bug;
  }

  /** A store on the real clock whose {@code awaitChange} waits on its monitor: for the contract. */
  static SimStore realTime() {
    return new SimStore(System::currentTimeMillis, null, new Observer() {
      @Override
      public void written(Handle by, StoredTokens before, StoredTokens after) { }

      @Override
      public void writeFailed(Handle by, StoredTokens replacement) { }

      @Override
      public void leased(Handle by, Lease lease) { }
    }, Bug.NONE);
  }

  void latency(Latency latency) {
    this.latency = latency;
  }

  Handle open(String owner) {
    return new Handle(owner);
  }

  synchronized StoredTokens peek() {
    return tokens;
  }

  synchronized void unavailableUntil(long until) {
    unavailableUntil = Math.max(unavailableUntil, until);
  }

  synchronized boolean unavailable() {
    return clock.getAsLong() < unavailableUntil;
  }

  /** The lease in force now, or null. */
  synchronized @Nullable Lease holder() {
    Lease h = holder;
    return h != null && !h.released && clock.getAsLong() < h.expiresAt ? h : null;
  }

  private void checkAvailable(Handle handle) {
    if (handle.dead) {
      throw new SimCrash(handle.owner);
    }
    if (clock.getAsLong() < unavailableUntil) {
      throw TokenStoreException.of(TokenStoreException.Reason.IO_FAILURE, null,
          "simulated store unavailable", null);
    }
  }

  /** One process's connection to the store. */
  final class Handle implements SharedTokenStore {
    final String owner;
    private boolean dead;
    /** Writes on their way to the store (sent, not yet applied). */
    int writesInFlight;
    private @Nullable StoredTokens lastLoaded;

    Handle(String owner) {
      this.owner = owner;
    }

    /** The store this handle connects to (another handle: {@code owner().open(name)}). */
    SimStore store() {
      return SimStore.this;
    }

    /** The process died: whatever of it still runs can no longer reach the store. */
    void kill() {
      synchronized (SimStore.this) {
        dead = true;
      }
    }

    boolean dead() {
      return dead;
    }

    /** The lease this handle holds now, or null. */
    @Nullable Lease heldLease() {
      Lease h = holder();
      return h != null && h.handle == this ? h : null;
    }

    @Override
    public StoredTokens load() {
      latency.travel(this);
      StoredTokens seen = loadNow();
      latency.travel(this);
      return seen;
    }

    private StoredTokens loadNow() {
      synchronized (SimStore.this) {
        checkAvailable(this);
        StoredTokens seen = bug == Bug.STALE_READS && lastLoaded != null ? lastLoaded : tokens;
        lastLoaded = tokens;
        return seen;
      }
    }

    @Override
    public boolean compareAndSet(long expectedVersion, StoredTokens replacement) {
      writesInFlight++;
      try {
        latency.travel(this);
        return compareAndSetNow(expectedVersion, replacement);
      } finally {
        writesInFlight--;
        latency.travel(this);
      }
    }

    private boolean compareAndSetNow(long expectedVersion, StoredTokens replacement) {
      synchronized (SimStore.this) {
        if (replacement.version() != expectedVersion + 1) {
          throw new IllegalArgumentException("replacement version " + replacement.version()
              + " must be expectedVersion + 1 = " + (expectedVersion + 1));
        }
        if (!dead && clock.getAsLong() < unavailableUntil) {
          observer.writeFailed(this, replacement);
        }
        checkAvailable(this);
        if (tokens.version() != expectedVersion && bug != Bug.CAS_IGNORES_VERSION) {
          return false;
        }
        StoredTokens before = tokens;
        tokens = replacement;
        SimStore.this.notifyAll();
        observer.written(this, before, replacement);
        return true;
      }
    }

    @Override
    public @Nullable RefreshLease tryLease(Duration ttl) {
      if (ttl.isZero() || ttl.isNegative()) {
        throw new IllegalArgumentException("lease ttl must be positive: " + ttl);
      }
      latency.travel(this);
      RefreshLease lease = tryLeaseNow(ttl);
      latency.travel(this);
      return lease;
    }

    private @Nullable RefreshLease tryLeaseNow(Duration ttl) {
      synchronized (SimStore.this) {
        checkAvailable(this);
        long now = clock.getAsLong();
        if (holder != null && !holder.released && now < holder.expiresAt) {
          return null;
        }
        long ttlMillis = Math.max(1, ttl.toMillis());
        Lease lease = new Lease(this, ++fencing, now + ttlMillis);
        holder = bug == Bug.RELEASE_BEFORE_WRITE ? null : lease;
        observer.leased(this, lease);
        return lease;
      }
    }

    @Override
    public StoredTokens awaitChange(long knownVersion, Duration timeout) throws InterruptedException {
      long timeoutMillis = timeout.isNegative() ? 0 : timeout.toMillis();
      if (waiting == null) {
        synchronized (SimStore.this) {
          checkAvailable(this);
          long deadline = System.currentTimeMillis() + timeoutMillis;
          while (tokens.version() == knownVersion) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
              break;
            }
            SimStore.this.wait(left);
          }
          return tokens;
        }
      }
      synchronized (SimStore.this) {
        checkAvailable(this);
        if (tokens.version() != knownVersion || timeoutMillis <= 0) {
          return tokens;
        }
      }
      waiting.await(this, knownVersion, timeoutMillis);
      synchronized (SimStore.this) {
        checkAvailable(this); // dead, or the store went down while this process waited
        return tokens;
      }
    }

    @Override
    public String toString() {
      return "SimStore.Handle[" + owner + "]";
    }
  }

  /** A grant of the refresh lease. */
  final class Lease implements SharedTokenStore.RefreshLease {
    final Handle handle;
    final long fencing;
    final long expiresAt;
    private boolean released;

    Lease(Handle handle, long fencing, long expiresAt) {
      this.handle = handle;
      this.fencing = fencing;
      this.expiresAt = expiresAt;
    }

    @Override
    public long fencingToken() {
      return fencing;
    }

    @Override
    public boolean isHeld() {
      synchronized (SimStore.this) {
        return !released && clock.getAsLong() < expiresAt
            && (holder == this || bug == Bug.RELEASE_BEFORE_WRITE);
      }
    }

    @Override
    public void release() {
      synchronized (SimStore.this) {
        if (handle.dead) {
          return; // a dead process releases nothing: its lease lapses at its ttl
        }
        if (released) {
          return;
        }
        checkAvailable(handle); // unreachable store: the lease stays until its ttl
        released = true;
        if (holder == this) {
          holder = null;
        }
      }
    }
  }
}
