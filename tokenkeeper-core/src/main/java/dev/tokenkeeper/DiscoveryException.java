package dev.tokenkeeper;

import java.io.IOException;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The authorization server's metadata (RFC 8414 / OpenID Connect Discovery) could not be used.
 * Thrown by {@link OAuth2TokenEndpoint#metadata()}, and by the token sources and the revoker of an
 * endpoint built with {@link OAuth2TokenEndpoint#forIssuer}: the keeper treats it as a temporary
 * failure (an I/O error) and tries again with backoff, fetching the metadata again.
 *
 * <p>The message names the issuer and the metadata URL, never a token or secret; {@link #reason()}
 * says what went wrong.
 */
public final class DiscoveryException extends IOException {
  private static final long serialVersionUID = 1L;

  /** Why the metadata could not be used. */
  public enum Reason {
    /** No metadata document could be fetched: connection refused, timeout, or an HTTP error status. */
    UNREACHABLE,
    /** The document is not a JSON object. */
    NOT_JSON,
    /** The document has no {@code token_endpoint}, or one that is not an absolute URI. */
    MISSING_TOKEN_ENDPOINT,
    /** Another field the client reads is of the wrong type or not an absolute URI. */
    INVALID_FIELD,
    /** The document's {@code issuer} is not the configured issuer, character for character. */
    ISSUER_MISMATCH,
    /** An endpoint in the document uses plain {@code http} to a host that is not loopback. */
    PLAIN_HTTP
  }

  private final Reason reason;

  private DiscoveryException(Reason reason, String message, @Nullable Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  /**
   * Creates an exception.
   *
   * @param reason what went wrong
   * @param message what happened, without secrets
   * @param cause the underlying failure, or null
   */
  public static DiscoveryException of(Reason reason, String message, @Nullable Throwable cause) {
    return new DiscoveryException(Objects.requireNonNull(reason, "reason"),
        Objects.requireNonNull(message, "message"), cause);
  }

  /** Returns why the metadata could not be used. */
  public Reason reason() {
    return reason;
  }
}
