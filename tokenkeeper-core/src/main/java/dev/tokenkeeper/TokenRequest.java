package dev.tokenkeeper;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What the keeper asks a {@link TokenSource} for: a new token, given the current refresh token
 * (if any) and the reason.
 *
 * @param refreshToken the current refresh token, or {@code null} when there is none (a first
 *     {@code client_credentials} call, or a login)
 * @param reason why the keeper wants a new token; for logs and metrics, sources rarely care
 * @param dpop the keeper's DPoP key ({@link TokenKeeper.Builder#dpop}), or {@code null}: a source
 *     that supports DPoP sends a proof made with it, so that the tokens it obtains are bound to it
 */
public record TokenRequest(@Nullable RefreshToken refreshToken, Reason reason, @Nullable DPoP dpop) {

  /** A request from a keeper without DPoP. */
  public TokenRequest(@Nullable RefreshToken refreshToken, Reason reason) {
    this(refreshToken, reason, null);
  }

  /** Why a token is requested. */
  public enum Reason {
    /** No token yet. */
    INITIAL,
    /** The current token is still valid but inside its refresh-ahead window. */
    PROACTIVE,
    /** The current token has expired. */
    EXPIRED,
    /** A server rejected the current token ({@link TokenKeeper#invalidate}). */
    REJECTED,
    /** An explicit sign-in ({@link TokenKeeper#signIn(TokenSource)}). */
    SIGN_IN
  }

  /** Checks the reason. */
  public TokenRequest {
    Objects.requireNonNull(reason, "reason");
  }
}
