package dev.tokenkeeper;

/**
 * Where a keeper keeps an identity's tokens, so that they survive the keeper (a file, a database,
 * Redis) or are shared between processes.
 *
 * <p>Writes are compare-and-set on {@link StoredTokens#version()}: two writers can never silently
 * overwrite each other. The keeper saves a rotated refresh token here <em>before</em> it hands the
 * new access token to anyone, so a crash can lose an access token but never the only valid refresh
 * token. When the endpoint refuses a refresh token, the keeper re-reads the store first: another
 * process may have rotated it. To let several keepers share one identity safely (one refresh at a
 * time, never a reused rotating refresh token), use a {@link SharedTokenStore}.
 *
 * <p>Implementations must be thread-safe. {@link #inMemory()} is the default.
 */
public interface TokenStore {

  /** Returns the stored tokens, or {@link StoredTokens#EMPTY}; never {@code null}. */
  StoredTokens load();

  /**
   * Replaces the stored tokens with {@code replacement} if the stored version is still {@code
   * expectedVersion}.
   *
   * @param replacement the new tokens; its version is {@code expectedVersion + 1}
   * @return {@code false} when another writer got there first (nothing was written)
   */
  boolean compareAndSet(long expectedVersion, StoredTokens replacement);

  /** Returns a new, empty, thread-safe store that lives in memory. */
  static TokenStore inMemory() {
    return new dev.tokenkeeper.internal.MemoryTokenStore();
  }
}
