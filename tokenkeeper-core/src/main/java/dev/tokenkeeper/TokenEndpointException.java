package dev.tokenkeeper;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A token endpoint answered, but not with a token. Thrown by {@link TokenSource}s; the keeper turns
 * it into a {@link TokenRefreshException} or a {@link ReauthenticationRequiredException}.
 *
 * <p>{@linkplain #isTerminal() Terminal} failures mean the credentials were refused: an RFC 6749
 * section 5.2 error {@code invalid_grant}, {@code invalid_client}, {@code unauthorized_client},
 * {@code unsupported_grant_type} or {@code invalid_scope} (and, for {@link JsonTokenEndpoint}'s
 * custom APIs, which have no error codes, a 400 or 401). Everything else is temporary: an HTML
 * page, an empty body or other JSON with a 4xx is what a gateway or a deploy sends, not a verdict
 * on the credentials. The message holds the HTTP status and OAuth error code,
 * never a token, secret or response body.
 */
public final class TokenEndpointException extends IOException {
  private static final long serialVersionUID = 1L;

  private final boolean terminal;
  private final int statusCode;
  private final @Nullable String error;
  private final @Nullable Duration retryAfter;
  private final @Nullable Instant retryAt;

  private TokenEndpointException(String message, boolean terminal, int statusCode,
      @Nullable String error, @Nullable Duration retryAfter, @Nullable Instant retryAt,
      @Nullable Throwable cause) {
    super(message, cause);
    this.terminal = terminal;
    this.statusCode = statusCode;
    this.error = error;
    this.retryAfter = retryAfter;
    this.retryAt = retryAt;
  }

  /**
   * The endpoint refused the credentials: the session is over.
   *
   * @param statusCode the HTTP status, or 0 when there was none
   * @param error the OAuth error code ({@code invalid_grant}), or {@code null}
   * @param message what happened, without secrets
   */
  public static TokenEndpointException rejected(int statusCode, @Nullable String error, String message) {
    return new TokenEndpointException(message, true, statusCode, error, null, null, null);
  }

  /**
   * The endpoint is temporarily unable to answer (5xx, 429, {@code temporarily_unavailable}).
   *
   * @param retryAfter the server's {@code Retry-After}, or {@code null}
   */
  public static TokenEndpointException unavailable(int statusCode, @Nullable String error,
      @Nullable Duration retryAfter, String message) {
    return new TokenEndpointException(message, false, statusCode, error, retryAfter, null, null);
  }

  /**
   * The endpoint is temporarily unable to answer and named the moment to try again as an HTTP-date
   * ({@code Retry-After: Wed, 21 Oct 2026 07:28:00 GMT}) without a {@code Date} header to measure it
   * against: the keeper measures it on its own clock.
   */
  public static TokenEndpointException unavailableUntil(int statusCode, @Nullable String error,
      Instant retryAt, String message) {
    return new TokenEndpointException(message, false, statusCode, error, null,
        java.util.Objects.requireNonNull(retryAt, "retryAt"), null);
  }

  /** The endpoint answered something that is not a token response (HTML, bad JSON): temporary. */
  public static TokenEndpointException invalidResponse(int statusCode, String message,
      @Nullable Throwable cause) {
    return new TokenEndpointException(message, false, statusCode, null, null, null, cause);
  }

  /** Returns {@code true} when the credentials were refused and retrying cannot help. */
  public boolean isTerminal() {
    return terminal;
  }

  /** Returns the HTTP status of the endpoint's answer, or 0 when there was none. */
  public int statusCode() {
    return statusCode;
  }

  /** Returns the OAuth 2.0 error code from the answer, if any. */
  public Optional<String> error() {
    return Optional.ofNullable(error);
  }

  /**
   * Returns the moment the server named in an HTTP-date {@code Retry-After} that had no {@code Date}
   * header to be measured against, if any; the keeper measures it on its own clock.
   */
  public Optional<Instant> retryAt() {
    return Optional.ofNullable(retryAt);
  }

  /** Returns the server's {@code Retry-After}, if any. */
  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }
}
