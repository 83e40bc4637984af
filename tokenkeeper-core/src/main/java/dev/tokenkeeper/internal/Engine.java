package dev.tokenkeeper.internal;

import dev.tokenkeeper.AccessToken;
import dev.tokenkeeper.CredentialsRejectedException;
import dev.tokenkeeper.ReauthenticationRequiredException;
import dev.tokenkeeper.ReauthenticationRequiredException.Reason;
import dev.tokenkeeper.RefreshToken;
import dev.tokenkeeper.Scheduler;
import dev.tokenkeeper.SharedTokenStore;
import dev.tokenkeeper.SharedTokenStore.RefreshLease;
import dev.tokenkeeper.StoredTokens;
import dev.tokenkeeper.TokenEndpointException;
import dev.tokenkeeper.TokenFailure;
import dev.tokenkeeper.TokenInterruptedException;
import dev.tokenkeeper.TokenKeeperClosedException;
import dev.tokenkeeper.TokenListener;
import dev.tokenkeeper.TokenRefreshException;
import dev.tokenkeeper.TokenRequest;
import dev.tokenkeeper.TokenResponse;
import dev.tokenkeeper.TokenRevoker;
import dev.tokenkeeper.TokenSource;
import dev.tokenkeeper.TokenStore;
import dev.tokenkeeper.TokenTimeoutException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * The coordinator behind {@code TokenKeeper}: one per identity.
 *
 * <p>State lives in one immutable {@link Snapshot} behind an atomic reference; the hot path is one
 * volatile read and one clock read. At most one refresh ({@link Flight}) is in flight; everyone who
 * needs a new token registers with it. Nothing here holds a lock around I/O.
 *
 * <p>Every flight is settled exactly once, by whoever {@linkplain #claim claims} it first: its own
 * answer, its attempt deadline, a sign-in, a sign-out or close. An answer that loses that race is a
 * <em>late answer</em>: it is still saved when nothing newer arrived since its attempt started,
 * because with rotation it may carry the only live refresh token.
 *
 * <p>On a {@link SharedTokenStore} (other keepers, in this process or others, share the identity)
 * a refresh follows the shared-state protocol of {@link #sharedFetch}: re-read the store and adopt
 * a newer token; call the endpoint only while holding the store's refresh lease, with the store's
 * refresh token; save before handing out. The hot path is the same on every store.
 */
public final class Engine {
  static final System.Logger LOG = System.getLogger("dev.tokenkeeper.TokenKeeper");
  private static final int RECENT_REFRESHES = 4;
  /**
   * While another keeper holds the shared store's refresh lease, how long one wait for its write
   * lasts before this keeper looks at the lease again (a holder that died frees it at once).
   */
  private static final long LEASE_POLL_MILLIS = 200;
  /** How often a keeper whose session ended re-reads a shared store for a sign-in elsewhere. */
  private static final long ENDED_RECHECK_MILLIS = 1_000;

  private final KeeperConfig config;
  private final InstantSource clock;
  private final Scheduler scheduler;
  private final Executor executor;
  private final Timing timing;
  private final RandomGenerator random;
  private final TokenListener listener;
  private final String endpoint;
  /**
   * Level of the lines that repeat a listener event (refresh failed, session expired, rejected
   * after refresh): WARNING when nobody listens, DEBUG when the application hears them itself, so
   * a failure is never reported twice.
   */
  private final Level eventLevel;

  private final AtomicReference<Snapshot> current;
  /** The store when other keepers may share it (the protocol applies), else {@code null}. */
  private final @Nullable SharedTokenStore shared;
  /** When a caller of an ended session may next re-read the shared store; see {@link #recheckEnded}. */
  private final AtomicLong nextEndedRecheck = new AtomicLong(Long.MIN_VALUE);
  private final AtomicReference<@Nullable Flight> inFlight = new AtomicReference<>();
  private volatile Backoff backoff = Backoff.NONE;
  private volatile @Nullable Duration skew;
  /** The last token a server rejected: never adopted again from the store. */
  private volatile @Nullable AccessToken lastRejected;
  /** Durations of the last few successful refreshes (ring), for the latency floor. */
  private final long[] recent = new long[RECENT_REFRESHES];
  private int recentNext;
  private final LongAdder callersThatWaited = new LongAdder();

  /**
   * The state after failures, published as one value: consecutive failures, when the next attempt
   * may start (for a background refresh, and while callers wait on an expired token), and why.
   */
  record Backoff(int failures, int rejections, long nextAttemptAt, long nextWhileWaiting,
      @Nullable Throwable failure) {
    static final Backoff NONE = new Backoff(0, 0, Long.MIN_VALUE, Long.MIN_VALUE, null);

    RuntimeException exception(long delayMillis) {
      Duration delay = Duration.ofMillis(Math.max(0, delayMillis));
      return rejections > 0 ? CredentialsRejectedException.of(delay, failure)
          : TokenRefreshException.refreshFailed(delay, failure);
    }
  }

  /** One refresh: the source call and everybody waiting for its result. */
  static final class Flight {
    final CompletableFuture<Snapshot> result = new CompletableFuture<>();
    final Set<Waiter> waiters = ConcurrentHashMap.newKeySet();
    final AtomicBoolean settled = new AtomicBoolean();
    /** Blocking callers, grouped by deadline: one timer per distinct deadline, not one per caller. */
    final ConcurrentHashMap<Long, Deadline> deadlines = new ConcurrentHashMap<>();
    /** Blocking callers parked on this flight now, for {@link Engine#waiting()}. */
    final AtomicInteger blocked = new AtomicInteger();
    final TokenRequest.Reason reason;
    final long session;
    /** The store version of the tokens this flight set out to replace. */
    final long baseVersion;

    Flight(TokenRequest.Reason reason, long session, long baseVersion) {
      this.reason = reason;
      this.session = session;
      this.baseVersion = baseVersion;
    }
  }

  /**
   * The blocking callers of one flight whose deadlines fall on the same millisecond park on this:
   * {@code true} once the flight is settled (its result is then in {@link Flight#result}),
   * {@code false} when the deadline passed first. Internal: no caller callback ever runs on it.
   */
  static final class Deadline extends CompletableFuture<Boolean> {
    volatile @Nullable Future<?> timer;
  }

  /** A caller of {@code tokenAsync} waiting for a token until its own deadline. */
  static final class Waiter extends CompletableFuture<AccessToken> {
    final long deadline;
    final Duration timeout;
    volatile @Nullable Flight flight;

    Waiter(long deadline, Duration timeout) {
      this.deadline = deadline;
      this.timeout = timeout;
    }

    void timeOut() {
      completeExceptionally(TokenTimeoutException.waitedFor(timeout));
    }
  }

  public Engine(KeeperConfig config) {
    this.config = config;
    this.clock = config.clock();
    this.scheduler = config.scheduler();
    this.executor = config.executor();
    this.timing = config.timing();
    this.random = config.random();
    this.listener = config.listener();
    this.endpoint = config.source().toString();
    this.eventLevel = listener == TokenListener.NONE ? Level.WARNING : Level.DEBUG;
    this.shared = config.store() instanceof SharedTokenStore ? (SharedTokenStore) config.store() : null;
    StoredTokens stored = config.store().load();
    this.current = new AtomicReference<>(snapshotOf(stored, 0));
  }

  // ---------------------------------------------------------------------------------- hot path

  /** Returns a valid token, waiting at most {@code timeout} for a refresh. */
  public AccessToken token(Duration timeout) {
    long now = clock.millis();
    Snapshot s = current.get();
    if (now < s.staleAt) {
      return s.token; // fresh: no lock, no allocation, no I/O
    }
    AccessToken served = serveWithoutWaiting(s, now);
    if (served != null) {
      return served;
    }
    return await(timeout);
  }

  /** Returns a future token; never blocks the calling thread. */
  public CompletableFuture<AccessToken> tokenAsync(Duration timeout) {
    long now = clock.millis();
    Snapshot s = current.get();
    if (now < s.staleAt) {
      return CompletableFuture.completedFuture(s.token);
    }
    try {
      AccessToken served = serveWithoutWaiting(s, now);
      if (served != null) {
        return CompletableFuture.completedFuture(served);
      }
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return acquire(timeout);
  }

  /** Serves a stale token (starting a background refresh) or fails fast; null when the caller must wait. */
  private @Nullable AccessToken serveWithoutWaiting(Snapshot s, long now) {
    if (s.closed) {
      throw closedException();
    }
    if (s.usableAt(now)) {
      if (s.ended == null && inFlight.get() == null && now >= backoff.nextAttemptAt
          && now >= s.refreshNotBefore) {
        startFlight(s, TokenRequest.Reason.PROACTIVE, 0);
      }
      return s.token;
    }
    if (s.ended != null && !endedRecheckDue(now)) {
      throw s.endException();
    }
    return null;
  }

  /** Whether {@link #recheckEnded} may let a caller through now; takes nothing. */
  private boolean endedRecheckDue(long now) {
    return shared != null && (inFlight.get() != null || now >= nextEndedRecheck.get());
  }

  /**
   * On a shared store, an ended session may have been restarted by a sign-in in another keeper: a
   * caller may re-read the store (through a flight) at most once per {@link #ENDED_RECHECK_MILLIS},
   * or join the flight doing it. Elsewhere an ended session stays ended until a sign-in here.
   */
  private boolean recheckEnded(long now) {
    if (shared == null) {
      return false;
    }
    if (inFlight.get() != null) {
      return true;
    }
    long due = nextEndedRecheck.get();
    return now >= due && nextEndedRecheck.compareAndSet(due, Durations.plus(now, ENDED_RECHECK_MILLIS));
  }

  // ----------------------------------------------------------------------------------- waiting

  /**
   * The blocking caller's wait: it parks on the flight itself (through the flight's {@link
   * Deadline} for its deadline) rather than on a future and a timer of its own, so N callers cost
   * one timer per distinct deadline, and settling the flight wakes them instead of completing N
   * futures one by one; each caller then takes its result on its own thread.
   */
  private AccessToken await(Duration timeout) {
    callersThatWaited.increment();
    long deadline = Durations.plus(clock.millis(), timeout);
    for (;;) {
      long now = clock.millis();
      Snapshot s = current.get();
      if (s.closed) {
        throw closedException();
      }
      if (s.usableAt(now)) {
        return s.token;
      }
      if (s.ended != null && !recheckEnded(now)) {
        throw s.endException();
      }
      Flight flight = inFlight.get();
      if (flight == null) {
        Backoff b = backoff;
        if (b.failure != null && b.nextWhileWaiting > now && b.nextWhileWaiting > deadline) {
          // The next attempt is after this caller's deadline: fail now rather than hang until then.
          throw b.exception(b.nextWhileWaiting - now);
        }
        flight = startFlight(s, reasonFor(s), 0);
      }
      Deadline wait = join(flight, deadline, now);
      flight.blocked.incrementAndGet();
      boolean settled;
      try {
        settled = wait.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt(); // this caller gives up; the refresh goes on for the others
        throw new TokenInterruptedException(e);
      } catch (ExecutionException e) {
        throw rethrowable(e.getCause()); // no timer could be set: closed, or a broken scheduler
      } finally {
        flight.blocked.decrementAndGet();
      }
      if (!settled) {
        throw TokenTimeoutException.waitedFor(timeout);
      }
      AccessToken token = outcome(flight);
      if (token != null) {
        return token;
      }
    }
  }

  /** Returns the group of {@code flight}'s blocking callers whose deadline is {@code deadline}. */
  private Deadline join(Flight flight, long deadline, long now) {
    Deadline group = flight.deadlines.get(deadline);
    if (group == null) {
      Deadline mine = new Deadline();
      group = flight.deadlines.putIfAbsent(deadline, mine);
      if (group == null) {
        group = mine;
        try {
          mine.timer = scheduler.schedule(() -> {
            flight.deadlines.remove(deadline, mine); // callers that gave up hold no memory in the flight
            mine.complete(false);
          }, Duration.ofMillis(Math.max(0, deadline - now)));
        } catch (RejectedExecutionException e) {
          flight.deadlines.remove(deadline, mine);
          mine.completeExceptionally(closedException());
        } catch (RuntimeException e) {
          flight.deadlines.remove(deadline, mine);
          mine.completeExceptionally(e); // a broken scheduler must not leave a caller without a deadline
        }
        if (mine.isDone() && mine.timer != null) {
          mine.timer.cancel(false); // settled before its timer existed
        }
      }
    }
    // Settled or closed meanwhile: releaseWaiters may have passed before this group was added.
    if (flight.result.isDone()) {
      group.complete(true);
    } else if (current.get().closed) {
      throw closedException();
    }
    return group;
  }

  /**
   * What a settled flight gives a caller: a token, a failure thrown at once (session over,
   * closed), or {@code null} when the caller must wait for the next attempt (a temporary failure,
   * or a token no longer deliverable).
   */
  private @Nullable AccessToken outcome(Flight flight) {
    Snapshot snapshot = null;
    Throwable failure = null;
    try {
      snapshot = flight.result.join();
    } catch (CompletionException | java.util.concurrent.CancellationException e) {
      failure = e.getCause() != null ? e.getCause() : e;
    }
    if (snapshot != null && snapshot.deliverable()) {
      return snapshot.token; // fresh from the endpoint: handed out even inside its leeway
    }
    if (failure instanceof ReauthenticationRequiredException) {
      Snapshot latest = current.get();
      throw latest.ended != null ? latest.endException() : (ReauthenticationRequiredException) failure;
    }
    if (failure instanceof TokenKeeperClosedException) {
      throw (TokenKeeperClosedException) failure;
    }
    return null;
  }

  private static TokenRequest.Reason reasonFor(Snapshot s) {
    return s.token == null ? TokenRequest.Reason.INITIAL
        : s.rejected ? TokenRequest.Reason.REJECTED : TokenRequest.Reason.EXPIRED;
  }

  private CompletableFuture<AccessToken> acquire(Duration timeout) {
    callersThatWaited.increment();
    long now = clock.millis();
    Waiter waiter = new Waiter(Durations.plus(now, timeout), timeout);
    attempt(waiter);
    if (!waiter.isDone()) {
      try {
        // The caller's callbacks run where the future completes: hand the timeout to the executor
        // so one blocking callback cannot hold up every other deadline on the timer thread.
        Future<?> timer = scheduler.schedule(() -> dispatchTimeout(waiter), timeout);
        waiter.whenComplete((token, failure) -> {
          timer.cancel(false);
          Flight flight = waiter.flight;
          if (flight != null) {
            flight.waiters.remove(waiter); // a caller that gave up holds no memory in the flight
          }
        });
      } catch (RejectedExecutionException e) {
        waiter.completeExceptionally(closedException());
      } catch (RuntimeException e) {
        waiter.completeExceptionally(e); // a broken scheduler must not leave a caller without a deadline
      }
    }
    return waiter;
  }

  private void dispatchTimeout(Waiter waiter) {
    try {
      executor.execute(waiter::timeOut);
    } catch (RejectedExecutionException e) {
      waiter.timeOut();
    }
  }

  /** Gives the waiter a token, a failure, or registers it with the refresh in flight (starting one). */
  private void attempt(Waiter waiter) {
    if (waiter.isDone()) {
      return;
    }
    long now = clock.millis();
    Snapshot s = current.get();
    if (s.closed) {
      waiter.completeExceptionally(closedException());
      return;
    }
    if (s.usableAt(now)) {
      waiter.complete(s.token);
      return;
    }
    if (s.ended != null && !recheckEnded(now)) {
      waiter.completeExceptionally(s.endException());
      return;
    }
    Flight flight = inFlight.get();
    if (flight == null) {
      Backoff b = backoff;
      if (b.failure != null && b.nextWhileWaiting > now && b.nextWhileWaiting > waiter.deadline) {
        // The next attempt is after this caller's deadline: fail now rather than hang until then.
        waiter.completeExceptionally(b.exception(b.nextWhileWaiting - now));
        return;
      }
      flight = startFlight(s, reasonFor(s), 0);
    }
    register(waiter, flight);
  }

  private void register(Waiter waiter, Flight flight) {
    waiter.flight = flight;
    flight.waiters.add(waiter);
    // Settled meanwhile, or closed meanwhile (close fails the flight it sees; this one it may not
    // have seen): whoever removes the waiter from the set delivers to it, exactly once.
    if ((flight.result.isDone() || current.get().closed) && flight.waiters.remove(waiter)) {
      if (flight.result.isDone()) {
        deliver(waiter, flight);
      } else {
        waiter.completeExceptionally(closedException());
      }
    }
  }

  private void deliver(Waiter waiter, Flight flight) {
    AccessToken token;
    try {
      token = outcome(flight);
    } catch (RuntimeException e) {
      waiter.completeExceptionally(e);
      return;
    }
    if (token != null) {
      waiter.complete(token);
    } else {
      attempt(waiter); // a temporary failure, or a token no longer deliverable: wait for the next
    }
  }

  /** Releases everyone registered with {@code flight}; each waiter is delivered to exactly once. */
  private void releaseWaiters(Flight flight) {
    // Blocking callers first: waking them is cheap, and each takes its result on its own thread.
    releaseBlocked(flight);
    releaseAsync(flight);
  }

  /** Wakes the blocking callers of a settled {@code flight}: no caller's code runs here. */
  private static void releaseBlocked(Flight flight) {
    for (Deadline group : flight.deadlines.values()) {
      group.complete(true);
      Future<?> timer = group.timer;
      if (timer != null) {
        timer.cancel(false);
      }
    }
  }

  /** Completes the futures of {@code tokenAsync} callers of a settled {@code flight}: their callbacks run here. */
  private void releaseAsync(Flight flight) {
    for (Waiter waiter : flight.waiters) {
      if (flight.waiters.remove(waiter)) {
        try {
          deliver(waiter, flight);
        } catch (RuntimeException e) {
          waiter.completeExceptionally(e);
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------- flights

  /** Starts a refresh, or returns the one in flight. */
  private Flight startFlight(Snapshot base, TokenRequest.Reason reason, long delayMillis) {
    Flight mine = new Flight(reason, base.session, base.storeVersion);
    while (!inFlight.compareAndSet(null, mine)) {
      Flight other = inFlight.get();
      if (other != null) {
        return other;
      }
    }
    long now = clock.millis();
    Snapshot latest = current.get();
    if (latest.closed) {
      fail(mine, closedException()); // close() may have looked for a flight before this one existed
      return mine;
    }
    // A refresh may have finished between our read of `current` and winning the slot. Its token is
    // here already; calling the endpoint again would burn a (rotating) refresh token for nothing.
    if (latest != base && latest.usableAt(now) && !latest.rejected
        && (reason != TokenRequest.Reason.PROACTIVE || latest.staleAt > now)) {
      complete(mine, latest);
      return mine;
    }
    // A refresh may also have failed meanwhile: its backoff (published before it cleared the slot)
    // holds for us too, as does the moment before which no refresh can bring a later expiry.
    Backoff b = backoff;
    if (reason == TokenRequest.Reason.PROACTIVE && b.nextAttemptAt > now && latest.usableAt(now)) {
      complete(mine, latest); // stale but valid: the retry is not due yet
      return mine;
    }
    long next = b.nextWhileWaiting; // never later than nextAttemptAt
    if (!latest.rejected) {
      next = Math.max(next, latest.refreshNotBefore);
    }
    if (next > now) {
      delayMillis = Math.max(delayMillis, next - now);
    }
    try {
      if (delayMillis > 0) {
        scheduler.schedule(() -> dispatch(mine), Duration.ofMillis(delayMillis));
      } else if (!sendHere(mine)) {
        dispatch(mine);
      }
    } catch (RejectedExecutionException e) {
      fail(mine, closedException());
    }
    return mine;
  }

  private void dispatch(Flight flight) {
    try {
      executor.execute(() -> run(flight));
    } catch (RejectedExecutionException e) {
      fail(flight, closedException());
    }
  }

  /**
   * Starts the flight's endpoint call on this thread, the caller's, when the source can send without
   * blocking ({@link AsyncTokenSource}: the built-in endpoints) and nothing else must come first (a
   * shared store's lease, an ended session). The request then leaves at once: handed to the executor
   * instead, it waits for a thread, and when N callers were released together that thread is
   * scheduled behind them (B2 in BENCHMARKS.md). Only the send happens here; the answer is handled on
   * the executor, as for any source. Proactive refreshes are not started here: their caller holds a
   * valid token and should not pay for building the request. Nor are they when the application gave
   * the keeper an executor: it asked for every refresh to run there (a direct executor, for one,
   * makes {@code token()} refresh on the caller's thread, start to end). Returns {@code false} when
   * the flight must be {@linkplain #dispatch dispatched}.
   */
  private boolean sendHere(Flight flight) {
    if (!config.sendsFromCaller() || shared != null || flight.reason == TokenRequest.Reason.PROACTIVE
        || !(config.source() instanceof AsyncTokenSource)) {
      return false;
    }
    Snapshot base = current.get();
    long sentAt = clock.millis();
    if (base.closed || base.ended != null || flight.settled.get() || inFlight.get() != flight
        || (base.usableAt(sentAt) && !base.rejected)) {
      return false; // run() settles it (a sign-in may have supplied a usable token meanwhile)
    }
    CompletableFuture<TokenResponse> call;
    try {
      call = ((AsyncTokenSource) config.source())
          .fetchAsync(new TokenRequest(base.refreshToken, flight.reason, config.dpop()));
    } catch (Throwable t) {
      call = CompletableFuture.failedFuture(t); // handled below as a failed call; an Error is rethrown there
    }
    if (call == null) {
      return false;
    }
    Future<?> deadline = scheduleAttemptDeadline(flight, sentAt);
    call.whenComplete((response, failure) -> {
      deadline.cancel(false); // the answer is in: only its handling remains
      long receivedAt = clock.millis();
      if (failure == null && response != null && config.answersWhereTheyArrive()) {
        answeredHere(flight, base, response, sentAt, receivedAt);
        return;
      }
      onExecutor(() -> answered(flight, base, response, failure, sentAt, receivedAt));
    });
    return true;
  }

  /** The end of a call started by {@link #sendHere}, on the executor: as {@link #fetch}'s end. */
  private void answered(Flight flight, Snapshot base, @Nullable TokenResponse response,
      @Nullable Throwable failure, long sentAt, long receivedAt) {
    try {
      Throwable cause = failure instanceof CompletionException && failure.getCause() != null
          ? failure.getCause() : failure;
      if (cause instanceof Error) {
        throw (Error) cause;
      }
      ended(flight, base, response, cause == null || cause instanceof Exception ? (Exception) cause
          : new Exception(cause), sentAt, receivedAt, true);
    } catch (Throwable t) {
      crashed(flight, t);
    }
  }

  /**
   * A token from a call started by {@link #sendHere}, handled on the thread it arrived on (the HTTP
   * client's), when nothing before the blocking callers' release can block ({@link
   * KeeperConfig#answersWhereTheyArrive}): the token is read, saved in memory and published, the
   * blocking callers are released and the listener hears of it here; callers of {@code tokenAsync},
   * whose callbacks run where their future completes, are handed to the executor, as is every
   * unusual outcome. Handing the whole answer over instead costs a thread start when the keeper has been
   * idle (its threads time out), 1-4 ms on the critical path (B2 in BENCHMARKS.md).
   */
  private void answeredHere(Flight flight, Snapshot base, TokenResponse response, long sentAt,
      long receivedAt) {
    try {
      fetched(flight, base, response, sentAt, receivedAt, this::onExecutor);
    } catch (Throwable t) {
      onExecutor(() -> crashed(flight, t));
    }
  }

  /**
   * Runs {@code task} on the executor, or here when it refuses (the keeper closed meanwhile, or a
   * broken executor): an answer may carry a rotation to save, and its waiters must hear.
   */
  private void onExecutor(Runnable task) {
    try {
      executor.execute(task);
    } catch (Throwable t) {
      task.run();
    }
  }

  /** Runs {@code task} on {@code where}; whatever it throws settles {@code flight} ({@link #crashed}). */
  private void then(Executor where, Flight flight, Runnable task) {
    where.execute(() -> {
      try {
        task.run();
      } catch (Throwable t) {
        crashed(flight, t);
      }
    });
  }

  private void run(Flight flight) {
    if (flight.settled.get() || inFlight.get() != flight) {
      return; // settled by sign-in, sign-out or close while it waited for its backoff
    }
    Snapshot base = current.get();
    try {
      if (base.usableAt(clock.millis()) && !base.rejected
          && (flight.reason != TokenRequest.Reason.PROACTIVE || base.session != flight.session)) {
        complete(flight, base); // a sign-in (or another writer) supplied a usable token meanwhile
      } else if (base.closed) {
        fail(flight, closedException());
      } else if (shared != null) {
        sharedFetch(flight, shared); // reads the store first: the session may have moved on there
      } else if (base.ended != null) {
        fail(flight, base.endException());
      } else {
        fetch(flight, base, true);
      }
    } catch (Throwable t) {
      crashed(flight, t);
    }
  }

  /** Whatever happened, the slot is released and the waiters hear about it. */
  private void crashed(Flight flight, Throwable t) {
    try {
      temporaryFailure(flight, t, clock.millis());
    } finally {
      fail(flight, TokenRefreshException.refreshFailed(null, t));
    }
    if (t instanceof Error) {
      throw (Error) t;
    }
  }

  /**
   * The shared-state protocol: one refresh at a time across every keeper of the store, and never
   * with a refresh token another keeper may be rotating.
   *
   * <ol>
   *   <li>Re-read the store. A newer version is adopted; if it holds what the flight needs (a
   *       usable token, or a fresh one for a proactive refresh), no endpoint call. An ended session
   *       there ends this one.
   *   <li>Take the refresh lease. If another keeper holds it, wait for its write ({@link
   *       SharedTokenStore#awaitChange}) in short slices, looking at the lease again after each (a
   *       holder that died frees it), and go back to 1. After the lease's ttl plus one slice of
   *       waiting, the attempt fails as a temporary failure: callers get a typed error within their
   *       deadlines, and the next attempt follows the usual backoff.
   *   <li>With the lease, read the store again (the previous holder may have written just before
   *       releasing); if still needed, check the lease is still held and call the endpoint with the
   *       store's refresh token. The answer is saved with compare-and-set before anyone gets it
   *       ({@link #fetched}), then the lease is released. An answer that arrives after the lease
   *       lapsed is still saved when the store version is unchanged: it holds the newest refresh
   *       token.
   * </ol>
   *
   * <p>A terminal refusal is saved as an ended session ({@link #endSession}).
   */
  private void sharedFetch(Flight flight, SharedTokenStore store) throws Exception {
    long leaseTtl = Math.max(1, Durations.millis(config.attemptTimeout()));
    long started = clock.millis();
    long waitUntil = Durations.plus(started, Durations.plus(leaseTtl, LEASE_POLL_MILLIS));
    while (!flight.settled.get()) {
      StoredTokens seen = store.load();
      Snapshot base = adopt(seen);
      if (settledFromStore(flight, base)) {
        return;
      }
      RefreshLease lease = store.tryLease(Duration.ofMillis(leaseTtl));
      if (lease == null) {
        long now = clock.millis();
        if (now >= waitUntil) {
          temporaryFailure(flight, new Failures.LeaseUnavailableException("another keeper sharing "
              + "the token store held its refresh lease for over " + (now - started) + " ms"), started);
          return;
        }
        store.awaitChange(seen.version(), Duration.ofMillis(Math.min(LEASE_POLL_MILLIS, waitUntil - now)));
        continue;
      }
      try {
        base = adopt(store.load());
        if (settledFromStore(flight, base)) {
          return;
        }
        if (!lease.isHeld() || flight.settled.get()) {
          continue; // lapsed (a long pause) before the request left: another may be refreshing now
        }
        fetch(flight, base, true);
        return;
      } finally {
        lease.release();
      }
    }
  }

  /**
   * Settles the flight from what the store holds, if it can be: a token the flight may deliver, or
   * an ended session. Returns {@code false} when the endpoint must be called.
   */
  private boolean settledFromStore(Flight flight, Snapshot s) {
    long now = clock.millis();
    if (s.closed) {
      fail(flight, closedException());
      return true;
    }
    if (s.ended != null) {
      fail(flight, s.endException());
      return true;
    }
    // A proactive refresh is satisfied by a fresh token, or by any usable token newer than the one
    // it set out to replace: another keeper has just refreshed, and callers may be waiting on this
    // flight (their token expired meanwhile). Refreshing again right after it would only spend a
    // call (and a rotation) on a token that this keeper's own window already calls stale.
    if (s.usableAt(now) && !s.rejected && (flight.reason != TokenRequest.Reason.PROACTIVE
        || now < s.staleAt || s.storeVersion > flight.baseVersion)) {
      complete(flight, s);
      return true;
    }
    return false;
  }

  /**
   * Publishes {@code stored} if it is newer than what this keeper holds (another keeper wrote it),
   * keeping the session number; returns the current snapshot either way.
   */
  private Snapshot adopt(StoredTokens stored) {
    for (;;) {
      Snapshot now = current.get();
      if (now.closed || stored.version() <= now.storeVersion) {
        return now;
      }
      Snapshot theirs = snapshotOf(stored, now.session);
      if (current.compareAndSet(now, theirs)) {
        LOG.log(Level.DEBUG, () -> config.name() + ": adopted store version " + stored.version()
            + " written by another keeper" + (stored.sessionEnded() != null
                ? " (session ended: " + stored.sessionEnded() + ")" : ""));
        return theirs;
      }
    }
  }

  private void fetch(Flight flight, Snapshot base, boolean mayReread) throws Exception {
    long sentAt = clock.millis();
    Future<?> deadline = scheduleAttemptDeadline(flight, sentAt);
    TokenResponse response = null;
    Exception failure = null;
    try {
      response = config.source().fetch(new TokenRequest(base.refreshToken, flight.reason, config.dpop()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      failure = e;
    } catch (Exception e) {
      failure = e;
    } finally {
      deadline.cancel(false);
    }
    ended(flight, base, response, failure, sentAt, clock.millis(), mayReread);
  }

  /** One call to the source ended, with an answer or a failure (a null answer is a failure). */
  private void ended(Flight flight, Snapshot base, @Nullable TokenResponse response, @Nullable Exception failure,
      long sentAt, long receivedAt, boolean mayReread) throws Exception {
    if (failure == null && response == null) {
      failure = new IllegalStateException("TokenSource " + config.source().getClass().getName()
          + " returned null; return a TokenResponse or throw");
    }
    if (failure != null) {
      fetchFailed(flight, base, failure, sentAt, mayReread);
    } else {
      fetched(flight, base, response, sentAt, receivedAt, Runnable::run);
    }
  }

  private void fetchFailed(Flight flight, Snapshot base, Exception failure, long sentAt,
      boolean mayReread) throws Exception {
    if (flight.settled.get()) {
      LOG.log(Level.DEBUG, () -> config.name() + ": an abandoned refresh attempt failed late: "
          + Failures.describe(failure));
      return;
    }
    boolean refused = failure instanceof TokenEndpointException
        && ((TokenEndpointException) failure).isTerminal();
    if (!refused || config.source().usesConfiguredCredentials()) {
      // A service's refused client credentials are no session to end: retried with a long backoff.
      temporaryFailure(flight, failure, sentAt);
    } else if (!mayReread || !adoptRotatedTokens(flight, base, sentAt)) {
      endSession(flight, base, (TokenEndpointException) failure);
    }
  }

  /**
   * Handles a token response. Up to the release of the blocking callers this runs where the answer
   * was handled (see {@link #answeredHere}); what may run callers' or listeners' code, or block,
   * runs on {@code after}: the same thread ({@code Runnable::run}) or the executor.
   */
  private void fetched(Flight flight, Snapshot base, TokenResponse response, long sentAt,
      long receivedAt, Executor after) {
    Expiry.Result result = Expiry.compute(response, Instant.ofEpochMilli(sentAt),
        Instant.ofEpochMilli(receivedAt));
    AccessToken token = result.token();
    if (token.expiresAt() != null && !token.expiresAt().isAfter(token.obtainedAt())) {
      then(after, flight, () -> {
        if (response.refreshToken() != null) {
          // The server has retired the refresh token we sent: the next attempt needs this one.
          keepRotation(base, new RefreshToken(response.refreshToken()));
        }
        temporaryFailure(flight, TokenEndpointException.invalidResponse(0,
            "the token endpoint issued an access token that had already expired (check clocks)",
            null), sentAt);
      });
      return;
    }
    long took = Math.max(0, receivedAt - sentAt);
    recordDuration(took);
    skew = result.skew();
    RefreshToken rotated = response.refreshToken() == null ? null : new RefreshToken(response.refreshToken());
    RefreshToken refresh = rotated != null ? rotated : base.refreshToken;
    long laterFrom = laterExpiryFrom(base.token, token, result, receivedAt, took);
    if (!claim(flight)) {
      then(after, flight, () -> lateAnswer(base, token, refresh, rotated, laterFrom));
      return;
    }
    // Save first: a rotated refresh token must be in the store before anyone uses the new access
    // token, or a crash now would leave the store holding a refresh token the server has retired.
    Snapshot next;
    boolean published;
    try {
      next = save(base, token, refresh, laterFrom);
      published = next != null && replaceIfSameSession(base, next);
    } catch (Throwable t) {
      // This thread claimed the flight: nobody else will settle it, and its callers would wait on
      // it until their deadlines, and later callers for good.
      releaseFailed(flight, TokenRefreshException.refreshFailed(null, t));
      throw t;
    }
    if (!published) {
      LOG.log(Level.DEBUG, () -> config.name() + ": refresh finished after a sign-in, sign-out or close; result dropped");
      then(after, flight, () -> {
        revokeIfSignedOut(rotated);
        release(flight, current.get());
      });
      return;
    }
    backoff = Backoff.NONE;
    // Waiters first, listener second: a slow listener never holds a caller up. The listener hears
    // it here, on the thread that settled the flight, as every event: handed to another thread it
    // could be overtaken by the next refresh's events (a rejection of this token, a failure).
    settle(flight, next);
    releaseBlocked(flight);
    then(after, flight, () -> releaseAsync(flight));
    LOG.log(Level.DEBUG, () -> config.name() + ": " + flight.reason + " refresh gave "
        + token.fingerprint() + " expiring " + token.expiresAt() + " in " + took + " ms"
        + (rotated != null ? ", refresh token rotated" : ""));
    notify(l -> l.onRefreshed(new TokenListener.Refreshed(flight.reason, Duration.ofMillis(took),
        token.fingerprint(), token.expiresAt(), rotated != null)));
  }

  /**
   * When a refresh of {@code token} can first bring a later expiry: from the JWT's {@code iat}
   * (servers stamp whole seconds), and after a refresh that brought no later expiry than the token
   * it replaced, no sooner than the longer of its duration and a tenth of the old lifetime.
   */
  private long laterExpiryFrom(@Nullable AccessToken old, AccessToken token, Expiry.Result result,
      long receivedAt, long took) {
    long from = result.laterExpiryFrom() == null ? Long.MIN_VALUE : result.laterExpiryFrom().toEpochMilli();
    if (old != null && old.expiresAt() != null && token.expiresAt() != null
        && !token.expiresAt().isAfter(old.expiresAt())) {
      long oldLifetime = old.expiresAt().toEpochMilli() - old.obtainedAt().toEpochMilli();
      from = Math.max(from, Durations.plus(receivedAt, Math.max(took, oldLifetime / 10)));
    }
    return from;
  }

  /**
   * The answer of an attempt that was already settled (abandoned at its deadline, or overtaken by a
   * sign-in, sign-out or close). With rotation it may hold the only live refresh token, so it is
   * saved when nothing newer arrived since the attempt started; otherwise it is dropped.
   */
  private void lateAnswer(Snapshot base, AccessToken token, @Nullable RefreshToken refresh,
      @Nullable RefreshToken rotated, long laterFrom) {
    Snapshot now = current.get();
    if (now.session != base.session || now.ended != null || now.storeVersion != base.storeVersion) {
      LOG.log(Level.DEBUG, () -> config.name() + ": late answer of an abandoned refresh dropped: newer state exists");
      revokeIfSignedOut(rotated);
      return;
    }
    if (now.closed) {
      // Closed while the endpoint answered (a shutdown, a registry evicting an idle keeper). The
      // server may have rotated the refresh token: the next keeper on this store needs the new one.
      try {
        if (config.store().compareAndSet(base.storeVersion,
            new StoredTokens(base.storeVersion + 1, token, refresh))) {
          LOG.log(Level.DEBUG, () -> config.name() + ": a refresh answered after close; its tokens were saved");
        }
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, config.name() + ": a refresh answered after close; saving its tokens"
            + " failed (" + e.getClass().getName() + ")");
      }
      return;
    }
    long version = base.storeVersion + 1;
    try {
      if (!config.store().compareAndSet(base.storeVersion, new StoredTokens(version, token, refresh))) {
        LOG.log(Level.DEBUG, () -> config.name() + ": late answer of an abandoned refresh dropped: the store moved on");
        return;
      }
    } catch (RuntimeException e) {
      version = base.storeVersion; // kept in memory, as any refresh whose store write fails
    }
    Snapshot next = active(token, refresh, version, base.session, laterFrom);
    for (;;) {
      Snapshot s = current.get();
      if (s.session != base.session || s.closed || s.storeVersion != base.storeVersion) {
        return;
      }
      if (current.compareAndSet(s, next)) {
        break;
      }
    }
    backoff = Backoff.NONE;
    LOG.log(Level.INFO, config.name() + ": a refresh answered after its attempt was abandoned; its"
        + " tokens were kept (" + token.fingerprint() + ")");
    Flight other = inFlight.get();
    if (other != null) {
      complete(other, next); // whoever waits on the retry gets these tokens now
    }
    notify(l -> l.onRefreshed(new TokenListener.Refreshed(TokenRequest.Reason.EXPIRED,
        Duration.ofMillis(Math.max(0, clock.millis() - token.obtainedAt().toEpochMilli())),
        token.fingerprint(), token.expiresAt(), rotated != null)));
  }

  /**
   * Keeps the rotated refresh token of an answer that cannot be used otherwise (its access token
   * had already expired on arrival): the server has retired the one we sent, and presenting that
   * again would look like reuse (a server with reuse detection then revokes the session). Saved
   * with the access token we had, unless a sign-in, sign-out or another writer moved on meanwhile.
   */
  private void keepRotation(Snapshot base, RefreshToken rotated) {
    Snapshot now = current.get();
    if (now.session != base.session || now.ended != null || now.storeVersion != base.storeVersion) {
      revokeIfSignedOut(rotated);
      return;
    }
    long version = base.storeVersion + 1;
    try {
      if (!config.store().compareAndSet(base.storeVersion,
          new StoredTokens(version, base.token, rotated))) {
        LOG.log(Level.DEBUG, () -> config.name() + ": rotated refresh token of an unusable answer"
            + " not saved: the store moved on");
        return;
      }
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, config.name() + ": could not save a rotated refresh token to the store ("
          + e.getClass().getName() + "); keeping it in memory");
      version = base.storeVersion;
    }
    for (;;) {
      Snapshot s = current.get();
      if (s.session != base.session || s.closed || s.storeVersion != base.storeVersion) {
        return;
      }
      if (current.compareAndSet(s, s.withRefreshToken(rotated, version))) {
        return;
      }
    }
  }

  private Future<?> scheduleAttemptDeadline(Flight flight, long sentAt) {
    Duration limit = config.attemptTimeout();
    try {
      return scheduler.schedule(() -> {
        if (flight.settled.get()) {
          return;
        }
        Runnable abandon = () -> temporaryFailure(flight, new Failures.AttemptTimeoutException(
            "the token source did not answer within " + limit.toMillis()
                + " ms (attempt timeout); attempt abandoned"), sentAt);
        try {
          executor.execute(abandon);
        } catch (RejectedExecutionException e) {
          abandon.run();
        }
      }, limit);
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(null); // closing: close() settles the flight
    }
  }

  /**
   * The endpoint refused our refresh token. Another process sharing the store may have rotated it
   * already: adopt its tokens (and retry once with its refresh token) before ending the session.
   */
  private boolean adoptRotatedTokens(Flight flight, Snapshot base, long now) throws Exception {
    StoredTokens latest;
    try {
      latest = config.store().load();
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, config.name() + ": could not re-read the token store: " + e.getClass().getName());
      return false;
    }
    if (latest.version() == base.storeVersion || latest.refreshToken() == null
        || latest.refreshToken().equals(base.refreshToken)) {
      return false;
    }
    Snapshot adopted = snapshotOf(latest, base.session);
    LOG.log(Level.INFO, config.name() + ": refresh token was rotated by another writer; adopting store version "
        + latest.version());
    if (!replaceIfSameSession(base, adopted)) {
      complete(flight, current.get());
      return true;
    }
    if (adopted.usableAt(clock.millis()) && !adopted.rejected) {
      complete(flight, adopted);
    } else {
      fetch(flight, adopted, false);
    }
    return true;
  }

  private void endSession(Flight flight, Snapshot base, TokenEndpointException cause) {
    if (!claim(flight)) {
      return;
    }
    Snapshot ended = base.end(Reason.CREDENTIALS_REJECTED, cause);
    if (!replaceIfSameSession(base, ended)) {
      release(flight, current.get());
      return;
    }
    // Recorded in the store, so that keepers sharing it (and this one after a restart) stop at
    // once instead of each spending an endpoint call on the dead refresh token.
    recordEnded(base, Reason.CREDENTIALS_REJECTED);
    LOG.log(eventLevel, config.name() + ": session expired (" + endpoint + "): " + cause.getMessage());
    releaseFailed(flight, ended.endException());
    notify(l -> l.onSessionExpired(new TokenListener.SessionExpired(cause.getMessage())));
  }

  private void temporaryFailure(Flight flight, Throwable cause, long sentAt) {
    if (!claim(flight)) {
      return;
    }
    long now = clock.millis();
    boolean rejected = cause instanceof TokenEndpointException
        && ((TokenEndpointException) cause).isTerminal();
    Backoff b = backoff;
    int attempt = b.failures + 1;
    long delay;
    long whileWaiting;
    if (rejected) {
      int rejections = b.rejections + 1;
      delay = timing.rejectedBackoffMillis(rejections, random);
      whileWaiting = delay; // refused credentials are not retried faster for waiting callers
      backoff = new Backoff(attempt, rejections, Durations.plus(now, delay),
          Durations.plus(now, whileWaiting), cause);
    } else {
      long exponential = timing.backoffMillis(attempt, null, random);
      long serverSays = retryAfterMillis(cause, now);
      delay = Math.max(exponential, serverSays);
      whileWaiting = Math.max(timing.waitingBackoffMillis(exponential, random), serverSays);
      // Published before the slot clears, so the next caller sees the backoff.
      backoff = new Backoff(attempt, 0, Durations.plus(now, delay), Durations.plus(now, whileWaiting), cause);
    }
    String failure = Failures.describe(cause);
    TokenFailure reason = rejected ? TokenFailure.CREDENTIALS_REJECTED : TokenFailure.ENDPOINT_FAILING;
    LOG.log(eventLevel, config.name() + ": token refresh failed (attempt " + attempt
        + ", next in " + delay + " ms, " + whileWaiting + " ms while callers wait; " + endpoint + "): "
        + (rejected ? "client credentials refused: " : "") + failure);
    releaseFailed(flight, rejected ? CredentialsRejectedException.of(Duration.ofMillis(delay), cause)
        : TokenRefreshException.refreshFailed(Duration.ofMillis(delay), cause));
    notify(l -> l.onRefreshFailed(new TokenListener.RefreshFailed(attempt,
        Duration.ofMillis(Math.max(0, now - sentAt)), Duration.ofMillis(delay), failure, reason)));
  }

  /** The server's {@code Retry-After} in millis (an HTTP-date measured on our clock), or 0. */
  private long retryAfterMillis(Throwable cause, long now) {
    if (!(cause instanceof TokenEndpointException)) {
      return 0;
    }
    TokenEndpointException e = (TokenEndpointException) cause;
    if (e.retryAfter().isPresent()) {
      return timing.retryAfterMillis(e.retryAfter().get());
    }
    if (e.retryAt().isPresent()) {
      long until = e.retryAt().get().toEpochMilli() - now;
      return until <= 0 ? 0 : timing.retryAfterMillis(Duration.ofMillis(until));
    }
    return 0;
  }

  // ------------------------------------------------------------------------------ state changes

  /**
   * Saves the new tokens (compare-and-set) and returns the snapshot to publish, or null when a
   * sign-in or sign-out happened meanwhile: then the store belongs to the newer session.
   */
  private @Nullable Snapshot save(Snapshot base, AccessToken token, @Nullable RefreshToken refresh,
      long laterFrom) {
    TokenStore store = config.store();
    long expected = base.storeVersion;
    for (int i = 0; i < 3; i++) {
      try {
        StoredTokens replacement = new StoredTokens(expected + 1, token, refresh);
        if (store.compareAndSet(expected, replacement)) {
          return active(token, refresh, expected + 1, base.session, laterFrom);
        }
        // Sign-in and sign-out move to a new session before they write: check after every failure.
        if (current.get().session != base.session) {
          return null;
        }
        StoredTokens latest = store.load();
        Snapshot theirs = snapshotOf(latest, base.session);
        if (theirs.usableAt(clock.millis()) && !theirs.rejected) {
          // Another writer stored a valid token meanwhile; theirs wins, ours is dropped.
          return theirs;
        }
        if (latest.version() > base.storeVersion && (latest.sessionEnded() != null
            || latest.refreshToken() != null && !latest.refreshToken().equals(base.refreshToken))) {
          // Another writer rotated (or ended the session) since our base: the store holds the newer
          // refresh token, and writing ours over it would bring back a retired one. Keep our access
          // token (the server just issued it) with the store's state; the store is left as it is.
          return latest.sessionEnded() != null ? theirs
              : active(token, latest.refreshToken(), latest.version(), base.session, laterFrom);
        }
        // A newer version with the same refresh token (ours is the newer rotation), or a store that
        // lost its data (restarted empty or from an older copy): write ours over it.
        expected = latest.version();
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, config.name() + ": could not save tokens to the store ("
            + e.getClass().getName() + "); keeping them in memory");
        break;
      }
    }
    return active(token, refresh, expected, base.session, laterFrom);
  }

  /**
   * Writes the end of the session over the version {@code base} was loaded as. If the store moved
   * on meanwhile (another keeper wrote), nothing is written: a keeper that adopts that version
   * decides for itself.
   */
  private void recordEnded(Snapshot base, Reason reason) {
    try {
      StoredTokens was = new StoredTokens(base.storeVersion, base.token, null, null);
      config.store().compareAndSet(base.storeVersion, was.ended(reason));
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, config.name() + ": could not record the end of the session in the"
          + " token store (" + e.getClass().getName() + ")");
    }
  }

  /** Replaces the current snapshot unless a sign-in, sign-out or close happened since {@code base}. */
  private boolean replaceIfSameSession(Snapshot base, Snapshot next) {
    for (;;) {
      Snapshot now = current.get();
      if (now.session != base.session || now.closed) {
        return false;
      }
      if (current.compareAndSet(now, next)) {
        return true;
      }
    }
  }

  /** Takes the right to settle {@code flight}; only one caller ever gets it. */
  private static boolean claim(Flight flight) {
    return flight.settled.compareAndSet(false, true);
  }

  /** Settles a claimed flight with a result. */
  private void release(Flight flight, Snapshot result) {
    settle(flight, result);
    releaseWaiters(flight);
  }

  /** Publishes a claimed flight's result, before any waiter is released. */
  private void settle(Flight flight, Snapshot result) {
    // Clear the slot before completing: a waiter released by this that still finds no usable
    // token must be able to start the next refresh.
    inFlight.compareAndSet(flight, null);
    flight.result.complete(result);
  }

  /** Settles a claimed flight with a failure. */
  private void releaseFailed(Flight flight, Throwable failure) {
    inFlight.compareAndSet(flight, null);
    flight.result.completeExceptionally(failure);
    releaseWaiters(flight);
  }

  private void complete(Flight flight, Snapshot result) {
    if (claim(flight)) {
      release(flight, result);
    }
  }

  private void fail(Flight flight, Throwable failure) {
    if (claim(flight)) {
      releaseFailed(flight, failure);
    }
  }

  /** Marks {@code rejected} expired if it is still the current token; see {@code TokenKeeper#invalidate}. */
  public boolean invalidate(AccessToken rejected) {
    for (;;) {
      Snapshot s = current.get();
      if (s.token == null || !s.token.equals(rejected)) {
        LOG.log(Level.DEBUG, () -> config.name() + ": rejection of " + rejected.fingerprint()
            + " ignored: a newer token is current");
        return false;
      }
      lastRejected = s.token;
      if (s.rejected) {
        return true;
      }
      Snapshot marked = s.markRejected();
      if (current.compareAndSet(s, marked)) {
        LOG.log(Level.DEBUG, () -> config.name() + ": " + rejected.fingerprint() + " rejected by a server");
        if (marked.ended == null && !marked.closed && clock.millis() >= backoff.nextWhileWaiting) {
          startFlight(marked, TokenRequest.Reason.REJECTED, 0);
        }
        return true;
      }
    }
  }

  public void rejectedAfterRefresh(AccessToken token) {
    Duration age = Duration.ofMillis(Math.max(0, clock.millis() - token.obtainedAt().toEpochMilli()));
    LOG.log(eventLevel, config.name() + ": a server rejected " + token.fingerprint()
        + " although it was obtained " + age.toMillis() + " ms ago, after the previous rejection");
    notify(l -> l.onRejectedAfterRefresh(new TokenListener.RejectedAfterRefresh(token.fingerprint(), age)));
  }

  /** Installs tokens obtained by a sign-in, starting a new session; callers waiting get them at once. */
  public AccessToken signIn(TokenResponse response, long sentAt) {
    Expiry.Result result = Expiry.compute(response, Instant.ofEpochMilli(sentAt),
        Instant.ofEpochMilli(Math.max(sentAt, clock.millis())));
    AccessToken token = result.token();
    RefreshToken refresh = response.refreshToken() == null ? null : new RefreshToken(response.refreshToken());
    // New session first, store second: a refresh of the old session that finishes now sees the
    // session change before it may write, and drops its result instead of overwriting ours.
    long session = beginSession();
    StoredTokens written = write(token, refresh);
    long laterFrom = result.laterExpiryFrom() == null ? Long.MIN_VALUE : result.laterExpiryFrom().toEpochMilli();
    Snapshot next = active(token, refresh, written.version(), session, laterFrom);
    boolean installed = false;
    for (;;) {
      Snapshot s = current.get();
      if (s.session != session || s.closed) {
        break; // a later sign-in, sign-out or close wins over this one
      }
      if (current.compareAndSet(s, next)) {
        installed = true;
        break;
      }
    }
    skew = result.skew();
    backoff = Backoff.NONE;
    if (installed) {
      Flight flight = inFlight.get();
      if (flight != null) {
        complete(flight, next); // callers waiting on a failing refresh get the new token now
      }
    }
    LOG.log(Level.DEBUG, () -> config.name() + ": signed in with " + token.fingerprint());
    return token;
  }

  /** Moves to a new session, keeping the tokens for now; returns its number. */
  private long beginSession() {
    for (;;) {
      Snapshot s = current.get();
      if (s.closed) {
        throw closedException();
      }
      Snapshot next = s.nextSession();
      if (current.compareAndSet(s, next)) {
        return next.session;
      }
    }
  }

  /** Ends the session and clears the store; returns the refresh token to revoke, if any. */
  public @Nullable RefreshToken signOut() {
    Snapshot before;
    for (;;) {
      before = current.get();
      if (current.compareAndSet(before, before.signedOut(before.storeVersion))) {
        break;
      }
    }
    Flight flight = inFlight.get();
    if (flight != null) {
      fail(flight, ReauthenticationRequiredException.of(Reason.SIGNED_OUT, null));
    }
    writeSignedOut();
    LOG.log(Level.DEBUG, () -> config.name() + ": signed out");
    return before.refreshToken;
  }

  /**
   * A refresh of a session that was signed out meanwhile may have rotated the refresh token that
   * sign-out revoked: the new one would outlive the session, so it is revoked too.
   */
  private void revokeIfSignedOut(@Nullable RefreshToken rotated) {
    if (rotated != null && current.get().ended == Reason.SIGNED_OUT) {
      revoke(rotated).exceptionally(e -> null);
    }
  }

  /** Clears the store, recording the sign-out for the keepers that share it. */
  private void writeSignedOut() {
    TokenStore store = config.store();
    for (;;) {
      StoredTokens latest = store.load();
      if (store.compareAndSet(latest.version(), latest.ended(Reason.SIGNED_OUT))) {
        return;
      }
    }
  }

  private StoredTokens write(@Nullable AccessToken token, @Nullable RefreshToken refresh) {
    TokenStore store = config.store();
    for (;;) {
      StoredTokens latest = store.load();
      StoredTokens next = latest.next(token, refresh);
      if (store.compareAndSet(latest.version(), next)) {
        return next;
      }
    }
  }

  /** Revokes {@code refresh} on the keeper's executor; the future completes when done. */
  public CompletableFuture<Void> revoke(@Nullable RefreshToken refresh) {
    TokenRevoker revoker = config.revoker();
    if (revoker == null || refresh == null) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    try {
      executor.execute(() -> {
        try {
          revoker.revoke(refresh);
          done.complete(null);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          done.completeExceptionally(TokenRefreshException.refreshFailed(null, e));
        } catch (Exception e) {
          LOG.log(Level.WARNING, config.name() + ": revoking the refresh token failed: "
              + Failures.describe(e));
          done.completeExceptionally(TokenRefreshException.refreshFailed(null, e));
        }
      });
    } catch (RejectedExecutionException e) {
      done.completeExceptionally(closedException());
    }
    return done;
  }

  /** Stops background work; waiters fail with {@link TokenKeeperClosedException}. */
  public void close() {
    for (;;) {
      Snapshot s = current.get();
      if (s.closed || current.compareAndSet(s, s.close())) {
        break;
      }
    }
    Flight flight = inFlight.get();
    if (flight != null) {
      fail(flight, closedException());
    }
  }

  public @Nullable Duration clockSkew() {
    return skew;
  }

  public long clockMillis() {
    return clock.millis();
  }

  public String name() {
    return config.name();
  }

  /** How many callers are waiting for a refresh right now. */
  public int waiting() {
    Flight flight = inFlight.get();
    return flight == null ? 0 : flight.waiters.size() + flight.blocked.get();
  }

  /** How many calls so far found no usable token and had to wait for a refresh (or fail). */
  public long callersThatWaited() {
    return callersThatWaited.sum();
  }

  // --------------------------------------------------------------------------------- helpers

  private void recordDuration(long millis) {
    synchronized (recent) {
      recent[recentNext] = millis;
      recentNext = (recentNext + 1) % recent.length;
    }
  }

  /** The longest of the last few refresh durations, bounded by the attempt timeout. */
  private long recentRefreshMillis() {
    long max = 0;
    synchronized (recent) {
      for (long d : recent) {
        max = Math.max(max, d);
      }
    }
    return Math.min(max, Durations.millis(config.attemptTimeout()));
  }

  private Snapshot active(AccessToken token, @Nullable RefreshToken refresh, long version,
      long session, long laterFrom) {
    return Snapshot.active(token, refresh,
        timing.windows(token, random, recentRefreshMillis(), laterFrom), version, session);
  }

  private Snapshot snapshotOf(StoredTokens stored, long session) {
    AccessToken token = stored.accessToken();
    Snapshot s;
    if (token == null) {
      s = Snapshot.active(null, stored.refreshToken(), null, stored.version(), session);
    } else {
      // As after our own refresh, no refresh starts before a later expiry can be had: servers stamp
      // whole seconds, and the writer's send time is the earliest the token can have been issued.
      // (A keeper adopting a token another just obtained would otherwise refresh it at once
      // whenever its own window calls a short-lived token stale on arrival.)
      long laterFrom = Durations.plus(token.obtainedAt().toEpochMilli(), 1_000);
      s = active(token, stored.refreshToken(), stored.version(), session, laterFrom);
      // The store does not know that a server rejected this token; we do.
      s = token.equals(lastRejected) ? s.markRejected() : s;
    }
    return stored.sessionEnded() == null ? s : s.end(stored.sessionEnded(), null);
  }

  private TokenKeeperClosedException closedException() {
    return TokenKeeperClosedException.of(config.name());
  }

  private static RuntimeException rethrowable(Throwable failure) {
    if (failure instanceof RuntimeException) {
      return (RuntimeException) failure;
    }
    if (failure instanceof Error) {
      throw (Error) failure;
    }
    return new IllegalStateException(failure);
  }

  private void notify(java.util.function.Consumer<TokenListener> event) {
    try {
      event.accept(listener);
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable e) { // LinkageError from a metrics library included: documented as swallowed
      LOG.log(Level.WARNING, config.name() + ": TokenListener " + listener.getClass().getName()
          + " threw " + e.getClass().getName() + "; ignored");
    }
  }
}
