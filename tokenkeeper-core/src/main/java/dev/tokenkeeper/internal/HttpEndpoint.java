package dev.tokenkeeper.internal;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.tokenkeeper.TokenEndpointException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * One POST to a token endpoint and the reading of its answer, shared by the OAuth 2.0 and custom
 * JSON sources: a size-capped body, status classification, {@code Date} and {@code Retry-After}.
 * Error messages carry the status, content type, size and OAuth error code, never the body.
 */
public final class HttpEndpoint {
  /** Answers larger than this are refused: no token response comes near it. */
  public static final int MAX_BODY_BYTES = 2 * 1024 * 1024;

  private HttpEndpoint() {}

  /** An answer: status, content type, body (capped) and the server's {@code Date}. */
  public record Answer(int status, @Nullable String contentType, byte[] body,
      @Nullable Instant date, @Nullable Duration retryAfter, @Nullable Instant retryAt) {

    /** An answer whose {@code Retry-After}, if any, was a number of seconds or measured against {@code Date}. */
    public Answer(int status, @Nullable String contentType, byte[] body, @Nullable Instant date,
        @Nullable Duration retryAfter) {
      this(status, contentType, body, date, retryAfter, null);
    }

    public boolean isSuccess() {
      return status >= 200 && status < 300;
    }

    String describe() {
      return "HTTP " + status + " (" + (contentType == null ? "no content type" : contentType)
          + ", " + body.length + " bytes)";
    }
  }

  /**
   * Checks that {@code client} does not follow redirects by itself: a 307 or 308 would re-send the
   * form, with its refresh token or client secret, to wherever the {@code Location} points.
   */
  public static HttpClient checkNoRedirects(HttpClient client) {
    if (client.followRedirects() != HttpClient.Redirect.NEVER) {
      throw new IllegalArgumentException("the token endpoint's HttpClient follows redirects ("
          + client.followRedirects() + "): credentials could be re-sent to another host."
          + " Build it with followRedirects(HttpClient.Redirect.NEVER).");
    }
    return client;
  }

  /** A client that never follows redirects: credentials must not be re-sent to another origin. */
  public static HttpClient defaultClient() {
    return HttpClient.newBuilder()
        .connectTimeout(Duration.ofSeconds(5))
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
  }

  /** {@link #defaultClient()} with {@code sslContext}: a TLS client identity (RFC 8705) or private trust. */
  public static HttpClient defaultClient(javax.net.ssl.SSLContext sslContext) {
    return HttpClient.newBuilder()
        .connectTimeout(Duration.ofSeconds(5))
        .followRedirects(HttpClient.Redirect.NEVER)
        .sslContext(sslContext)
        .build();
  }

