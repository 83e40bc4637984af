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
 */
public record StoredTokens(
    long version, @Nullable AccessToken accessToken, @Nullable RefreshToken refreshToken) {

  /** An empty store at version 0. */
  public static final StoredTokens EMPTY = new StoredTokens(0, null, null);

  /** Checks the version. */
  public StoredTokens {
    if (version < 0) {
      throw new IllegalArgumentException("version must be >= 0: " + version);
    }
  }

  /** Returns {@code true} when neither token is present. */
  public boolean isEmpty() {
    return accessToken == null && refreshToken == null;
  }

  /** Returns the next version holding the given tokens. */
  public StoredTokens next(@Nullable AccessToken accessToken, @Nullable RefreshToken refreshToken) {
    return new StoredTokens(version + 1, accessToken, refreshToken);
  }

  @Override
  public String toString() {
    return "StoredTokens[version=" + version
        + ", accessToken=" + (accessToken == null ? "none" : accessToken.fingerprint())
        + ", refreshToken=" + (refreshToken == null ? "none" : refreshToken.fingerprint()) + "]";
  }
}
