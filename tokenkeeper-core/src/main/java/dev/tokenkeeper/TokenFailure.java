package dev.tokenkeeper;

/**
 * Why no token could be had, in one place: {@link TokenException#failure()} on every exception a
 * keeper throws, {@link TokenListener.RefreshFailed#reason()} on every failure event. Adapters wrap
 * the exception in their client's {@code IOException} ({@link TokenIOException#failure()}), so a
 * caller can tell the cases apart without {@code instanceof} on causes.
 */
public enum TokenFailure {
  /**
   * The session is over: the refresh token or the user's grant was refused, the application signed
   * out, or there were never credentials. Only a new {@link TokenKeeper#signIn} helps; no endpoint
   * call is made until then. ({@link ReauthenticationRequiredException})
   */
  REAUTHENTICATION_REQUIRED,
  /**
   * The token endpoint refused the client credentials the application configured ({@code
   * invalid_client}, {@code unauthorized_client}, a refused {@code client_credentials} grant). The
   * keeper keeps retrying with a long capped backoff and recovers by itself once the endpoint
   * accepts them again; fix the configuration or the registration. ({@link
   * CredentialsRejectedException})
   */
  CREDENTIALS_REJECTED,
  /**
   * The token endpoint could not be reached, was too slow, answered with an error that is expected
   * to pass (5xx, 429, an HTML page) or with something that is not a token. The keeper retries with
   * backoff. ({@link TokenRefreshException})
   */
  ENDPOINT_FAILING,
  /**
   * The caller's own deadline passed while the refresh it waited for was still running. ({@link
   * TokenTimeoutException})
   */
  TIMED_OUT,
  /** The calling thread was interrupted while it waited. ({@link TokenInterruptedException}) */
  INTERRUPTED,
  /** The keeper was closed. ({@link TokenKeeperClosedException}) */
  KEEPER_CLOSED
}
