package dev.tokenkeeper.internal;

import dev.tokenkeeper.TokenEndpointException;
import dev.tokenkeeper.TokenException;
import dev.tokenkeeper.TokenStoreException;

/** Describes failures for logs and messages without leaking secrets. */
public final class Failures {
  private Failures() {}

  /**
   * Our own exceptions never carry secrets in their messages, so their message is shown. A foreign
   * one might (a custom source could put a token into an {@code IOException} message), so only its
   * class is named; timeouts and connection failures are recognisable from the class alone.
   */
  public static String describe(Throwable cause) {
    if (cause instanceof TokenEndpointException || cause instanceof TokenException
        || cause instanceof TokenStoreException || cause instanceof OwnMessage) {
      return cause.getMessage();
    }
    return cause.getClass().getName();
  }

  /** Marks an exception of ours whose message is safe to show (it never holds a secret). */
  public interface OwnMessage {}

  /** A refresh attempt that did not finish within the keeper's attempt timeout. */
  public static final class AttemptTimeoutException extends java.io.InterruptedIOException
      implements OwnMessage {
    private static final long serialVersionUID = 1L;

    public AttemptTimeoutException(String message) {
      super(message);
    }
  }

  /** A token endpoint call that did not receive its whole answer in time. */
  public static final class EndpointTimeoutException extends java.net.http.HttpTimeoutException
      implements OwnMessage {
    private static final long serialVersionUID = 1L;

    public EndpointTimeoutException(String message) {
      super(message);
    }
  }

  /**
   * Another keeper sharing the token store held the refresh lease longer than its ttl: this keeper
   * did not refresh (that could burn a refresh token the holder is rotating) and will try again.
   */
  public static final class LeaseUnavailableException extends java.util.concurrent.TimeoutException
      implements OwnMessage {
    private static final long serialVersionUID = 1L;

    public LeaseUnavailableException(String message) {
      super(message);
    }
  }
}
