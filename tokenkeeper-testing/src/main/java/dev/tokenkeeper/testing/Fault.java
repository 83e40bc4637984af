package dev.tokenkeeper.testing;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;

/**
 * One scripted misbehaviour of the {@link ScriptedTokenServer} token endpoint, applied to a single
 * token request.
 *
 * <p>Hand faults to {@link ScriptedTokenServer#enqueue(Fault...)}: each incoming token request
 * consumes the next one, in order. {@link #delay(Duration)} and {@link #hold(CountDownLatch)} wait
 * and then serve the request normally, {@link #holdResponse(CountDownLatch)} serves it and then
 * waits before answering, {@link #omitRefreshToken()} serves it normally without a
 * refresh token, and every other fault answers in place of the server without looking at the
 * request, so a faulted call never consumes or rotates a refresh token.
 *
 * <p>Instances are immutable and thread-safe. {@link #toString()} names the fault but never shows
 * a scripted body.
 */
public final class Fault {

  /** What the fault does; the server switches on it. */
  enum Kind {
    DELAY,
    HOLD,
    HOLD_RESPONSE,
    STATUS,
    RETRY_AFTER,
    MALFORMED_JSON,
    HTML,
    EMPTY_BODY,
    JSON,
    DROP_CONNECTION,
    RESET_MID_RESPONSE,
    STALL_MID_BODY,
    OAUTH_ERROR,
    OMIT_REFRESH_TOKEN
  }

  private final Kind kind;
  private final int status;
  private final @Nullable Duration duration;
  private final @Nullable CountDownLatch release;
  private final @Nullable String text;
  private final String description;

  private Fault(
      Kind kind,
      int status,
      @Nullable Duration duration,
      @Nullable CountDownLatch release,
      @Nullable String text,
      String description) {
    this.kind = kind;
    this.status = status;
    this.duration = duration;
    this.release = release;
    this.text = text;
    this.description = description;
  }

  /**
   * Waits {@code delay} of real time, then serves the request normally.
   *
   * <p>The wait is interruptible, and {@link ScriptedTokenServer#close()} ends it by dropping the
   * connection.
   *
   * @throws IllegalArgumentException if {@code delay} is negative
   */
  public static Fault delay(Duration delay) {
    requireNonNull(delay, "delay");
    if (delay.isNegative()) {
      throw new IllegalArgumentException("delay must not be negative, was " + delay);
    }
    return new Fault(Kind.DELAY, 0, delay, null, null, "delay(" + delay + ")");
  }

  /**
   * Blocks the request until {@code release} reaches zero, then serves it normally.
   *
   * <p>Use {@link ScriptedTokenServer#awaitTokenRequests(int, Duration)} to learn that the request
   * has arrived and is being held. {@link ScriptedTokenServer#close()} ends a held request by
   * dropping its connection; the latch is left untouched.
   */
  public static Fault hold(CountDownLatch release) {
    requireNonNull(release, "release");
    return new Fault(Kind.HOLD, 0, null, release, null, "hold");
  }

  /**
   * Serves the request at once — a presented refresh token is rotated, a token issued and counted
   * — then withholds the answer until {@code release} reaches zero. The server has moved on while
   * the client still waits: kill the client now and its rotation is lost with it, as when a
   * process dies after the server rotated its refresh token and before it saved the new one.
   *
   * <p>{@link ScriptedTokenServer#issuedAccessTokens()} tells when the request has been served and
   * its answer is being held. {@link ScriptedTokenServer#close()} ends a held answer by dropping
   * its connection; the latch is left untouched.
   */
  public static Fault holdResponse(CountDownLatch release) {
    requireNonNull(release, "release");
    return new Fault(Kind.HOLD_RESPONSE, 0, null, release, null, "holdResponse");
  }

  /**
   * Answers with status {@code code} and a small OAuth error body ({@code temporarily_unavailable}
   * for 503, {@code server_error} otherwise).
   *
   * @throws IllegalArgumentException if {@code code} is not between 200 and 599
   */
  public static Fault status(int code) {
    return new Fault(Kind.STATUS, checkStatus(code), null, null, null, "status(" + code + ")");
  }

  /**
   * Answers with status {@code code} (typically 429 or 503) and {@code Retry-After: <seconds>},
   * the delay rounded up to whole seconds.
   *
   * @throws IllegalArgumentException if {@code code} is not between 200 and 599 or {@code
   *     retryAfter} is negative
   */
  public static Fault retryAfter(int code, Duration retryAfter) {
    requireNonNull(retryAfter, "retryAfter");
    if (retryAfter.isNegative()) {
      throw new IllegalArgumentException("retryAfter must not be negative, was " + retryAfter);
    }
    return new Fault(
        Kind.RETRY_AFTER,
        checkStatus(code),
        retryAfter,
        null,
        null,
        "retryAfter(" + code + ", " + retryAfter + ")");
  }

