package dev.tokenkeeper;

import org.jspecify.annotations.Nullable;

/**
 * What a {@link TokenStore} holds for one identity, with the version that compare-and-set checks.
 *
 * <p>Immutable; {@link #toString()} shows fingerprints only.
 *
 * @param version increases by one with every write; 0 for an empty store
 * @param accessToken the current access token, or {@code null}
 * @param refreshToken the current refresh token, or {@code null}
 * @param sessionEnded why the session ended, or {@code null} while it is active. A keeper whose
 *     refresh token was refused, or that signed out, writes this so that every keeper sharing the
 *     store stops at once instead of each spending an endpoint call to learn it; a sign-in in any
 *     keeper writes a new session without it
 */
public record StoredTokens(
    long version,
    @Nullable AccessToken accessToken,
    @Nullable RefreshToken refreshToken,
    ReauthenticationRequiredException.@Nullable Reason sessionEnded) {

  /** An empty store at version 0. */
  public static final StoredTokens EMPTY = new StoredTokens(0, null, null, null);

  /** Checks the version, and that an ended session holds no refresh token. */
  public StoredTokens {
    if (version < 0) {
      throw new IllegalArgumentException("version must be >= 0: " + version);
    }
    if (sessionEnded != null && refreshToken != null) {
      throw new IllegalArgumentException("an ended session (" + sessionEnded
          + ") holds no refresh token; store null instead");
    }
  }

  /** Tokens of an active session. */
  public StoredTokens(
      long version, @Nullable AccessToken accessToken, @Nullable RefreshToken refreshToken) {
    this(version, accessToken, refreshToken, null);
  }

  /** Returns {@code true} when neither token is present. */
  public boolean isEmpty() {
    return accessToken == null && refreshToken == null;
  }

  /** Returns the next version holding the given tokens, in an active session. */
  public StoredTokens next(@Nullable AccessToken accessToken, @Nullable RefreshToken refreshToken) {
    return new StoredTokens(version + 1, accessToken, refreshToken, null);
  }

  /**
   * Returns the next version recording that the session ended: the access token is kept (it stays
   * valid at resource servers until it expires), the refresh token is dropped.
   */
  public StoredTokens ended(ReauthenticationRequiredException.Reason reason) {
    java.util.Objects.requireNonNull(reason, "reason");
    return new StoredTokens(version + 1, reason == ReauthenticationRequiredException.Reason.SIGNED_OUT
        ? null : accessToken, null, reason);
  }

  @Override
  public String toString() {
    return "StoredTokens[version=" + version
        + ", accessToken=" + (accessToken == null ? "none" : accessToken.fingerprint())
        + ", refreshToken=" + (refreshToken == null ? "none" : refreshToken.fingerprint())
        + (sessionEnded == null ? "" : ", sessionEnded=" + sessionEnded) + "]";
  }
}
