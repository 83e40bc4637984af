package dev.tokenkeeper.internal;

import dev.tokenkeeper.StoredTokens;
import dev.tokenkeeper.TokenStore;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@link TokenStore#inMemory()}: one atomic reference. A class of its own so that the engine can
 * tell that saving to it never blocks (see {@link KeeperConfig#answersWhereTheyArrive()}).
 */
public final class MemoryTokenStore implements TokenStore {
  private final AtomicReference<StoredTokens> tokens = new AtomicReference<>(StoredTokens.EMPTY);

  @Override
  public StoredTokens load() {
    return tokens.get();
  }

  @Override
  public boolean compareAndSet(long expectedVersion, StoredTokens replacement) {
    if (replacement.version() != expectedVersion + 1) {
      throw new IllegalArgumentException("replacement version " + replacement.version()
          + " must be expectedVersion + 1 = " + (expectedVersion + 1));
    }
    StoredTokens current = tokens.get();
    return current.version() == expectedVersion && tokens.compareAndSet(current, replacement);
  }

  @Override
  public String toString() {
    return "TokenStore.inMemory(" + tokens.get() + ")";
  }
}
