package dev.tokenkeeper;

import java.io.IOException;

/**
 * An HTTP adapter could not attach a token to a request: the {@link TokenException} cause says why
 * ({@link TokenRefreshException}: temporary; {@link ReauthenticationRequiredException}: sign in
 * again). An {@link IOException}, so that code already handling its HTTP client's failures handles
 * this one too; the request was not sent.
 */
public final class TokenIOException extends IOException {
  private static final long serialVersionUID = 1L;

  /** Wraps {@code cause}; the message is the cause's, which never holds a secret. */
  public TokenIOException(TokenException cause) {
    super(cause.getMessage(), cause);
  }

  /** Returns the reason no token could be attached. */
  @Override
  public synchronized TokenException getCause() {
    return (TokenException) super.getCause();
  }

  /** Returns why no token could be attached: the cause's {@link TokenException#failure()}. */
  public TokenFailure failure() {
    return getCause().failure();
  }

  /** Returns {@code true} when the session is over and only a new sign-in helps. */
  public boolean isReauthenticationRequired() {
    return getCause() instanceof ReauthenticationRequiredException;
  }
}
