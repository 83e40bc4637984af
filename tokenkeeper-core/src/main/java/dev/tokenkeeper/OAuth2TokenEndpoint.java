package dev.tokenkeeper;

import dev.tokenkeeper.internal.ClientAssertions;
import dev.tokenkeeper.internal.Discovery;
import dev.tokenkeeper.internal.HttpEndpoint;
import dev.tokenkeeper.internal.OAuth2Calls;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import javax.net.ssl.SSLContext;
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
 * <p>Or from the issuer alone, with the endpoints read from its metadata (RFC 8414 / OpenID
 * Connect Discovery) on the first call:
 *
 * <pre>{@code
 * OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.forIssuer(URI.create("https://auth.example.com"))
 *     .clientId("my-service")
 *     .clientSecret(System.getenv("CLIENT_SECRET"))
 *     .build();
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
  private final @Nullable Discovery discovery;
  private final @Nullable String scope;
  private final Duration timeout;

  private OAuth2TokenEndpoint(OAuth2Calls calls, @Nullable Discovery discovery,
      @Nullable String scope, Duration timeout) {
    this.calls = calls;
    this.discovery = discovery;
    this.scope = scope;
    this.timeout = timeout;
  }

  /**
   * Returns a builder for the token endpoint at {@code tokenUri}.
   *
   * @throws IllegalArgumentException if the URI is not absolute http(s)
   */
  public static Builder newBuilder(URI tokenUri) {
    return new Builder(Objects.requireNonNull(tokenUri, "tokenUri"), null);
  }

  /**
   * Returns a builder for the authorization server identified by {@code issuer}: the token and
   * revocation endpoints come from its metadata, fetched on the first call from {@code
   * /.well-known/oauth-authorization-server} (RFC 8414, inserted before the issuer's path), else
   * {@code /.well-known/openid-configuration} (OpenID Connect Discovery, appended to it). Nothing is
   * fetched by {@link Builder#build()}: a server that is down at startup delays the first token,
   * it does not stop the application.
   *
   * <p>The metadata's {@code issuer} must equal {@code issuer} character for character (RFC 8414
   * section 3.3: the defence against mix-up attacks), or every call fails with a {@link
   * DiscoveryException} ({@link DiscoveryException.Reason#ISSUER_MISMATCH}) that names both. The
   * metadata is cached for the life of the endpoint and fetched again after a call to one of its
   * endpoints fails without a connection, with 404 or with 410; each fetch is bounded by {@link
   * Builder#timeout}.
   *
   * @param issuer the issuer identifier, exactly as the server names it (mind a trailing slash)
   * @throws IllegalArgumentException if the URI is not absolute http(s), or has a query or fragment
   */
  public static Builder forIssuer(URI issuer) {
    Objects.requireNonNull(issuer, "issuer");
    if (issuer.getRawQuery() != null || issuer.getRawFragment() != null) {
      throw new IllegalArgumentException("an issuer has no query or fragment (RFC 8414 section 2): "
          + HttpEndpoint.describe(issuer));
    }
    return new Builder(null, issuer);
  }

  /**
   * Returns the authorization server's metadata, fetching it if it is not cached (an endpoint built
   * with {@link #forIssuer}). Thread-safe; concurrent callers share one fetch.
   *
   * @throws DiscoveryException when the metadata cannot be fetched or used; {@link
   *     DiscoveryException#reason()} says why
   * @throws IOException never other than a {@link DiscoveryException}
   * @throws InterruptedException if the thread is interrupted while it waits
   * @throws IllegalStateException when the endpoint was built with {@link #newBuilder(URI)}
   */
  public AuthorizationServerMetadata metadata() throws IOException, InterruptedException {
    if (discovery == null) {
      throw new IllegalStateException("this endpoint was configured with its token URI, not an issuer:"
          + " build it with OAuth2TokenEndpoint.forIssuer(issuer) to read the metadata");
    }
    return discovery.metadata();
  }

  /**
   * A source that obtains every token with the {@code client_credentials} grant. It {@linkplain
   * TokenSource#usesConfiguredCredentials() uses configured credentials}: when the endpoint refuses
   * them ({@code invalid_client}), the keeper reports a {@link CredentialsRejectedException} and
   * keeps retrying with a long backoff; it never ends up in a session-expired state a service could
   * not leave.
   */
  public TokenSource clientCredentials() {
    return source(request -> calls.grant("client_credentials", withScope(Map.of()), request.dpop()),
        request -> calls.grantAsync("client_credentials", withScope(Map.of()), request.dpop()), true,
        "client_credentials");
  }

  /**
   * A source that uses the {@code refresh_token} grant. When there is no refresh token it fails
   * terminally: start the session with {@link TokenKeeper#signIn} or initial tokens.
   */
  public TokenSource refreshTokens() {
    return source(this::refresh, this::refreshAsync, false, "refresh_token");
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
    return source(request -> calls.grant(grantType, withScope(copy), request.dpop()),
        request -> calls.grantAsync(grantType, withScope(copy), request.dpop()), true, grantType);
  }

  private TokenSource source(EndpointSource.Call call, boolean configuredCredentials, String grant) {
    return source(call, request -> null, configuredCredentials, grant);
  }

  private TokenSource source(EndpointSource.Call call, EndpointSource.AsyncCall asyncCall,
      boolean configuredCredentials, String grant) {
    // With discovery a call may fetch the metadata first, each bounded by the timeout.
    Duration longest = discovery == null ? timeout : timeout.multipliedBy(2);
    return new EndpointSource(call, asyncCall, longest, configuredCredentials,
        "OAuth2TokenEndpoint[" + calls + ", grant=" + grant + "]");
  }

  /**
   * Revokes refresh tokens at the configured revocation endpoint (RFC 7009).
   *
   * @throws IllegalStateException when no revocation endpoint was configured
   */
  public TokenRevoker revoker() {
    // With discovery, revoke() itself fails with IllegalStateException when the metadata names none.
    if (!calls.hasRevocationEndpoint()) {
      throw new IllegalStateException("no revocation endpoint: set Builder.revocationEndpoint(uri)");
    }
    return calls::revoke;
  }

  private java.util.concurrent.@Nullable CompletableFuture<TokenResponse> refreshAsync(TokenRequest request) {
    RefreshToken refreshToken = request.refreshToken();
    return refreshToken == null ? null // refresh() fails it, on the executor
        : calls.grantAsync("refresh_token", Map.of("refresh_token", refreshToken.value()), request.dpop());
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
    private final @Nullable URI tokenUri;
    private final @Nullable URI issuer;
    private @Nullable URI revocationUri;
    private @Nullable String clientId;
    private @Nullable String clientSecret;
    private @Nullable ClientAuthentication authentication;
    private @Nullable ClientAssertionKey assertionKey;
    private @Nullable String assertionAudience;
    private Duration assertionLifetime = Duration.ofSeconds(60);
    private @Nullable SSLContext sslContext;
    private @Nullable String scope;
    private final Map<String, String> parameters = new LinkedHashMap<>();
    private @Nullable HttpClient httpClient;
    private Duration timeout = Duration.ofSeconds(10);
    private boolean allowPlainHttp;

    private Builder(@Nullable URI tokenUri, @Nullable URI issuer) {
      this.tokenUri = tokenUri;
      this.issuer = issuer;
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

    /**
     * How the client authenticates: default {@code CLIENT_SECRET_BASIC} with a secret, {@code
     * PRIVATE_KEY_JWT} with {@link #privateKeyJwt}, {@code NONE} without either. {@link #build()}
     * checks that the method has what it needs: a secret for the {@code CLIENT_SECRET_*} methods
     * (32 bytes or more for {@code CLIENT_SECRET_JWT}), a key for {@code PRIVATE_KEY_JWT}, an
     * {@link #sslContext} or {@link #httpClient} for the TLS methods.
     */
    public Builder clientAuthentication(ClientAuthentication authentication) {
      this.authentication = Objects.requireNonNull(authentication, "authentication");
      return this;
    }

    /**
     * Authenticates with {@code private_key_jwt} (RFC 7523): every token request carries a new JWT
     * signed with {@code key}, with {@code iss} = {@code sub} = the client id, {@code aud} = the
     * token endpoint URL (or {@link #assertionAudience}), a random {@code jti} never used before,
     * {@code iat} now and {@code exp} {@link #assertionLifetime} later.
     */
    public Builder privateKeyJwt(ClientAssertionKey key) {
      this.assertionKey = Objects.requireNonNull(key, "key");
      this.authentication = ClientAuthentication.PRIVATE_KEY_JWT;
      return this;
    }

    /**
     * The {@code aud} of client assertions (default: the token endpoint URL, as RFC 7523 and OpenID
     * Connect Core section 9 say, and as Spring Authorization Server, Keycloak, Okta and Entra
     * accept). Some providers want their issuer identifier instead: give it here.
     */
    public Builder assertionAudience(String audience) {
      Objects.requireNonNull(audience, "audience");
      if (audience.isBlank()) {
        throw new IllegalArgumentException("assertionAudience is blank: give the issuer or token endpoint URL");
      }
      this.assertionAudience = audience;
      return this;
    }

    /**
     * How long a client assertion is valid, from {@code iat} to {@code exp} (default 60 s, at most
     * 10 minutes): short, so that an assertion seen in transit is of little use.
     */
    public Builder assertionLifetime(Duration lifetime) {
      Objects.requireNonNull(lifetime, "lifetime");
      if (lifetime.isNegative() || lifetime.isZero() || lifetime.compareTo(Duration.ofMinutes(10)) > 0) {
        throw new IllegalArgumentException("assertionLifetime must be positive and at most 10 minutes: " + lifetime);
      }
      this.assertionLifetime = lifetime;
      return this;
    }

    /**
     * The TLS identity (key manager) and trust (trust manager) for the calls to the endpoint, for
     * mutual TLS client authentication ({@code TLS_CLIENT_AUTH}, {@code
     * SELF_SIGNED_TLS_CLIENT_AUTH}, RFC 8705) and for servers with a private CA. The endpoint's
     * client is then built with it (5 s connect timeout, no redirects). Certificate-bound tokens
     * (RFC 8705 section 3) are accepted only over the same TLS identity: build the client that calls
     * the API with this same context ({@code HttpClient.newBuilder().sslContext(context)}).
     *
     * @throws IllegalStateException from {@link #build()} when {@link #httpClient} is set too
     */
    public Builder sslContext(SSLContext context) {
      this.sslContext = Objects.requireNonNull(context, "context");
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

    /**
     * The RFC 7009 revocation endpoint, for {@link #revoker()}. With {@link #forIssuer} it comes
     * from the metadata, and setting it fails {@link #build()}.
     */
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
     * @throws IllegalStateException when a secret is set without a client id, an authentication
     *     method lacks what it needs (a secret, a secret of 32 bytes or more for {@code
     *     CLIENT_SECRET_JWT}, a key, a TLS identity) or is given what it does not use, {@link
     *     #sslContext} and {@link #httpClient} are both set, or a revocation endpoint is set with
     *     {@link #forIssuer}
     */
    public OAuth2TokenEndpoint build() {
      if (tokenUri != null) {
        HttpEndpoint.checkEndpoint(tokenUri, allowPlainHttp, "token endpoint");
      } else {
        HttpEndpoint.checkEndpoint(Objects.requireNonNull(issuer), allowPlainHttp, "issuer");
        if (revocationUri != null) {
          throw new IllegalStateException("with forIssuer(...) the revocation endpoint comes from the"
              + " issuer's metadata: remove revocationEndpoint(...), or use newBuilder(tokenUri)");
        }
      }
      if (revocationUri != null) {
        HttpEndpoint.checkEndpoint(revocationUri, allowPlainHttp, "revocation endpoint");
      }
      ClientAuthentication auth = authentication != null ? authentication
          : clientSecret != null ? ClientAuthentication.CLIENT_SECRET_BASIC : ClientAuthentication.NONE;
      if (clientSecret != null && clientId == null) {
        throw new IllegalStateException("a client secret needs a client id: call clientId(...)");
      }
      if (auth != ClientAuthentication.NONE && clientId == null) {
        throw new IllegalStateException(auth + " needs a client id: call clientId(...)");
      }
      boolean usesSecret = auth == ClientAuthentication.CLIENT_SECRET_BASIC
          || auth == ClientAuthentication.CLIENT_SECRET_POST || auth == ClientAuthentication.CLIENT_SECRET_JWT;
      if (usesSecret && clientSecret == null) {
        throw new IllegalStateException(auth + " needs a client secret: call clientSecret(...)");
      }
      if (!usesSecret && auth != ClientAuthentication.NONE && clientSecret != null) {
        throw new IllegalStateException(auth + " sends no client secret: remove clientSecret(...), or choose"
            + " a CLIENT_SECRET_* method");
      }
      if (auth == ClientAuthentication.PRIVATE_KEY_JWT && assertionKey == null) {
        throw new IllegalStateException("PRIVATE_KEY_JWT needs the client's key: call privateKeyJwt(key)");
      }
      if (auth != ClientAuthentication.PRIVATE_KEY_JWT && assertionKey != null) {
        throw new IllegalStateException("a private key is set but the authentication is " + auth
            + ": remove privateKeyJwt(...) or clientAuthentication(...)");
      }
      boolean tls = auth == ClientAuthentication.TLS_CLIENT_AUTH
          || auth == ClientAuthentication.SELF_SIGNED_TLS_CLIENT_AUTH;
      if (tls && sslContext == null && httpClient == null) {
        throw new IllegalStateException(auth + " authenticates with the TLS client certificate: call"
            + " sslContext(context) with a key manager holding it");
      }
      if (sslContext != null && httpClient != null) {
        throw new IllegalStateException("sslContext(...) and httpClient(...) are both set: build your"
            + " HttpClient with .sslContext(context), or leave httpClient out");
      }
      ClientAssertions assertions = null;
      if (auth == ClientAuthentication.CLIENT_SECRET_JWT) {
        assertions = ClientAssertions.secret(Objects.requireNonNull(clientId), Objects.requireNonNull(clientSecret),
            assertionAudience, assertionLifetime, java.time.InstantSource.system());
      } else if (auth == ClientAuthentication.PRIVATE_KEY_JWT) {
        ClientAssertionKey key = Objects.requireNonNull(assertionKey);
        assertions = ClientAssertions.privateKey(key.signer(), key.algorithm(), key.keyId().orElse(null),
            key.certificateThumbprint().orElse(null), Objects.requireNonNull(clientId), assertionAudience,
            assertionLifetime, java.time.InstantSource.system());
      }
      HttpClient client = httpClient != null ? httpClient
          : sslContext != null ? HttpEndpoint.defaultClient(sslContext) : HttpEndpoint.defaultClient();
      Discovery discovery = tokenUri == null
          ? new Discovery(client, Objects.requireNonNull(issuer), timeout, allowPlainHttp) : null;
      OAuth2Calls.Endpoints endpoints = discovery != null ? discovery
          : new OAuth2Calls.Fixed(tokenUri, revocationUri);
      return new OAuth2TokenEndpoint(new OAuth2Calls(client, endpoints, clientId,
          clientSecret, auth, Map.copyOf(parameters), timeout, assertions), discovery, scope, timeout);
    }
  }
}
