package dev.tokenkeeper;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * A {@link TokenStore} that several keepers share, in this process or in others: it adds a refresh
 * <em>lease</em>, so that only one of them refreshes at a time, and a way to wait for another
 * holder's write.
 *
 * <p>The protocol a keeper follows on such a store: re-read the store before refreshing and adopt a
 * newer token if there is one; refresh only while holding the lease; write the answer with {@link
 * #compareAndSet} before handing the new token to anyone; release the lease. A keeper that does not
 * get the lease waits for the holder's write with {@link #awaitChange}. {@link FileTokenStore} is
 * the file-based implementation.
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
