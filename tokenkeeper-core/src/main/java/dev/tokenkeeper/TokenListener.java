package dev.tokenkeeper;

import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * Hears what a keeper does, for metrics and alerts. Events carry durations, counts and token
 * fingerprints, never token values or secrets.
 *
 * <p>Methods are called on the keeper's refresh thread (or the thread that reported a rejection),
 * after the keeper's state has changed and <em>before</em> the callers waiting for that refresh are
 * released, so a caller that sees the outcome can rely on the event being out. Keep them quick. <b>An exception thrown by a listener is logged and swallowed</b>: it never
 * changes what the keeper does.
 */
public interface TokenListener {

  /** A listener that ignores everything. */
  TokenListener NONE = new TokenListener() {};

  /** A token was obtained. */
  default void onRefreshed(Refreshed event) {}

  /** A refresh failed for a temporary reason; the keeper will retry after {@code retryIn}. */
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
   * A refresh failed for a temporary reason.
   *
   * @param attempt consecutive failures so far, starting at 1
   * @param duration how long the failed call took
   * @param retryIn the backoff before the next attempt
   * @param failure the failure, described without secrets
   */
  record RefreshFailed(int attempt, Duration duration, Duration retryIn, String failure) {}

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
