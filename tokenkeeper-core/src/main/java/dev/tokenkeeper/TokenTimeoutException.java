package dev.tokenkeeper;

import java.time.Duration;

/**
 * The caller's deadline passed while it waited for a refresh. The refresh goes on for everyone
 * else; a later call may find the new token.
 */
public final class TokenTimeoutException extends TokenRefreshException {
  private static final long serialVersionUID = 1L;

  private TokenTimeoutException(String message) {
    super(message, null, null);
  }

  @Override
  public TokenFailure failure() {
    return TokenFailure.TIMED_OUT;
  }

  /** Returns an exception for a caller that waited {@code waited} without getting a token. */
  public static TokenTimeoutException waitedFor(Duration waited) {
    return new TokenTimeoutException(
        "no valid token within " + waited.toMillis() + " ms: the refresh (or its retry) has not succeeded yet");
  }
}