  /**
   * Checks that {@code uri} is an absolute http(s) URI, and refuses plain http to anything but
   * loopback unless {@code allowPlainHttp}: credentials would cross the network in clear text.
   */
  public static URI checkEndpoint(URI uri, boolean allowPlainHttp, String what) {
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("https") && !scheme.equals("http") || uri.getHost() == null) {
      throw new IllegalArgumentException(what + " must be an absolute http or https URI: " + uri);
    }
    if (scheme.equals("http") && !allowPlainHttp && !isLoopback(uri.getHost())) {
      throw new IllegalArgumentException(what + " " + uri + " uses plain http to a host that is not"
          + " loopback: credentials would travel in clear text. Use https, or allowPlainHttp(true).");
    }
    return uri;
  }

  /** Returns true for localhost, 127.0.0.0/8 and ::1, without a DNS lookup. */
  public static boolean isLoopback(String host) {
    String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    if (h.equalsIgnoreCase("localhost")) {
      return true;
    }
    if (!h.matches("[0-9.]+") && !h.contains(":")) {
      return false; // a name: never resolve it here, DNS could say anything
    }
    try {
      return InetAddress.getByName(h).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /**
   * Sends {@code request} and reads the answer, at most {@link #MAX_BODY_BYTES}, all within {@code
   * timeout}: the request's own timeout covers only the wait for the headers, and an endpoint that
   * sends its headers and then stalls in the middle of the body would otherwise hold the caller
   * forever.
   *
   * @throws java.net.http.HttpTimeoutException when the whole answer did not arrive within {@code timeout}
   */
  public static Answer send(HttpClient client, HttpRequest request, Duration timeout)
      throws IOException, InterruptedException {
    return send(client, request, timeout, null);
  }

  /** As {@link #send(HttpClient, HttpRequest, Duration)}, handing the answer's headers to {@code onHeaders}. */
  public static Answer send(HttpClient client, HttpRequest request, Duration timeout,
      java.util.function.@Nullable Consumer<java.net.http.HttpHeaders> onHeaders)
      throws IOException, InterruptedException {
    // The answer is awaited on the body subscriber's own future, completed on the client's
    // threads: the future sendAsync returns hands its completion to CompletableFuture's default
    // pool, and on JDK 25 that is the common pool, with one worker on 2 cores. An application
    // blocking that worker would otherwise hold every refresh until the timeout.
    Exchange exchange = new Exchange(client, request);
    CappedBody body = exchange.body;
    CompletableFuture<HttpResponse<byte[]>> call = exchange.call;
    byte[] bytes;
    try {
      // Whichever ends first: the body (success), or the call (a failure before any body).
      CompletableFuture.anyOf(body.result, call).get(Durations.millis(timeout), TimeUnit.MILLISECONDS);
      bytes = body.result.isDone() ? body.result.get() : call.get().body();
    } catch (TimeoutException e) {
      call.cancel(true); // aborts the exchange and closes its connection
      throw new Failures.EndpointTimeoutException("token endpoint " + describe(request.uri())
          + " did not send its whole answer within " + timeout.toMillis() + " ms");
    } catch (InterruptedException e) {
      call.cancel(true);
      throw e;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException) {
        throw (IOException) cause;
      }
      if (cause instanceof RuntimeException) {
        throw (RuntimeException) cause;
      }
      throw new IOException(cause.getClass().getName(), cause);
    }
    return answer(request, exchange.head, bytes, onHeaders);
  }

  /**
   * As {@link #send(HttpClient, HttpRequest, Duration)}, without blocking: the request is handed to
   * {@code client} on the calling thread, and the future completes on the client's threads (or on
   * {@link CompletableFuture}'s delay thread at the timeout) with the answer, or with the failure
   * {@code send} would throw ({@link Failures.EndpointTimeoutException} at {@code timeout}, an {@link
   * IOException}, a {@link TokenEndpointException}). Dependent stages must not block.
   */
  public static CompletableFuture<Answer> sendAsync(HttpClient client, HttpRequest request, Duration timeout) {
    Exchange exchange = new Exchange(client, request);
    CappedBody body = exchange.body;
    CompletableFuture<HttpResponse<byte[]>> call = exchange.call;
    CompletableFuture<Answer> answer = new CompletableFuture<>();
    // Whichever ends first: the body (success), or the call (a failure before any body).
    CompletableFuture.anyOf(body.result, call)
        .orTimeout(Durations.millis(timeout), TimeUnit.MILLISECONDS)
        .whenComplete((ignored, failure) -> {
          if (failure != null) {
            Throwable cause = failure instanceof java.util.concurrent.CompletionException
                && failure.getCause() != null ? failure.getCause() : failure;
            if (cause instanceof TimeoutException) {
              call.cancel(true); // aborts the exchange and closes its connection
              cause = new Failures.EndpointTimeoutException("token endpoint " + describe(request.uri())
                  + " did not send its whole answer within " + timeout.toMillis() + " ms");
            } else if (!(cause instanceof IOException) && !(cause instanceof RuntimeException)
                && !(cause instanceof Error)) {
              cause = new IOException(cause.getClass().getName(), cause);
            }
            answer.completeExceptionally(cause);
            return;
          }
          try {
            byte[] bytes = body.result.isDone() ? body.result.join() : call.join().body();
            answer.complete(answer(request, exchange.head, bytes, null));
          } catch (Throwable t) {
            answer.completeExceptionally(t);
          }
        });
    return answer;
  }

  /** One exchange: the request handed to the client, its answer's head and capped body to come. */
  private static final class Exchange {
    final CappedBody body = new CappedBody(MAX_BODY_BYTES);
    volatile HttpResponse.@Nullable ResponseInfo head;
    final CompletableFuture<HttpResponse<byte[]>> call;

    Exchange(HttpClient client, HttpRequest request) {
      call = client.sendAsync(request, info -> {
        head = info;
        return body;
      });
    }
  }

  private static Answer answer(HttpRequest request, HttpResponse.@Nullable ResponseInfo info, byte[] bytes,
      java.util.function.@Nullable Consumer<java.net.http.HttpHeaders> onHeaders) throws IOException {
    if (info == null) {
      throw new IOException("token endpoint " + describe(request.uri()) + " answered without a status line");
    }
    int status = info.statusCode();
    java.net.http.HttpHeaders headers = info.headers();
    if (onHeaders != null) {
      onHeaders.accept(headers);
    }
    String contentType = headers.firstValue("Content-Type").orElse(null);
    if (bytes.length > MAX_BODY_BYTES) {
      throw TokenEndpointException.invalidResponse(status, "token endpoint answered HTTP " + status
          + " with a body over " + MAX_BODY_BYTES + " bytes", null);
    }
    Instant date = headers.firstValue("Date").map(HttpEndpoint::parseDate).orElse(null);
    Duration retryAfter = null;
    Instant retryAt = null;
    String header = headers.firstValue("Retry-After").orElse(null);
    if (header != null) {
      retryAfter = parseRetryAfter(header, date);
      if (retryAfter == null && date == null) {
        retryAt = parseDate(header.trim()); // an HTTP-date with nothing to measure it against here
      }
    }
    return new Answer(status, contentType, bytes, date, retryAfter, retryAt);
  }

  /** Scheme, host, port and path of {@code uri}: never its query, which may carry secrets. */
  public static String describe(URI uri) {
    return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort())
        + (uri.getRawPath() == null ? "" : uri.getRawPath());
  }

  /** Collects a body up to {@code max + 1} bytes, then cancels: an over-long answer is refused anyway. */
  private static final class CappedBody implements HttpResponse.BodySubscriber<byte[]> {
    private final int max;
    private final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private Flow.@Nullable Subscription subscription;

    CappedBody(int max) {
      this.max = max;
    }

    @Override
    public CompletionStage<byte[]> getBody() {
      return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> buffers) {
      if (result.isDone()) {
        return;
      }
      for (ByteBuffer b : buffers) {
        byte[] chunk = new byte[b.remaining()];
        b.get(chunk);
        out.write(chunk, 0, chunk.length);
      }
      if (out.size() > max) {
        result.complete(out.toByteArray());
        Flow.Subscription s = subscription;
        if (s != null) {
          s.cancel();
        }
      }
    }

    @Override
    public void onError(Throwable failure) {
      result.completeExceptionally(failure);
    }

    @Override
    public void onComplete() {
      result.complete(out.toByteArray());
    }
  }

  /** Parses a JSON object body, or throws a temporary error naming status and content type. */
  public static Map<String, Object> json(Answer answer) throws TokenEndpointException {
    String type = answer.contentType() == null ? "" : answer.contentType().toLowerCase(Locale.ROOT);
    if (!type.isEmpty() && !type.contains("json")) {
      throw TokenEndpointException.invalidResponse(answer.status(),
          "token endpoint answered " + answer.describe() + ", not JSON", null);
    }
    try {
      return JSONObjectUtils.parse(new String(answer.body(), StandardCharsets.UTF_8));
    } catch (java.text.ParseException | RuntimeException e) {
      // The parser's message can quote the body (and so a token): keep it out of ours and of the cause.
      throw TokenEndpointException.invalidResponse(answer.status(),
          "token endpoint answered " + answer.describe() + " that is not a JSON object", null);
    }
  }

  /** OAuth 2.0 error codes (RFC 6749 5.2) that mean the credentials or grant were refused. */
  private static final java.util.Set<String> REFUSALS = java.util.Set.of("invalid_grant",
      "invalid_client", "unauthorized_client", "unsupported_grant_type", "invalid_scope");

  /**
   * Classifies an OAuth 2.0 endpoint's answer that is not a success. Terminal (the credentials were
   * refused): an answer whose JSON body names {@code invalid_grant}, {@code invalid_client}, {@code
   * unauthorized_client}, {@code unsupported_grant_type} or {@code invalid_scope}, whatever the
   * status. Everything else is temporary: 5xx, 408, 429 and {@code temporarily_unavailable} honour
   * {@code Retry-After}; a 4xx without such an error (an HTML page from a gateway, an empty body,
   * other JSON), a 404 or 405 during a deploy and a redirect are retried with backoff rather than
   * logging every client out.
   */
  public static TokenEndpointException failure(Answer answer, @Nullable Map<String, Object> json) {
    return failure(answer, json, false);
  }

  /**
   * Classifies an answer that is not a success, as {@link #failure(Answer, Map)}; with {@code
   * statusIsVerdict} (custom JSON APIs, which have no error codes) a 400 or 401 is a refusal too.
   */
  public static TokenEndpointException failure(Answer answer, @Nullable Map<String, Object> json,
      boolean statusIsVerdict) {
    int status = answer.status();
    String error = json == null ? null : safeErrorCode(json.get("error"));
    String what = "token endpoint answered " + answer.describe() + (error == null ? "" : " error=" + error);
    boolean temporaryError = "temporarily_unavailable".equals(error) || "slow_down".equals(error);
    boolean refusal = error != null && REFUSALS.contains(error)
        || statusIsVerdict && (status == 400 || status == 401);
    if (!temporaryError && refusal) {
      return TokenEndpointException.rejected(status, error, what);
    }
    if (status >= 300 && status < 400) {
      what += ": a redirect; configure the endpoint's final URI (credentials are never re-sent)";
      return TokenEndpointException.unavailable(status, error, null, what);
    }
    if (status >= 400) {
      if (answer.retryAt() != null) {
        return TokenEndpointException.unavailableUntil(status, error, answer.retryAt(), what);
      }
      return TokenEndpointException.unavailable(status, error, answer.retryAfter(), what);
    }
    return TokenEndpointException.invalidResponse(status, what, null);
  }

  /** Reads the body as a JSON error if it is one; null otherwise. */
  public static @Nullable Map<String, Object> errorJson(Answer answer) {
    try {
      return json(answer);
    } catch (TokenEndpointException e) {
      return null;
    }
  }

  /** The RFC 6749 error code if it is made of the characters the RFC allows (and short), else null. */
  static @Nullable String safeErrorCode(@Nullable Object value) {
    if (!(value instanceof String)) {
      return null;
    }
    String code = (String) value;
    return code.length() <= 64 && code.matches("[\\x20-\\x21\\x23-\\x5B\\x5D-\\x7E]+") ? code : null;
  }

  /** A string field, or null when absent; a temporary error when present but not a string. */
  public static @Nullable String stringField(Map<String, Object> json, String field, Answer answer)
      throws TokenEndpointException {
    Object value = json.get(field);
    if (value == null) {
      return null;
    }
    if (!(value instanceof String)) {
      throw TokenEndpointException.invalidResponse(answer.status(),
          "token response field '" + field + "' is not a string", null);
    }
    return (String) value;
  }

  /**
   * A lifetime in seconds: a JSON number or a numeric string (some servers send {@code "3600"}), or
   * null when the field is absent. A negative, non-numeric or absurd value is a malformed answer (a
   * temporary failure), never an unknown lifetime: a token read as "expiry unknown" would be used
   * until some server rejected it.
   */
  public static @Nullable Duration secondsField(Map<String, Object> json, String field, Answer answer)
      throws TokenEndpointException {
    Object value = json.get(field);
    if (value == null) {
      return null;
    }
    double seconds;
    if (value instanceof Number) {
      seconds = ((Number) value).doubleValue();
    } else if (value instanceof String && ((String) value).trim().matches("\\d{1,12}(\\.\\d+)?")) {
      seconds = Double.parseDouble(((String) value).trim());
    } else {
      throw TokenEndpointException.invalidResponse(answer.status(),
          "token response field '" + field + "' is not a number of seconds", null);
    }
    if (!(seconds >= 0)) {
      throw TokenEndpointException.invalidResponse(answer.status(),
          "token response field '" + field + "' is negative", null);
    }
    if (seconds > Expiry.MAX_LIFETIME.getSeconds()) {
      return null; // a century or more: as good as unknown, and it would overflow
    }
    return Duration.ofMillis((long) (seconds * 1000));
  }

  static @Nullable Instant parseDate(String value) {
    try {
      return ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /**
   * {@code Retry-After}: delta-seconds, or an HTTP-date counted from the server's {@code Date}; null
   * when it is neither, or a date with no {@code Date} to count from (the keeper then counts it on
   * its own clock, see {@link Answer#retryAt()}).
   */
  static @Nullable Duration parseRetryAfter(String value, @Nullable Instant serverNow) {
    String v = value.trim();
    if (v.matches("\\d{1,9}")) {
      return Duration.ofSeconds(Long.parseLong(v));
    }
    Instant at = parseDate(v);
    if (at == null || serverNow == null) {
      return null;
    }
    Duration d = Duration.between(serverNow, at);
    return d.isNegative() ? Duration.ZERO : d;
  }
}
