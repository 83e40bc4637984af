package dev.tokenkeeper.internal;

import dev.tokenkeeper.TokenEndpointException;
import dev.tokenkeeper.TokenException;

/** Describes failures for logs and messages without leaking secrets. */
public final class Failures {
  private Failures() {}

  /**
   * Our own exceptions never carry secrets in their messages, so their message is shown. A foreign
   * one might (a custom source could put a token into an {@code IOException} message), so only its
   * class is named; timeouts and connection failures are recognisable from the class alone.
   */
  public static String describe(Throwable cause) {
    if (cause instanceof TokenEndpointException || cause instanceof TokenException) {
      return cause.getMessage();
    }
    return cause.getClass().getName();
  }
}
