package dev.tokenkeeper;

import dev.tokenkeeper.internal.HttpEndpoint;
import dev.tokenkeeper.internal.OAuth2Calls;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * An OAuth 2.0 token endpoint (RFC 6749), and the {@link TokenSource}s that call it: {@link
 * #clientCredentials()}, {@link #refreshTokens()}, {@link #password}, any {@link #grant}; and a
 * {@link #revoker()} (RFC 7009).
 *
 * <pre>{@code
 * OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(URI.create("https://auth.example.com/oauth2/token"))
 *     .clientId("my-service")
 *     .clientSecret(System.getenv("CLIENT_SECRET"))
 *     .scope("orders.read")
 *     .parameter("audience", "https://api.example.com")
 *     .build();
 * TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.clientCredentials()).build();
 * }</pre>
 *
 * <p>Calls go through the endpoint's own plain {@link HttpClient} (one that never follows
 * redirects, unless you give your own), never through an authenticated client. Error answers are
 * classified per RFC 6749 section 5.2: 400, 401, {@code invalid_grant}, {@code invalid_client} and
 * {@code unauthorized_client} are {@linkplain TokenEndpointException#isTerminal() terminal}; 5xx,
 * 429, other 4xx, redirects, timeouts, HTML error pages and malformed JSON are temporary and retried
 * with backoff ({@code Retry-After} honoured). A
 * success without {@code token_type} is taken as Bearer; {@code expires_in} may be a number or a
 * numeric string. A keeper with a {@link DPoP} key ({@link TokenKeeper.Builder#dpop}) sends a DPoP
 * proof with every grant and learns the endpoint's {@code DPoP-Nonce} (see {@link DPoP}).
 *
 * <p>Immutable and thread-safe. {@link #toString()} shows the URI and client id, never the secret.
 */
public final class OAuth2TokenEndpoint {
  private final OAuth2Calls calls;
  private final @Nullable String scope;
  private final Duration timeout;

  private OAuth2TokenEndpoint(OAuth2Calls calls, @Nullable String scope, Duration timeout) {
    this.calls = calls;
    this.scope = scope;
    this.timeout = timeout;
  }

  /**
   * Returns a builder for the token endpoint at {@code tokenUri}.
   *
   * @throws IllegalArgumentException if the URI is not absolute http(s)
   */
  public static Builder newBuilder(URI tokenUri) {
    return new Builder(tokenUri);
  }

  /**
   * A source that obtains every token with the {@code client_credentials} grant. It {@linkplain
   * TokenSource#usesConfiguredCredentials() uses configured credentials}: when the endpoint refuses
   * them ({@code invalid_client}), the keeper reports a {@link CredentialsRejectedException} and
   * keeps retrying with a long backoff; it never ends up in a session-expired state a service could
   * not leave.
   */
  public TokenSource clientCredentials() {
    return source(request -> calls.grant("client_credentials", withScope(Map.of()), request.dpop()), true,
        "client_credentials");
  }

  /**
   * A source that uses the {@code refresh_token} grant. When there is no refresh token it fails
   * terminally: start the session with {@link TokenKeeper#signIn} or initial tokens.
   */
  public TokenSource refreshTokens() {
    return source(this::refresh, false, "refresh_token");
  }

  /**
   * A source that logs in with the resource owner password grant when there is no refresh token,
   * and uses the {@code refresh_token} grant otherwise. The password is copied; clear your array.
   */
  public TokenSource password(String username, char[] password) {
    Objects.requireNonNull(username, "username");
    String secret = new String(Objects.requireNonNull(password, "password"));
    return source(request -> {
      if (request.refreshToken() != null) {
        return refresh(request);
      }
      Map<String, String> form = new LinkedHashMap<>();
      form.put("username", username);
      form.put("password", secret);
      return calls.grant("password", withScope(form), request.dpop());
    }, false, "password");
  }

  /**
   * A source for any other grant ({@code urn:ietf:params:oauth:grant-type:token-exchange},
   * {@code jwt-bearer}...), with the given form parameters on every call. Since every call sends
   * the same configured parameters, it {@linkplain TokenSource#usesConfiguredCredentials() uses
   * configured credentials}: a refusal is retried with a long backoff, never the end of a session.
   */
  public TokenSource grant(String grantType, Map<String, String> parameters) {
    Objects.requireNonNull(grantType, "grantType");
    Map<String, String> copy = Map.copyOf(parameters);
    return source(request -> calls.grant(grantType, withScope(copy), request.dpop()), true, grantType);
  }

  private TokenSource source(EndpointSource.Call call, boolean configuredCredentials, String grant) {
    return new EndpointSource(call, timeout, configuredCredentials,
        "OAuth2TokenEndpoint[" + calls + ", grant=" + grant + "]");
  }

  /**
   * Revokes refresh tokens at the configured revocation endpoint (RFC 7009).
   *
   * @throws IllegalStateException when no revocation endpoint was configured
   */
  public TokenRevoker revoker() {
    if (!calls.hasRevocationEndpoint()) {
      throw new IllegalStateException("no revocation endpoint: set Builder.revocationEndpoint(uri)");
    }
    return calls::revoke;
  }

  private TokenResponse refresh(TokenRequest request) throws java.io.IOException, InterruptedException {
    RefreshToken refreshToken = request.refreshToken();
    if (refreshToken == null) {
      throw TokenEndpointException.rejected(0, null,
          "no refresh token to refresh with; start the session with TokenKeeper.signIn");
    }
    return calls.grant("refresh_token", Map.of("refresh_token", refreshToken.value()), request.dpop());
  }

  private Map<String, String> withScope(Map<String, String> form) {
    if (scope == null) {
      return form;
    }
    Map<String, String> copy = new LinkedHashMap<>(form);
    copy.put("scope", scope);
    return copy;
  }

  @Override
  public String toString() {
    return "OAuth2TokenEndpoint[" + calls + "]";
  }

  /** Builds an {@link OAuth2TokenEndpoint}; every setter checks its argument. Not thread-safe. */
  public static final class Builder {
    private final URI tokenUri;
    private @Nullable URI revocationUri;
    private @Nullable String clientId;
    private @Nullable String clientSecret;
    private @Nullable ClientAuthentication authentication;
    private @Nullable String scope;
    private final Map<String, String> parameters = new LinkedHashMap<>();
    private @Nullable HttpClient httpClient;
    private Duration timeout = Duration.ofSeconds(10);
    private boolean allowPlainHttp;

    private Builder(URI tokenUri) {
      this.tokenUri = Objects.requireNonNull(tokenUri, "tokenUri");
    }

    /** The client identifier. */
    public Builder clientId(String clientId) {
      Objects.requireNonNull(clientId, "clientId");
      if (clientId.isEmpty()) {
        throw new IllegalArgumentException("clientId is empty");
      }
      this.clientId = clientId;
      return this;
    }

    /** The client secret; never logged or shown. */
    public Builder clientSecret(String clientSecret) {
      Objects.requireNonNull(clientSecret, "clientSecret");
      if (clientSecret.isEmpty()) {
        throw new IllegalArgumentException("clientSecret is empty");
      }
      this.clientSecret = clientSecret;
      return this;
    }

    /** How the client authenticates (default Basic with a secret, {@code NONE} without). */
    public Builder clientAuthentication(ClientAuthentication authentication) {
      this.authentication = Objects.requireNonNull(authentication, "authentication");
      return this;
    }

    /** Scopes to request with client_credentials, password and custom grants. */
    public Builder scope(String... scopes) {
      for (String s : scopes) {
        if (s == null || s.isBlank() || s.contains(" ")) {
          throw new IllegalArgumentException("each scope must be one non-blank word: " + Arrays.toString(scopes));
        }
      }
      this.scope = scopes.length == 0 ? null : String.join(" ", scopes);
      return this;
    }

    /** An extra form parameter on every grant, such as {@code audience} or {@code resource}. */
    public Builder parameter(String name, String value) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(value, "value");
      if (OAuth2Calls.RESERVED.contains(name)) {
        throw new IllegalArgumentException("parameter '" + name + "' is set by the grant itself");
      }
      parameters.put(name, value);
      return this;
    }

    /** The RFC 7009 revocation endpoint, for {@link #revoker()}. */
    public Builder revocationEndpoint(URI revocationUri) {
      this.revocationUri = Objects.requireNonNull(revocationUri, "revocationUri");
      return this;
    }

    /**
     * The client to call the endpoint with (default: 5 s connect timeout, no redirects). Never pass
     * a client that the keeper itself authenticates.
     *
     * @throws IllegalArgumentException if the client follows redirects
     */
    public Builder httpClient(HttpClient httpClient) {
      this.httpClient = HttpEndpoint.checkNoRedirects(Objects.requireNonNull(httpClient, "httpClient"));
      return this;
    }

    /**
     * Timeout of each endpoint call, from sending the request to the last byte of the answer
     * (default 10 s). The keeper's default {@linkplain TokenKeeper.Builder#attemptTimeout attempt
     * timeout} is this plus 5 s.
     */
    public Builder timeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout must be positive: " + timeout);
      }
      this.timeout = timeout;
      return this;
    }

    /** Allows plain {@code http} to hosts other than loopback. Credentials then travel in clear text. */
    public Builder allowPlainHttp(boolean allow) {
      this.allowPlainHttp = allow;
      return this;
    }

    /**
     * Builds the endpoint.
     *
     * @throws IllegalArgumentException for plain http to a non-loopback host, or a non-http URI
     * @throws IllegalStateException when a secret is set without a client id, or an authentication
     *     method lacks what it needs
     */
    public OAuth2TokenEndpoint build() {
      HttpEndpoint.checkEndpoint(tokenUri, allowPlainHttp, "token endpoint");
      if (revocationUri != null) {
        HttpEndpoint.checkEndpoint(revocationUri, allowPlainHttp, "revocation endpoint");
      }
      ClientAuthentication auth = authentication != null ? authentication
          : clientSecret != null ? ClientAuthentication.CLIENT_SECRET_BASIC : ClientAuthentication.NONE;
      if (clientSecret != null && clientId == null) {
        throw new IllegalStateException("a client secret needs a client id: call clientId(...)");
      }
      if (auth != ClientAuthentication.NONE && clientSecret == null) {
        throw new IllegalStateException(auth + " needs a client secret: call clientSecret(...)");
      }
      HttpClient client = httpClient != null ? httpClient : HttpEndpoint.defaultClient();
      return new OAuth2TokenEndpoint(new OAuth2Calls(client, tokenUri, revocationUri, clientId,
          clientSecret, auth, Map.copyOf(parameters), timeout), scope, timeout);
    }
  }
}
