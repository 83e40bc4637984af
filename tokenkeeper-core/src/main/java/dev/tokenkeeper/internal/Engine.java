package dev.tokenkeeper.internal;

import dev.tokenkeeper.AccessToken;
import dev.tokenkeeper.ReauthenticationRequiredException;
import dev.tokenkeeper.ReauthenticationRequiredException.Reason;
import dev.tokenkeeper.RefreshToken;
import dev.tokenkeeper.Scheduler;
import dev.tokenkeeper.StoredTokens;
import dev.tokenkeeper.TokenEndpointException;
import dev.tokenkeeper.TokenInterruptedException;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * The coordinator behind {@code TokenKeeper}: one per identity.
 *
 * <p>State lives in one immutable {@link Snapshot} behind an atomic reference; the hot path is one
 * volatile read and one clock read. At most one refresh ({@link Flight}) is in flight; everyone who
 * needs a new token subscribes to it. Nothing here holds a lock, least of all around I/O.
 */
public final class Engine {
  static final System.Logger LOG = System.getLogger("dev.tokenkeeper.TokenKeeper");

  private final KeeperConfig config;
  private final InstantSource clock;
  private final Scheduler scheduler;
  private final Executor executor;
  private final Timing timing;
  private final RandomGenerator random;
  private final TokenListener listener;

  private final AtomicReference<Snapshot> current;
  private final AtomicReference<@Nullable Flight> inFlight = new AtomicReference<>();
  /** No refresh starts before this (epoch millis): the backoff after a temporary failure. */
  private volatile long nextAttemptAt = Long.MIN_VALUE;
  /** Consecutive temporary failures; written only by the flight that owns the slot. */
  private volatile int failures;
  private volatile @Nullable Throwable lastFailure;
  private volatile @Nullable Duration skew;

  /** One refresh: the endpoint call and everybody waiting for its result. */
  static final class Flight {
    final CompletableFuture<Snapshot> result = new CompletableFuture<>();
    final TokenRequest.Reason reason;
    final long session;

    Flight(TokenRequest.Reason reason, long session) {
      this.reason = reason;
      this.session = session;
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
    CompletableFuture<AccessToken> waiter = acquire(timeout);
    try {
      return waiter.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      waiter.cancel(false); // this caller gives up; the refresh goes on for everyone else
      throw new TokenInterruptedException(e);
    } catch (ExecutionException e) {
      throw rethrowable(e.getCause());
    }
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
      if (s.ended == null) {
        refreshInBackground(s, now);
      }
      return s.token;
    }
    if (s.ended != null) {
      throw s.endException();
    }
    return null;
  }

  private void refreshInBackground(Snapshot s, long now) {
    if (inFlight.get() == null && now >= nextAttemptAt) {
      startFlight(s, TokenRequest.Reason.PROACTIVE, 0);
    }
  }

  // ----------------------------------------------------------------------------------- waiting

