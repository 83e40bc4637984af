package dev.tokenkeeper;

import dev.tokenkeeper.internal.Fingerprint;
import java.util.Objects;

/**
 * A refresh token. Immutable and thread-safe; {@link #toString()} shows only a fingerprint.
 *
 * @param value the token itself
 */
public record RefreshToken(String value) {

  /**
   * Validates the value.
   *
   * @throws IllegalArgumentException if the value is empty or holds whitespace or control
   *     characters
   */
  public RefreshToken {
    Objects.requireNonNull(value, "value");
    AccessToken.checkHeaderSafe(value, "refresh token");
  }

  /** Returns a short one-way fingerprint of the value ({@code sha256:} and 8 hex digits) for logs. */
  public String fingerprint() {
    return Fingerprint.of(value);
  }

  /** Shows the fingerprint, never the value. */
  @Override
  public String toString() {
    return "RefreshToken[" + fingerprint() + "]";
  }
}
