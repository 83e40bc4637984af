package dev.tokenkeeper;

import dev.tokenkeeper.internal.Failures;
import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * No valid token could be obtained, for a reason that is expected to pass: the token endpoint was
 * unreachable, slow, overloaded (5xx, 429) or answered nonsense. The session is intact; retrying
 * later can succeed. {@link #retryAfter()} says when the keeper will try again, when it knows.
 */
public class TokenRefreshException extends TokenException {
  private static final long serialVersionUID = 1L;

  private final @Nullable Duration retryAfter;

  TokenRefreshException(String message, @Nullable Duration retryAfter, @Nullable Throwable cause) {
    super(message, cause);
    this.retryAfter = retryAfter;
  }

  /** Returns an exception for a failed refresh; the next attempt is {@code retryAfter} away. */
  public static TokenRefreshException refreshFailed(@Nullable Duration retryAfter, Throwable cause) {
    String next = retryAfter == null ? "" : "; next attempt in " + retryAfter.toMillis() + " ms";
    return new TokenRefreshException("token refresh failed (temporary)" + next + ": " + describe(cause),
        retryAfter, cause);
  }

  /**
   * Returns {@link TokenFailure#ENDPOINT_FAILING}, or {@link TokenFailure#TIMED_OUT} and {@link
   * TokenFailure#CREDENTIALS_REJECTED} for those subclasses.
   */
  @Override
  public TokenFailure failure() {
    return TokenFailure.ENDPOINT_FAILING;
  }

  /** Always {@code true}: this failure is expected to pass. */
  public boolean isTemporary() {
    return true;
  }

  /** Returns how long until the keeper's next refresh attempt, when known. */
  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }

  static String describe(Throwable cause) {
    return Failures.describe(cause);
  }
}
