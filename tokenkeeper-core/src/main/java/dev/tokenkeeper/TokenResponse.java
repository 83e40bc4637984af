package dev.tokenkeeper;

import dev.tokenkeeper.internal.Fingerprint;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a token endpoint answered, before the keeper turns it into an {@link AccessToken}: the raw
 * fields of an RFC 6749 section 5.1 response plus the server's {@code Date} header.
 *
 * <p>The keeper computes the expiry itself, counting {@code expiresIn} from the moment the request
 * was sent (not when the answer arrived) and correcting a JWT's {@code exp} for clock skew, so a
 * {@link TokenSource} only reports what the server said. Immutable; {@link #toString()} shows
 * fingerprints only.
 *
 * @param accessToken the access token value
 * @param tokenType the token type ({@code "Bearer"} when the server did not say)
 * @param expiresIn the lifetime the server announced, or {@code null}
 * @param refreshToken a new refresh token, or {@code null} to keep the current one
 * @param scope the granted scopes as a space-separated list, or {@code null}
 * @param serverDate the server's clock when it answered ({@code Date} header), or {@code null}
 */
public record TokenResponse(
    String accessToken,
    String tokenType,
    @Nullable Duration expiresIn,
    @Nullable String refreshToken,
    @Nullable String scope,
    @Nullable Instant serverDate) {

  /**
   * Validates the components.
   *
   * @throws IllegalArgumentException if a token is empty or not allowed in an HTTP header, or if
   *     {@code expiresIn} is negative
   */
  public TokenResponse {
    Objects.requireNonNull(accessToken, "accessToken");
    Objects.requireNonNull(tokenType, "tokenType");
    AccessToken.checkHeaderSafe(accessToken, "access token");
    AccessToken.checkHeaderSafe(tokenType, "token type");
    if (refreshToken != null) {
      AccessToken.checkHeaderSafe(refreshToken, "refresh token");
    }
    if (expiresIn != null && expiresIn.isNegative()) {
      throw new IllegalArgumentException("expiresIn is negative: " + expiresIn);
    }
  }

  /** Returns a response holding only a Bearer access token; add fields with the {@code with…} methods. */
  public static TokenResponse bearer(String accessToken) {
    return new TokenResponse(accessToken, "Bearer", null, null, null, null);
  }

  /** Returns a copy with the given lifetime. */
  public TokenResponse withExpiresIn(@Nullable Duration expiresIn) {
    return new TokenResponse(accessToken, tokenType, expiresIn, refreshToken, scope, serverDate);
  }

  /** Returns a copy with the given refresh token ({@code null}: keep the current one). */
  public TokenResponse withRefreshToken(@Nullable String refreshToken) {
    return new TokenResponse(accessToken, tokenType, expiresIn, refreshToken, scope, serverDate);
  }

  /** Returns a copy with the given space-separated scopes. */
  public TokenResponse withScope(@Nullable String scope) {
    return new TokenResponse(accessToken, tokenType, expiresIn, refreshToken, scope, serverDate);
  }

  /** Returns a copy with the server's {@code Date}, used to estimate clock skew. */
  public TokenResponse withServerDate(@Nullable Instant serverDate) {
    return new TokenResponse(accessToken, tokenType, expiresIn, refreshToken, scope, serverDate);
  }

  /** Shows fingerprints and metadata, never a token value. */
  @Override
  public String toString() {
    return "TokenResponse[accessToken=" + Fingerprint.of(accessToken) + ", tokenType=" + tokenType
        + ", expiresIn=" + expiresIn
        + ", refreshToken=" + (refreshToken == null ? "none" : Fingerprint.of(refreshToken))
        + ", scope=" + scope + ", serverDate=" + serverDate + "]";
  }
}