  /**
   * Answers 200 {@code application/json} with a truncated body, <code>&#123;"access_token":
   * "abc"</code>, that no JSON parser accepts.
   */
  public static Fault malformedJson() {
    return new Fault(Kind.MALFORMED_JSON, 200, null, null, null, "malformedJson");
  }

  /**
   * Answers with status {@code code} and an HTML error page, as a proxy or load balancer would.
   *
   * @throws IllegalArgumentException if {@code code} is not between 200 and 599
   */
  public static Fault html(int code) {
    return new Fault(Kind.HTML, checkStatus(code), null, null, null, "html(" + code + ")");
  }

  /**
   * Answers with status {@code code}, {@code Content-Type: application/json} and no body at all.
   *
   * @throws IllegalArgumentException if {@code code} is not between 200 and 599
   */
  public static Fault emptyBody(int code) {
    return new Fault(
        Kind.EMPTY_BODY, checkStatus(code), null, null, null, "emptyBody(" + code + ")");
  }

  /**
   * Answers with status {@code code} and {@code body} verbatim as {@code application/json}, for
   * example a 200 without {@code access_token}.
   *
   * @throws IllegalArgumentException if {@code code} is not between 200 and 599
   */
  public static Fault json(int code, String body) {
    requireNonNull(body, "body");
    return new Fault(Kind.JSON, checkStatus(code), null, null, body, "json(" + code + ")");
  }

  /**
   * Closes the connection without sending any response; a {@code java.net.http.HttpClient} caller
   * sees an {@link java.io.IOException}.
   */
  public static Fault dropConnection() {
    return new Fault(Kind.DROP_CONNECTION, 0, null, null, null, "dropConnection");
  }

  /**
   * Answers 200 with headers that announce a full token response, sends part of the body, and
   * closes the connection: a connection reset mid-response. The client sees an {@code
   * IOException} after the headers arrived.
   */
  public static Fault resetMidResponse() {
    return new Fault(Kind.RESET_MID_RESPONSE, 200, null, null, null, "resetMidResponse");
  }

  /**
   * Sends the headers of a 200 answer and the start of its body, then nothing more: the connection
   * stays open until the client gives up and closes it (or the server is closed). A client whose
   * timeout covers only the headers waits forever.
   */
  public static Fault stallMidBody() {
    return new Fault(Kind.STALL_MID_BODY, 200, null, null, null, "stallMidBody");
  }

  /**
   * Answers with status {@code code} and the OAuth error body {@code {"error": error}} (RFC 6749
   * section 5.2); a 401 also carries {@code WWW-Authenticate}.
   *
   * @throws IllegalArgumentException if {@code code} is not between 200 and 599 or {@code error}
   *     is blank
   */
  public static Fault oauthError(int code, String error) {
    requireNonNull(error, "error");
    if (error.isBlank()) {
      throw new IllegalArgumentException("error must be an OAuth error code such as invalid_grant");
    }
    return new Fault(
        Kind.OAUTH_ERROR,
        checkStatus(code),
        null,
        null,
        error,
        "oauthError(" + code + ", " + error + ")");
  }

  /** Answers 400 {@code invalid_grant}, as when the authorization server revoked the grant. */
  public static Fault invalidGrant() {
    return oauthError(400, "invalid_grant");
  }

  /** Answers 401 {@code invalid_client}, as when the client's secret was rotated. */
  public static Fault invalidClient() {
    return oauthError(401, "invalid_client");
  }

  /**
   * Serves the request normally but sends no refresh token; a presented refresh token is neither
   * rotated nor retired, so it stays valid.
   */
  public static Fault omitRefreshToken() {
    return new Fault(Kind.OMIT_REFRESH_TOKEN, 0, null, null, null, "omitRefreshToken");
  }

  Kind kind() {
    return kind;
  }

  int status() {
    return status;
  }

  Duration duration() {
    return requireNonNull(duration, "duration");
  }

  CountDownLatch release() {
    return requireNonNull(release, "release");
  }

  String text() {
    return requireNonNull(text, "text");
  }

  /** Returns the factory call that made this fault, without any scripted body. */
  @Override
  public String toString() {
    return "Fault." + description;
  }

  private static int checkStatus(int code) {
    if (code < 200 || code > 599) {
      throw new IllegalArgumentException("HTTP status must be between 200 and 599, was " + code);
    }
    return code;
  }
}
