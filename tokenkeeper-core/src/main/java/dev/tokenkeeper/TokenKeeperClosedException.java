package dev.tokenkeeper;

import org.jspecify.annotations.Nullable;

/**
 * The keeper was {@linkplain TokenKeeper#close() closed}: it hands out no token, and callers that
 * were waiting for a refresh are released with this. Its {@link #failure()} is {@link
 * TokenFailure#KEEPER_CLOSED}.
 */
public final class TokenKeeperClosedException extends TokenException {
  private static final long serialVersionUID = 1L;

  private TokenKeeperClosedException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }

  /** Returns an exception for the keeper named {@code keeperName}. */
  public static TokenKeeperClosedException of(String keeperName) {
    return new TokenKeeperClosedException("TokenKeeper '" + keeperName + "' is closed", null);
  }

  /** The {@link TokenKeepers} registry was closed. */
  static TokenKeeperClosedException registry() {
    return new TokenKeeperClosedException("the TokenKeepers registry is closed", null);
  }

  @Override
  public TokenFailure failure() {
    return TokenFailure.KEEPER_CLOSED;
  }
}
