package dev.tokenkeeper;

/**
 * The calling thread was interrupted while it waited for a token. The thread's interrupt flag is
 * set again when this is thrown; the refresh goes on for the other callers.
 */
public final class TokenInterruptedException extends TokenException {
  private static final long serialVersionUID = 1L;

  /** Returns an exception with {@code cause} as its cause. */
  public TokenInterruptedException(InterruptedException cause) {
    super("interrupted while waiting for a token", cause);
  }

  @Override
  public TokenFailure failure() {
    return TokenFailure.INTERRUPTED;
  }
}
