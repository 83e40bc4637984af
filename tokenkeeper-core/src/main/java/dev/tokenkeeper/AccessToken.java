package dev.tokenkeeper;

import dev.tokenkeeper.internal.Fingerprint;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * An access token as the keeper holds it: its value, its type, when it was obtained and when it
 * expires on this machine's clock (already corrected for clock skew), and its scopes.
 *
 * <p>Immutable and thread-safe. {@link #toString()} never shows the value, only a {@linkplain
 * #fingerprint() fingerprint}. Two tokens are the same token when their values are equal.
 *
 * <p>A final class rather than a record: it keeps the {@code Authorization} header value it
 * builds once, so that {@link #authorizationHeader()}, called on every request, allocates
 * nothing. Its constructor, accessors, {@code equals}, {@code hashCode} and {@code toString} are
 * those the record had.
 */
public final class AccessToken {
  private final String value;
  private final String type;
  private final Instant obtainedAt;
  private final @Nullable Instant expiresAt;
  private final Set<String> scopes;
  /** {@code type + " " + value}, built once: every request sends it. */
  private final String authorizationHeader;

  /**
   * Validates and copies the components.
   *
   * @param value the token itself, as sent in {@code Authorization: <type> <value>}
   * @param type the token type, normally {@code "Bearer"}
   * @param obtainedAt when the request that produced this token was sent (local clock)
   * @param expiresAt when the token expires (local clock), or {@code null} when unknown: such a
   *     token is used until a request is rejected
   * @param scopes the granted scopes, empty when the server did not say
   * @throws NullPointerException if {@code value}, {@code type}, {@code obtainedAt} or {@code
   *     scopes} is null
   * @throws IllegalArgumentException if {@code value} is empty or contains a character that may not
   *     appear in an HTTP header (whitespace, control characters, non-ASCII), or if {@code expiresAt}
   *     is before {@code obtainedAt}
   */
  public AccessToken(
      String value, String type, Instant obtainedAt, @Nullable Instant expiresAt, Set<String> scopes) {
    Objects.requireNonNull(value, "value");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(obtainedAt, "obtainedAt");
    scopes = Set.copyOf(Objects.requireNonNull(scopes, "scopes"));
    checkHeaderSafe(value, "access token");
    checkHeaderSafe(type, "token type");
    if (expiresAt != null && expiresAt.isBefore(obtainedAt)) {
      throw new IllegalArgumentException("expiresAt " + expiresAt + " is before obtainedAt " + obtainedAt);
    }
    this.value = value;
    this.type = type;
    this.obtainedAt = obtainedAt;
    this.expiresAt = expiresAt;
    this.scopes = scopes;
    this.authorizationHeader = type + " " + value;
  }

  /** Returns the token itself, as sent in {@code Authorization: <type> <value>}. */
  public String value() {
    return value;
  }

  /** Returns the token type, normally {@code "Bearer"}. */
  public String type() {
    return type;
  }

  /** Returns when the request that produced this token was sent (local clock). */
  public Instant obtainedAt() {
    return obtainedAt;
  }

  /**
   * Returns when the token expires (local clock), or {@code null} when unknown: such a token is
   * used until a request is rejected.
   */
  public @Nullable Instant expiresAt() {
    return expiresAt;
  }

  /** Returns the granted scopes (an immutable set), empty when the server did not say. */
  public Set<String> scopes() {
    return scopes;
  }

  /** Returns a Bearer token with unknown expiry and no scopes, obtained at {@code obtainedAt}. */
  public static AccessToken bearer(String value, Instant obtainedAt) {
    return new AccessToken(value, "Bearer", obtainedAt, null, Set.of());
  }

  /** Returns {@code true} when the expiry of this token is known. */
  public boolean hasKnownExpiry() {
    return expiresAt != null;
  }

  /**
   * Returns the value of an {@code Authorization} header carrying this token ({@code
   * "<type> <value>"}). Built once per token: the same string every call, no allocation.
   */
  public String authorizationHeader() {
    return authorizationHeader;
  }

  /** Returns a short one-way fingerprint of the value ({@code sha256:} and 8 hex digits) for logs. */
  public String fingerprint() {
    return Fingerprint.of(value);
  }

  /** Tokens are equal when their values are equal. */
  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof AccessToken && ((AccessToken) o).value.equals(value);
  }

  @Override
  public int hashCode() {
    return value.hashCode();
  }

  /** Shows the type, fingerprint, expiry and scopes; never the value. */
  @Override
  public String toString() {
    return "AccessToken[type=" + type + ", " + fingerprint() + ", obtainedAt=" + obtainedAt
        + ", expiresAt=" + (expiresAt == null ? "unknown" : expiresAt) + ", scopes=" + scopes + "]";
  }

  static void checkHeaderSafe(String value, String what) {
    if (value.isEmpty()) {
      throw new IllegalArgumentException(what + " is empty");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        // Never echo the value: it is a secret. The position is enough to find the problem.
        throw new IllegalArgumentException(
            what + " contains a character not allowed in an HTTP header at index " + i
                + " (code " + (int) c + ")");
      }
    }
  }
}
