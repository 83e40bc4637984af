package dev.tokenkeeper;

import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * Hears what a keeper does, for metrics and alerts. Events carry durations, counts and token
 * fingerprints, never token values or secrets.
 *
 * <p>Methods are called on the thread that ended the refresh (the keeper's refresh thread; for a
 * token that a caller-started refresh of a keeper with its own threads and in-memory store got, the
 * HTTP client's thread that delivered it), or the thread that reported a rejection, after the
 * keeper's state has changed and <em>after</em> the callers waiting for that refresh were released: a slow listener never holds a caller up, and a listener may call back into the keeper
 * ({@code keeper.token()} inside {@code onRefreshFailed} sees the new state, it never waits for the
 * refresh that is notifying it). Events of one keeper are delivered one refresh at a time, in
 * order. Keep them quick. <b>An exception thrown by a listener is logged and swallowed</b>: it
 * never changes what the keeper does.
 */
public interface TokenListener {

  /** A listener that ignores everything. */
  TokenListener NONE = new TokenListener() {};

  /** A token was obtained. */
  default void onRefreshed(Refreshed event) {}

  /**
   * A refresh failed for a reason that may pass (the endpoint failing, or a service's client
   * credentials refused); the keeper will retry after {@code retryIn}.
   */
  default void onRefreshFailed(RefreshFailed event) {}

  /** The session ended: the endpoint refused the credentials. Called once per session. */
  default void onSessionExpired(SessionExpired event) {}

  /** A request was rejected again with a token obtained after the previous rejection. */
  default void onRejectedAfterRefresh(RejectedAfterRefresh event) {}

  /**
   * A token was obtained.
   *
   * @param reason why it was requested
   * @param duration how long the endpoint call took
   * @param fingerprint the new access token's fingerprint
   * @param expiresAt its expiry on the local clock, or {@code null} when unknown
   * @param refreshTokenRotated whether the endpoint sent a new refresh token
   */
  record Refreshed(TokenRequest.Reason reason, Duration duration, String fingerprint,
      @Nullable Instant expiresAt, boolean refreshTokenRotated) {}

  /**
   * A refresh failed, and the keeper will try again.
   *
   * @param attempt consecutive failures so far, starting at 1
   * @param duration how long the failed call took (up to the attempt timeout, for an abandoned one)
   * @param retryIn the backoff before the next attempt
   * @param failure the failure, described without secrets
   * @param reason {@link TokenFailure#ENDPOINT_FAILING}, or {@link TokenFailure#CREDENTIALS_REJECTED}
   *     when the endpoint refused a service's configured client credentials (reported on every
   *     attempt until it accepts them)
   */
  record RefreshFailed(int attempt, Duration duration, Duration retryIn, String failure,
      TokenFailure reason) {}

  /**
   * The session ended.
   *
   * @param failure the endpoint's refusal, described without secrets
   */
  record SessionExpired(String failure) {}

  /**
   * A token was rejected right after a refresh: the server does not accept even a fresh token
   * (wrong audience, revoked client, clock far off).
   *
   * @param fingerprint the rejected token's fingerprint
   * @param tokenAge how long ago that token was obtained
   */
  record RejectedAfterRefresh(String fingerprint, Duration tokenAge) {}
}
