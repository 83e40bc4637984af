package dev.tokenkeeper;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.tokenkeeper.internal.HttpEndpoint;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A {@link TokenSource} for the custom JSON login and refresh APIs that many applications run
 * instead of OAuth 2.0, such as {@code POST /auth/refresh {"refreshToken": …}} answering {@code
 * {"accessToken": …, "refreshToken": …}}.
 *
 * <pre>{@code
 * TokenSource refresh = JsonTokenEndpoint.newBuilder(URI.create("https://api.example.com/auth/refresh"))
 *     .refreshRequestBody(refreshToken -> Map.of("refreshToken", refreshToken.value()))
 *     .accessTokenField("accessToken")
 *     .refreshTokenField("refreshToken")
 *     .build();
 * }</pre>
 *
 * <p>The refresh body function sees the current refresh token and runs only when there is one;
 * without one the call fails terminally (sign in first). Exceptions thrown by the application's
 * own body function surface as themselves (as the cause of the keeper's exception). Answers: 2xx with the configured fields is a
 * token; 400 and 401 mean the credentials were refused (terminal); 5xx, 429, other 4xx, non-JSON
 * and missing fields are temporary and retried with backoff ({@code Retry-After} honoured). The
 * access token's expiry comes from its JWT {@code exp}, or from {@link Builder#expiresInField}.
 *
 * <p>Immutable and thread-safe; calls go through its own plain {@link HttpClient} that never
 * follows redirects.
 */
public final class JsonTokenEndpoint implements TokenSource {
  private final HttpClient client;
  private final URI uri;
  private final @Nullable Function<TokenRequest, Map<String, ?>> body;
  private final @Nullable Function<RefreshToken, Map<String, ?>> refreshBody;
  private final Map<String, String> headers;
  private final String accessTokenField;
  private final @Nullable String refreshTokenField;
  private final @Nullable String expiresInField;
  private final Duration timeout;

  private JsonTokenEndpoint(Builder b, HttpClient client) {
    this.client = client;
    this.uri = b.uri;
    this.body = b.body;
    this.refreshBody = b.refreshBody;
    this.headers = Map.copyOf(b.headers);
    this.accessTokenField = b.accessTokenField;
    this.refreshTokenField = b.refreshTokenField;
    this.expiresInField = b.expiresInField;
    this.timeout = b.timeout;
  }

  /** Returns a builder for the endpoint at {@code uri}. */
  public static Builder newBuilder(URI uri) {
    return new Builder(uri);
  }

  /**
   * Posts the JSON body to the endpoint and reads the tokens from its answer.
   *
   * @throws TokenEndpointException terminal when the credentials were refused or the body needs a
   *     refresh token there is none of; temporary for 5xx, 429, non-JSON and missing fields
   */
  @Override
  public TokenResponse fetch(TokenRequest request) throws IOException, InterruptedException {
    Map<String, ?> fields;
    if (refreshBody != null) {
      RefreshToken refreshToken = request.refreshToken();
      if (refreshToken == null) {
        throw TokenEndpointException.rejected(0, null, "no refresh token to refresh with at " + this
            + "; start the session with TokenKeeper.signIn");
      }
      fields = refreshBody.apply(refreshToken); // an exception from it is the application's own
    } else {
      fields = body.apply(request);
    }
    if (fields == null) {
      throw new IllegalStateException("the requestBody function of " + this + " returned null");
    }
    HttpRequest.Builder http = HttpRequest.newBuilder(uri).timeout(timeout)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json");
    headers.forEach(http::header);
    String json = JSONObjectUtils.toJSONString(new LinkedHashMap<>(fields));
    HttpEndpoint.Answer answer = HttpEndpoint.send(client,
        http.POST(HttpRequest.BodyPublishers.ofString(json)).build(), timeout);
    if (!answer.isSuccess()) {
      // A custom API has no error codes: its 400 and 401 are the verdict on the credentials.
      throw HttpEndpoint.failure(answer, HttpEndpoint.errorJson(answer), true);
    }
    Map<String, Object> result = HttpEndpoint.json(answer);
    String access = HttpEndpoint.stringField(result, accessTokenField, answer);
    if (access == null || access.isEmpty()) {
      // Field names only, never values: the application sees what the API calls its token.
      throw TokenEndpointException.invalidResponse(answer.status(), "token endpoint " + this
          + " answered " + answer.status() + " without the field '" + accessTokenField
          + "'; fields present: " + new java.util.TreeSet<>(result.keySet()), null);
    }
    String refresh = refreshTokenField == null ? null
        : HttpEndpoint.stringField(result, refreshTokenField, answer);
    try {
      return new TokenResponse(access, "Bearer",
          expiresInField == null ? null : HttpEndpoint.secondsField(result, expiresInField, answer),
          refresh == null || refresh.isEmpty() ? null : refresh, null, answer.date());
    } catch (IllegalArgumentException e) {
      throw TokenEndpointException.invalidResponse(answer.status(), "token response rejected: " + e.getMessage(), null);
    }
  }

  /** The longest one call can take; the keeper derives its default attempt timeout from it. */
  Duration callTimeout() {
    return timeout;
  }

  @Override
  public String toString() {
    return "JsonTokenEndpoint[" + HttpEndpoint.describe(uri) + "]";
  }

  /** Builds a {@link JsonTokenEndpoint}; every setter checks its argument. Not thread-safe. */
  public static final class Builder {
    private final URI uri;
    private @Nullable Function<TokenRequest, Map<String, ?>> body;
    private @Nullable Function<RefreshToken, Map<String, ?>> refreshBody =
        refreshToken -> Map.of("refreshToken", refreshToken.value());
    private final Map<String, String> headers = new LinkedHashMap<>();
    private String accessTokenField = "accessToken";
    private @Nullable String refreshTokenField = "refreshToken";
    private @Nullable String expiresInField;
    private @Nullable HttpClient httpClient;
    private Duration timeout = Duration.ofSeconds(10);
    private boolean allowPlainHttp;

    private Builder(URI uri) {
      this.uri = Objects.requireNonNull(uri, "uri");
    }

    /**
     * The JSON object to post to a refresh API, built from the current refresh token (default
     * {@code {"refreshToken": <refresh token>}}). It is called only when there is a refresh token;
     * without one the call fails terminally ("sign in first") without a request. Values may be
     * strings, numbers, booleans, lists and maps. An exception it throws is the application's own
     * and reaches the caller as the cause, never as the endpoint's verdict.
     */
    public Builder refreshRequestBody(Function<RefreshToken, Map<String, ?>> body) {
      this.refreshBody = Objects.requireNonNull(body, "body");
      this.body = null;
      return this;
    }

    /**
     * The JSON object to post, built from the whole request, for APIs that need no refresh token
     * (a login with configured credentials) or decide themselves. Replaces {@link
     * #refreshRequestBody}. An exception it throws is the application's own and reaches the caller
     * as the cause, never as the endpoint's verdict.
     */
    public Builder requestBody(Function<TokenRequest, Map<String, ?>> body) {
      this.body = Objects.requireNonNull(body, "body");
      this.refreshBody = null;
      return this;
    }

    /** A header on every call (an API key, say). */
    public Builder header(String name, String value) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(value, "value");
      if (name.equalsIgnoreCase("Content-Type") || name.equalsIgnoreCase("Accept")) {
        throw new IllegalArgumentException(name + " is set by the endpoint: JSON");
      }
      headers.put(name, value);
      return this;
    }

    /** The answer's field holding the access token (default {@code accessToken}). */
    public Builder accessTokenField(String field) {
      this.accessTokenField = Objects.requireNonNull(field, "field");
      return this;
    }

    /** The answer's field holding a new refresh token (default {@code refreshToken}); null for none. */
    public Builder refreshTokenField(@Nullable String field) {
      this.refreshTokenField = field;
      return this;
    }

    /** The answer's field holding the lifetime in seconds (default: none; JWT {@code exp} is used). */
    public Builder expiresInField(@Nullable String field) {
      this.expiresInField = field;
      return this;
    }

    /**
     * The client to call the endpoint with (default: 5 s connect timeout, no redirects).
     *
     * @throws IllegalArgumentException if the client follows redirects
     */
    public Builder httpClient(HttpClient client) {
      this.httpClient = HttpEndpoint.checkNoRedirects(Objects.requireNonNull(client, "client"));
      return this;
    }

    /**
     * Timeout of each call, from sending the request to the last byte of the answer (default 10 s).
     * The keeper's default {@linkplain TokenKeeper.Builder#attemptTimeout attempt timeout} is this
     * plus 5 s.
     */
    public Builder timeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout must be positive: " + timeout);
      }
      this.timeout = timeout;
      return this;
    }

    /** Allows plain {@code http} to hosts other than loopback. Tokens then travel in clear text. */
    public Builder allowPlainHttp(boolean allow) {
      this.allowPlainHttp = allow;
      return this;
    }

    /**
     * Builds the source.
     *
     * @throws IllegalArgumentException for plain http to a non-loopback host, or a non-http URI
     */
    public JsonTokenEndpoint build() {
      HttpEndpoint.checkEndpoint(uri, allowPlainHttp, "token endpoint");
      return new JsonTokenEndpoint(this, httpClient != null ? httpClient : HttpEndpoint.defaultClient());
    }
  }
}
