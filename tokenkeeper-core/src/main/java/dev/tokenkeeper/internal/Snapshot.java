package dev.tokenkeeper.internal;

import dev.tokenkeeper.AccessToken;
import dev.tokenkeeper.ReauthenticationRequiredException;
import dev.tokenkeeper.RefreshToken;
import org.jspecify.annotations.Nullable;

/**
 * Everything the hot path needs to answer, in one immutable object read with one volatile load:
 * the token and the two instants (epoch millis, local clock) that split its life into fresh,
 * stale and expired.
 */
final class Snapshot {
  final @Nullable AccessToken token;
  final @Nullable RefreshToken refreshToken;
  /** From here on the token is stale: still handed out, but a background refresh starts. */
  final long staleAt;
  /** From here on the token is not handed out. */
  final long expiredAt;
  /**
   * No refresh of this token starts before this: until then the server would hand out a token that
   * expires no later (whole-second {@code exp}). Callers on an expired token wait for it.
   */
  final long refreshNotBefore;
  /** The store version these tokens were loaded from or saved as. */
  final long storeVersion;
  /** Incremented by sign-in and sign-out: a refresh started in an older session is discarded. */
  final long session;
  /** Why the session ended, or {@code null} while it is active. */
  final ReauthenticationRequiredException.@Nullable Reason ended;
  final @Nullable Throwable endCause;
  /** The token was reported rejected by a server. */
  final boolean rejected;
  final boolean closed;

  private Snapshot(@Nullable AccessToken token, @Nullable RefreshToken refreshToken, long staleAt,
      long expiredAt, long refreshNotBefore, long storeVersion, long session,
      ReauthenticationRequiredException.@Nullable Reason ended, @Nullable Throwable endCause,
      boolean rejected, boolean closed) {
    this.token = token;
    this.refreshToken = refreshToken;
    this.staleAt = staleAt;
    this.expiredAt = expiredAt;
    this.refreshNotBefore = refreshNotBefore;
    this.storeVersion = storeVersion;
    this.session = session;
    this.ended = ended;
    this.endCause = endCause;
    this.rejected = rejected;
    this.closed = closed;
  }

  static Snapshot empty(long storeVersion, long session) {
    return new Snapshot(null, null, Long.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE, storeVersion,
        session, null, null, false, false);
  }

  static Snapshot active(@Nullable AccessToken token, @Nullable RefreshToken refreshToken,
      long @Nullable [] windows, long storeVersion, long session) {
    if (token == null) {
      Snapshot s = empty(storeVersion, session);
      return new Snapshot(null, refreshToken, s.staleAt, s.expiredAt, Long.MIN_VALUE, storeVersion,
          session, null, null, false, false);
    }
    if (windows == null) {
      throw new IllegalArgumentException("windows");
    }
    return new Snapshot(token, refreshToken, windows[0], windows[1], windows[2], storeVersion,
        session, null, null, false, false);
  }

  /** Returns {@code true} when the token may be handed out at {@code now}. */
  boolean usableAt(long now) {
    return token != null && now < expiredAt && !closed;
  }

  /**
   * Returns {@code true} when this snapshot's token may be handed to callers that waited for a
   * refresh: a token fresh from the endpoint is, even if its leeway already began, unless a server
   * rejected it or the session is over.
   */
  boolean deliverable() {
    return token != null && !rejected && ended == null && !closed;
  }

  /** The same tokens, expired now because a server rejected the access token. */
  Snapshot markRejected() {
    // A server rejected it: a refresh is due now, whatever its exp promised.
    return new Snapshot(token, refreshToken, Long.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE,
        storeVersion, session, ended, endCause, true, closed);
  }

  /**
   * The session is over. The access token in hand stays usable until it expires (it is valid at
   * the resource server), but never turns stale: no refresh is attempted.
   */
  Snapshot end(ReauthenticationRequiredException.Reason reason, @Nullable Throwable cause) {
    return new Snapshot(token, null, expiredAt, expiredAt, refreshNotBefore, storeVersion, session,
        reason, cause, rejected, closed);
  }

  /** The same access token and windows with another refresh token, saved as {@code storeVersion}. */
  Snapshot withRefreshToken(RefreshToken refreshToken, long storeVersion) {
    return new Snapshot(token, refreshToken, staleAt, expiredAt, refreshNotBefore, storeVersion,
        session, ended, endCause, rejected, closed);
  }

  /** The same state in the next session: a sign-in has begun. */
  Snapshot nextSession() {
    return new Snapshot(token, refreshToken, staleAt, expiredAt, refreshNotBefore, storeVersion,
        session + 1, ended, endCause, rejected, closed);
  }

  Snapshot signedOut(long storeVersion) {
    return new Snapshot(null, null, Long.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE, storeVersion,
        session + 1, ReauthenticationRequiredException.Reason.SIGNED_OUT, null, false, closed);
  }

  Snapshot close() {
    return new Snapshot(token, refreshToken, Long.MIN_VALUE, Long.MIN_VALUE, refreshNotBefore,
        storeVersion, session, ended, endCause, rejected, true);
  }

  ReauthenticationRequiredException endException() {
    ReauthenticationRequiredException.Reason reason =
        ended == null ? ReauthenticationRequiredException.Reason.NO_CREDENTIALS : ended;
    return ReauthenticationRequiredException.of(reason, endCause);
  }
}
