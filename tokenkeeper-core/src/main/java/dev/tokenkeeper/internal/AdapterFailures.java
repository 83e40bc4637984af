package dev.tokenkeeper.internal;

import dev.tokenkeeper.TokenIOException;
import dev.tokenkeeper.TokenRefreshException;

/**
 * How the HTTP adapters report a keeper that can no longer hand out tokens. Stateless.
 *
 * <p>A closed keeper fails {@code token()} and {@code tokenAsync()} with {@code
 * TokenKeeperClosedException}, a {@code TokenException} the adapters wrap like any other (its
 * {@code failure()} is {@code KEEPER_CLOSED}). An {@link IllegalStateException} out of a keeper is
 * a bug or a custom keeper; rather than let a raw unchecked exception out of {@code send}, the
 * adapters still turn it into the {@link TokenIOException} they document, kept as the cause.
 */
public final class AdapterFailures {
  private AdapterFailures() {}

  /** Returns the adapters' failure for a request whose keeper threw {@code closed}. */
  public static TokenIOException keeperClosed(IllegalStateException closed) {
    return new TokenIOException(TokenRefreshException.refreshFailed(null, closed));
  }
}
