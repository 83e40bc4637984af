package dev.tokenkeeper;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * A {@link TokenStore} that several keepers share, in this process or in others: it adds a refresh
 * <em>lease</em>, so that only one of them refreshes at a time, and a way to wait for another
 * holder's write.
 *
 * <p>The protocol every {@link TokenKeeper} built on such a store follows, with no code of the
 * application's:
 *
 * <ol>
 *   <li>Before any refresh, re-read the store. A newer token there that serves the purpose (usable;
 *       fresh, for a refresh ahead of expiry) is adopted: no endpoint call. An ended session there
 *       ({@link StoredTokens#sessionEnded()}) ends this keeper's session too.
 *   <li>Take the lease ({@link #tryLease}, ttl = the keeper's attempt timeout). If another holder
 *       has it, wait for its write ({@link #awaitChange}, in slices of 200 ms, looking at the lease
 *       again after each), then go back to 1. Never send a copy of the refresh token that another
 *       holder may be rotating. After the ttl plus one slice the attempt fails as a temporary
 *       failure, retried with backoff.
 *   <li>With the lease: read again (the previous holder may have written just before it let go);
 *       if still needed and the lease {@linkplain RefreshLease#isHeld() is still held}, call the
 *       endpoint with the store's refresh token, write the answer with {@link #compareAndSet}
 *       <em>before</em> handing the new token to anyone, release the lease. An answer that arrives
 *       after the lease lapsed is written only if the version is unchanged.
 *   <li>A refused refresh token and a sign-out are written as an ended session; a sign-in in any
 *       keeper writes a new session, which the others adopt (a keeper whose session ended re-reads
 *       the store at most once a second when called).
 * </ol>
 *
 * <p>What no protocol can prevent: a process killed after the server rotated the refresh token and
 * before its write loses that rotation; the next holder presents the previous refresh token, which
 * servers with a reuse grace window forgive and others answer by revoking the session.
 *
 * <p>{@link FileTokenStore} is the implementation for processes on one machine.
 *
 * <p>Implementations must be thread-safe.
 */
public interface SharedTokenStore extends TokenStore {

  /**
   * Tries to take this identity's refresh lease for at most {@code ttl}, without waiting.
   *
   * @param ttl how long the caller may hold the lease at most; positive. What happens at the end of
   *     it depends on the store (see {@link FileTokenStore#tryLease})
   * @return the lease, or {@code null} when another holder (another process, or another keeper in
   *     this process) has it
   * @throws TokenStoreException if the store cannot be reached (the lease state is then unknown)
   * @throws IllegalArgumentException if {@code ttl} is not positive
   */
  @Nullable RefreshLease tryLease(Duration ttl);

  /**
   * Waits until the stored version differs from {@code knownVersion}, at most {@code timeout}.
   *
   * @param knownVersion the version the caller has seen
   * @param timeout how long to wait at most; zero or negative returns the current state at once
   * @return the stored tokens as soon as their version differs from {@code knownVersion}, or the
   *     latest state when {@code timeout} passes (then with {@code knownVersion})
   * @throws InterruptedException if the waiting thread is interrupted
   * @throws TokenStoreException if the store cannot be read
   */
  StoredTokens awaitChange(long knownVersion, Duration timeout) throws InterruptedException;

  /**
   * The right to refresh one identity's tokens, held by one keeper at a time. Thread-safe.
   */
  interface RefreshLease {

    /**
     * Returns this grant's fencing number: strictly greater than that of every earlier grant for
     * the same identity, in any process, and persisted by the store so that it keeps increasing
     * across restarts.
     */
    long fencingToken();

    /**
     * Returns {@code true} while this lease is held: {@code false} once it was released, once its
     * ttl has passed, or once another holder took it over.
     */
    boolean isHeld();

    /**
     * Gives the lease up. Idempotent, and compare-and-delete: releasing a lease that already lapsed
     * and was taken over by another holder leaves the new holder's lease untouched.
     */
    void release();
  }
}
