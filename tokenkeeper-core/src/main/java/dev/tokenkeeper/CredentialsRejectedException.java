package dev.tokenkeeper;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The token endpoint refused the client credentials the application configured (for example
 * {@code invalid_client} on a {@code client_credentials} grant). A service has no user who could
 * sign in again, so this is <em>not</em> the end of a session: the keeper retries with a long
 * capped backoff (30 s growing to 5 minutes by default, see {@link
 * TokenKeeper.Builder#credentialsRejectedBackoff}) and recovers by itself once the endpoint accepts
 * the credentials again. Fix the client id, secret or registration; no code needs to react.
 *
 * <p>A subclass of {@link TokenRefreshException}, so code that retries temporary failures later
 * handles it too. Its {@link #failure()} is {@link TokenFailure#CREDENTIALS_REJECTED}.
 */
public final class CredentialsRejectedException extends TokenRefreshException {
  private static final long serialVersionUID = 1L;

  private CredentialsRejectedException(String message, @Nullable Duration retryAfter, Throwable cause) {
    super(message, retryAfter, cause);
  }

  /** Returns an exception for refused client credentials; the next attempt is {@code retryAfter} away. */
  public static CredentialsRejectedException of(@Nullable Duration retryAfter, Throwable cause) {
    String next = retryAfter == null ? "" : "; next attempt in " + retryAfter.toMillis() + " ms";
    return new CredentialsRejectedException("the token endpoint refused the client credentials"
        + " (check the client id, secret and registration)" + next + ": " + describe(cause),
        retryAfter, cause);
  }

  @Override
  public TokenFailure failure() {
    return TokenFailure.CREDENTIALS_REJECTED;
  }
}
