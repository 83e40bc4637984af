package dev.tokenkeeper.internal;

import dev.tokenkeeper.TokenIOException;
import dev.tokenkeeper.TokenRefreshException;

/**
 * How the HTTP adapters report a keeper that can no longer hand out tokens. Stateless.
 *
 * <p>{@code TokenKeeper.token()} and {@code tokenAsync()} fail with {@link IllegalStateException}
 * once the keeper is closed. Out of an HTTP client that is a raw unchecked exception nobody
 * expects from {@code send}, so the adapters turn it into the {@link TokenIOException} they
 * document, the keeper's exception kept as the cause. The exception hierarchy has no type for "the
 * keeper is closed" yet: until it has, the closed-keeper exception travels inside a {@link
 * TokenRefreshException} (the only public {@code TokenException} that takes a cause); this is the
 * one place to change when it gets its own type.
 */
public final class AdapterFailures {
  private AdapterFailures() {}

  /** Returns the adapters' failure for a request whose keeper threw {@code closed}. */
  public static TokenIOException keeperClosed(IllegalStateException closed) {
    return new TokenIOException(TokenRefreshException.refreshFailed(null, closed));
  }
}