  private CompletableFuture<AccessToken> acquire(Duration timeout) {
    long now = clock.millis();
    Waiter waiter = new Waiter(Durations.plus(now, timeout), timeout);
    attempt(waiter);
    if (!waiter.isDone()) {
      try {
        // The caller's callbacks run where the future completes: hand the timeout to the executor
        // so one blocking callback cannot hold up every other deadline on the timer thread.
        Future<?> timer = scheduler.schedule(() -> dispatchTimeout(waiter), timeout);
        waiter.whenComplete((token, failure) -> timer.cancel(false));
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

  /** A caller waiting for a token until its own deadline. */
  private static final class Waiter extends CompletableFuture<AccessToken> {
    final long deadline;
    final Duration timeout;

    Waiter(long deadline, Duration timeout) {
      this.deadline = deadline;
      this.timeout = timeout;
    }

    void timeOut() {
      completeExceptionally(TokenTimeoutException.waitedFor(timeout));
    }
  }

  /** Gives the waiter a token, a failure, or subscribes it to the refresh in flight (starting one). */
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
    if (s.ended != null) {
      waiter.completeExceptionally(s.endException());
      return;
    }
    Flight flight = inFlight.get();
    if (flight == null) {
      long next = nextAttemptAt;
      long delay = next > now ? next - now : 0; // no subtraction: next may be Long.MIN_VALUE
      Throwable failure = lastFailure;
      if (delay > 0 && next > waiter.deadline && failure != null) {
        // The next attempt is after this caller's deadline: fail now rather than hang until then.
        waiter.completeExceptionally(
            TokenRefreshException.refreshFailed(Duration.ofMillis(delay), failure));
        return;
      }
      flight = startFlight(s, s.token == null ? TokenRequest.Reason.INITIAL
          : s.rejected ? TokenRequest.Reason.REJECTED : TokenRequest.Reason.EXPIRED, delay);
    }
    flight.result.whenComplete((snapshot, failure) -> {
      if (failure == null && snapshot.token != null && snapshot.ended == null && !snapshot.closed) {
        // A token fresh from the endpoint is handed out even if its leeway already began.
        waiter.complete(snapshot.token);
      } else if (failure instanceof ReauthenticationRequiredException) {
        Snapshot latest = current.get();
        waiter.completeExceptionally(latest.ended != null ? latest.endException() : failure);
      } else if (failure instanceof IllegalStateException) {
        waiter.completeExceptionally(failure);
      } else {
        attempt(waiter); // temporary failure: wait for the retry if it fits the deadline
      }
    });
  }

  // ---------------------------------------------------------------------------------- flights

  /** Starts a refresh, or returns the one in flight. */
  private Flight startFlight(Snapshot base, TokenRequest.Reason reason, long delayMillis) {
    Flight mine = new Flight(reason, base.session);
    while (!inFlight.compareAndSet(null, mine)) {
      Flight other = inFlight.get();
      if (other != null) {
        return other;
      }
    }
    // A refresh may have finished between our read of `current` and winning the slot. Its token is
    // here already; calling the endpoint again would burn a (rotating) refresh token for nothing.
    long now = clock.millis();
    Snapshot latest = current.get();
    if (latest != base && latest.usableAt(now)) {
      complete(mine, latest);
      return mine;
    }
    // A refresh may also have failed meanwhile: its backoff (written before it cleared the slot)
    // holds for us too.
    long next = nextAttemptAt;
    if (next > now) {
      if (reason == TokenRequest.Reason.PROACTIVE && latest.usableAt(now)) {
        complete(mine, latest);
        return mine;
      }
      delayMillis = Math.max(delayMillis, next - now);
    }
    try {
      if (delayMillis > 0) {
        scheduler.schedule(() -> dispatch(mine), Duration.ofMillis(delayMillis));
      } else {
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

  private void run(Flight flight) {
    if (flight.result.isDone() || inFlight.get() != flight) {
      return; // failed by sign-out or close while it waited for its backoff
    }
    Snapshot base = current.get();
    try {
      if (base.usableAt(clock.millis()) && !base.rejected
          && (flight.reason != TokenRequest.Reason.PROACTIVE || base.session != flight.session)) {
        // A sign-in (or another writer) supplied a usable token while this flight waited.
        complete(flight, base);
      } else if (base.closed) {
        fail(flight, closedException());
      } else if (base.ended != null) {
        fail(flight, base.endException());
      } else {
        fetch(flight, base, true);
      }
    } catch (Throwable t) {
      // Whatever happens, the slot is released and the waiters hear about it.
      try {
        onTemporaryFailure(flight, t, clock.millis());
      } finally {
        if (!flight.result.isDone()) {
          fail(flight, TokenRefreshException.refreshFailed(null, t));
        }
      }
      if (t instanceof Error) {
        throw (Error) t;
      }
    }
  }

  private void fetch(Flight flight, Snapshot base, boolean mayReread) throws Exception {
    long sentAt = clock.millis();
    TokenResponse response;
    try {
      response = config.source().fetch(new TokenRequest(base.refreshToken, flight.reason));
      if (response == null) {
        throw new IllegalStateException("TokenSource " + config.source().getClass().getName()
            + " returned null; return a TokenResponse or throw");
      }
    } catch (TokenEndpointException e) {
      if (!e.isTerminal()) {
        onTemporaryFailure(flight, e, sentAt);
      } else if (!mayReread || !adoptRotatedTokens(flight, base, sentAt)) {
        endSession(flight, base, e);
      }
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      onTemporaryFailure(flight, e, sentAt);
      return;
    }
    Expiry.Result result = Expiry.compute(response, Instant.ofEpochMilli(sentAt));
    AccessToken token = result.token();
    if (token.expiresAt() != null && !token.expiresAt().isAfter(token.obtainedAt())) {
      onTemporaryFailure(flight, TokenEndpointException.invalidResponse(0,
          "the token endpoint issued an access token that had already expired (check clocks)",
          null), sentAt);
      return;
    }
    skew = result.skew();
    RefreshToken rotated = response.refreshToken() == null ? null : new RefreshToken(response.refreshToken());
    RefreshToken refresh = rotated != null ? rotated : base.refreshToken;
    // Save first: a rotated refresh token must be in the store before anyone uses the new access
    // token, or a crash now would leave the store holding a refresh token the server has retired.
    Snapshot next = save(base, token, refresh);
    if (next == null) {
      LOG.log(Level.DEBUG, () -> config.name() + ": refresh finished after a sign-in or sign-out; result dropped");
      complete(flight, current.get());
      return;
    }
    failures = 0;
    nextAttemptAt = Long.MIN_VALUE;
    lastFailure = null;
    long took = clock.millis() - sentAt;
    if (!replaceIfSameSession(base, next)) {
      complete(flight, current.get()); // signed in or out meanwhile: the newer session wins
      return;
    }
    LOG.log(Level.DEBUG, () -> config.name() + ": " + flight.reason + " refresh gave "
        + token.fingerprint() + " expiring " + token.expiresAt() + " in " + took + " ms"
        + (rotated != null ? ", refresh token rotated" : ""));
    // Listener first, waiters second: whoever sees the outcome can rely on the event being out.
    notify(l -> l.onRefreshed(new TokenListener.Refreshed(flight.reason, Duration.ofMillis(took),
        token.fingerprint(), token.expiresAt(), rotated != null)));
    complete(flight, next);
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
    if (adopted.usableAt(clock.millis())) {
      complete(flight, adopted);
    } else {
      fetch(flight, adopted, false);
    }
    return true;
  }

  private void endSession(Flight flight, Snapshot base, TokenEndpointException cause) {
    Snapshot ended = base.end(Reason.CREDENTIALS_REJECTED, cause);
    if (!replaceIfSameSession(base, ended)) {
      complete(flight, current.get());
      return;
    }
    LOG.log(Level.WARNING, config.name() + ": session expired: " + cause.getMessage());
    notify(l -> l.onSessionExpired(new TokenListener.SessionExpired(cause.getMessage())));
    fail(flight, ended.endException());
  }

  private void onTemporaryFailure(Flight flight, Throwable cause, long sentAt) {
    if (flight.result.isDone()) {
      return;
    }
    long now = clock.millis();
    int attempt = failures + 1;
    failures = attempt;
    Duration retryAfter = cause instanceof TokenEndpointException
        ? ((TokenEndpointException) cause).retryAfter().orElse(null) : null;
    long delay = timing.backoffMillis(attempt, retryAfter, random);
    lastFailure = cause;
    nextAttemptAt = Durations.plus(now, delay); // before the slot clears, so the next caller sees the backoff
    String failure = Failures.describe(cause);
    LOG.log(Level.WARNING, config.name() + ": token refresh failed (attempt " + attempt
        + ", next in " + delay + " ms): " + failure);
    notify(l -> l.onRefreshFailed(new TokenListener.RefreshFailed(attempt,
        Duration.ofMillis(now - sentAt), Duration.ofMillis(delay), failure)));
    fail(flight, TokenRefreshException.refreshFailed(Duration.ofMillis(delay), cause));
  }

  // ------------------------------------------------------------------------------ state changes

  /**
   * Saves the new tokens (compare-and-set) and returns the snapshot to publish, or null when a
   * sign-in or sign-out happened meanwhile: then the store belongs to the newer session.
   */
  private @Nullable Snapshot save(Snapshot base, AccessToken token, @Nullable RefreshToken refresh) {
    TokenStore store = config.store();
    long expected = base.storeVersion;
    for (int i = 0; i < 3; i++) {
      try {
        StoredTokens replacement = new StoredTokens(expected + 1, token, refresh);
        if (store.compareAndSet(expected, replacement)) {
          return Snapshot.active(token, refresh, timing.windows(token, random), expected + 1, base.session);
        }
        // Sign-in and sign-out move to a new session before they write: check after every failure.
        if (current.get().session != base.session) {
          return null;
        }
        StoredTokens latest = store.load();
        Snapshot theirs = snapshotOf(latest, base.session);
        if (theirs.usableAt(clock.millis())) {
          // Another writer stored a valid token meanwhile; theirs wins, ours is dropped.
          return theirs;
        }
        expected = latest.version();
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, config.name() + ": could not save tokens to the store ("
            + e.getClass().getName() + "); keeping them in memory");
        break;
      }
    }
    return Snapshot.active(token, refresh, timing.windows(token, random), expected, base.session);
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

  private void complete(Flight flight, Snapshot result) {
    // Clear the slot before completing: a waiter woken by this completion that still finds no
    // usable token must be able to start the next refresh.
    inFlight.compareAndSet(flight, null);
    flight.result.complete(result);
  }

  private void fail(Flight flight, Throwable failure) {
    inFlight.compareAndSet(flight, null);
    flight.result.completeExceptionally(failure);
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
      if (s.rejected) {
        return true;
      }
      Snapshot marked = s.markRejected();
      if (current.compareAndSet(s, marked)) {
        LOG.log(Level.DEBUG, () -> config.name() + ": " + rejected.fingerprint() + " rejected by a server");
        if (marked.ended == null && !marked.closed && clock.millis() >= nextAttemptAt) {
          startFlight(marked, TokenRequest.Reason.REJECTED, 0);
        }
        return true;
      }
    }
  }

  public void rejectedAfterRefresh(AccessToken token) {
    Duration age = Duration.ofMillis(Math.max(0, clock.millis() - token.obtainedAt().toEpochMilli()));
    LOG.log(Level.WARNING, config.name() + ": a server rejected " + token.fingerprint()
        + " although it was obtained " + age.toMillis() + " ms ago, after the previous rejection");
    notify(l -> l.onRejectedAfterRefresh(new TokenListener.RejectedAfterRefresh(token.fingerprint(), age)));
  }

  /** Installs tokens obtained by a sign-in, starting a new session. */
  public AccessToken signIn(TokenResponse response, long sentAt) {
    Expiry.Result result = Expiry.compute(response, Instant.ofEpochMilli(sentAt));
    AccessToken token = result.token();
    RefreshToken refresh = response.refreshToken() == null ? null : new RefreshToken(response.refreshToken());
    // New session first, store second: a refresh of the old session that finishes now sees the
    // session change before it may write, and drops its result instead of overwriting ours.
    long session = beginSession();
    StoredTokens written = write(token, refresh);
    Snapshot next = Snapshot.active(token, refresh, timing.windows(token, random), written.version(), session);
    for (;;) {
      Snapshot s = current.get();
      if (s.session != session || s.closed || current.compareAndSet(s, next)) {
        break; // a later sign-in, sign-out or close wins over this one
      }
    }
    skew = result.skew();
    failures = 0;
    nextAttemptAt = Long.MIN_VALUE;
    lastFailure = null;
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
    write(null, null);
    LOG.log(Level.DEBUG, () -> config.name() + ": signed out");
    return before.refreshToken;
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

  /** Stops background work; waiters fail with {@link IllegalStateException}. */
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

  // --------------------------------------------------------------------------------- helpers

  private Snapshot snapshotOf(StoredTokens stored, long session) {
    AccessToken token = stored.accessToken();
    long[] windows = token == null ? null : timing.windows(token, random);
    return Snapshot.active(token, stored.refreshToken(), windows, stored.version(), session);
  }

  private IllegalStateException closedException() {
    return new IllegalStateException("TokenKeeper '" + config.name() + "' is closed");
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
