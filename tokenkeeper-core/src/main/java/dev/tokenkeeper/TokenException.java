package dev.tokenkeeper;

import org.jspecify.annotations.Nullable;

/**
 * Base of the unchecked exceptions a {@link TokenKeeper} throws when it cannot hand out a token.
 * {@link #failure()} says why, in one enum; or catch a subclass to act: {@link
 * TokenRefreshException} (temporary, retry later; {@link CredentialsRejectedException} and {@link
 * TokenTimeoutException} are kinds of it), {@link ReauthenticationRequiredException} (the user must
 * sign in again), {@link TokenInterruptedException}, {@link TokenKeeperClosedException}.
 *
 * <p>Messages never contain a token, refresh token or client secret.
 */
public abstract class TokenException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  TokenException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }

  /** Returns why no token could be had. */
  public abstract TokenFailure failure();
}
