package dev.tokenkeeper;

import org.jspecify.annotations.Nullable;

/**
 * The session is over: the token endpoint refused the refresh token or the user's grant (for
 * example {@code invalid_grant}), the application signed out, or there were never credentials. No
 * retry will help; the keeper makes no further endpoint calls until {@link TokenKeeper#signIn} gives
 * it new credentials.
 */
public final class ReauthenticationRequiredException extends TokenException {
  private static final long serialVersionUID = 1L;

  /** Why the session ended. */
  public enum Reason {
    /**
     * The token endpoint refused the refresh token or the user's grant. (Refused <em>client</em>
     * credentials of a {@link TokenSource#usesConfiguredCredentials() service} never end a
     * session: see {@link CredentialsRejectedException}.)
     */
    CREDENTIALS_REJECTED,
    /** {@link TokenKeeper#signOut()} was called. */
    SIGNED_OUT,
    /** The keeper has no credentials to obtain a token with. */
    NO_CREDENTIALS
  }

  private final Reason reason;

  private ReauthenticationRequiredException(Reason reason, String message, @Nullable Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  /** Returns an exception for {@code reason}, with the endpoint's refusal as the cause if any. */
  public static ReauthenticationRequiredException of(Reason reason, @Nullable Throwable cause) {
    String message;
    switch (reason) {
      case CREDENTIALS_REJECTED:
        message = "reauthentication required: the token endpoint rejected the credentials"
            + (cause == null ? "" : " (" + TokenRefreshException.describe(cause) + ")");
        break;
      case SIGNED_OUT:
        message = "reauthentication required: signed out";
        break;
      default:
        message = "reauthentication required: no credentials; call signIn first";
        break;
    }
    return new ReauthenticationRequiredException(reason, message, cause);
  }

  @Override
  public TokenFailure failure() {
    return TokenFailure.REAUTHENTICATION_REQUIRED;
  }

  /** Returns why the session ended. */
  public Reason reason() {
    return reason;
  }
}
