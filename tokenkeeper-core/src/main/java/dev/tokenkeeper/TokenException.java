package dev.tokenkeeper;

import org.jspecify.annotations.Nullable;

/**
 * Base of the unchecked exceptions a {@link TokenKeeper} throws when it cannot hand out a token.
 * Catch a subclass to act: {@link TokenRefreshException} (temporary, retry later), {@link
 * ReauthenticationRequiredException} (the user or client must sign in again), {@link
 * TokenInterruptedException}.
 *
 * <p>Messages never contain a token, refresh token or client secret.
 */
public abstract class TokenException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  TokenException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
