package dev.tokenkeeper.spring.boot;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code tokenkeeper.*} properties: one entry under {@code tokenkeeper.clients} per identity
 * the application calls APIs as. Immutable (bound through the constructor).
 *
 * <pre>
 * tokenkeeper.clients.orders.token-uri=https://auth.example.com/oauth2/token
 * # or, with the endpoints read from the issuer's metadata (RFC 8414 / OpenID discovery):
 * # tokenkeeper.clients.orders.issuer-uri=https://auth.example.com
 * tokenkeeper.clients.orders.grant=client_credentials
 * tokenkeeper.clients.orders.client-id=orders-service
 * tokenkeeper.clients.orders.client-secret=${ORDERS_SECRET}
 * tokenkeeper.clients.orders.origins=https://orders.example.com
 * </pre>
 *
 * @param clients the clients, by name; each becomes one {@code TokenKeeper} bean
 * @param fromSpringSecurity also make a client of each {@code
 *     spring.security.oauth2.client.registration.<name>} whose grant Tokenkeeper can keep ({@code
 *     client_credentials}, {@code password}, {@code refresh_token}) or that has {@code
 *     tokenkeeper.clients.<name>.*} entries (an {@code authorization_code} registration becomes a
 *     {@code refresh_token} client and needs {@code tokenkeeper.clients.<name>.refresh-token}); the
 *     registration gives the client id, secret, authentication method, scopes and grant, its
 *     provider the {@code token-uri} (or, when it has none, its {@code issuer-uri}), and {@code
 *     tokenkeeper.clients.<name>.*} adds the {@code origins} and overrides any of them (a {@code
 *     token-uri} or {@code issuer-uri} there replaces the provider's). Default false.
 */
@ConfigurationProperties("tokenkeeper")
public record TokenKeeperProperties(Map<String, Client> clients, boolean fromSpringSecurity) {

  /** Copies the map; no clients when none are configured. */
  public TokenKeeperProperties {
    clients = clients == null ? Map.of() : Map.copyOf(clients);
  }

  /**
   * One client: where its tokens come from, how it authenticates, and where they may go.
   *
   * @param tokenUri the OAuth 2.0 token endpoint; https, or http on loopback. Exactly one of
   *     {@code token-uri} and {@code issuer-uri} is required
   * @param issuerUri the authorization server's issuer identifier, exactly as its metadata names it;
   *     the token and revocation endpoints are read from its RFC 8414 (or OpenID Connect Discovery)
   *     metadata on the first token request, not at startup, so a server that is down at startup
   *     delays the first token instead of stopping the application. Instead of {@code token-uri}
   * @param grant {@code client_credentials} (default), {@code refresh_token} or {@code password}
   * @param clientId the client id (required)
   * @param clientSecret the client secret; none for a public client
   * @param clientAuthentication {@code client_secret_basic} (default with a secret), {@code
   *     client_secret_post}, {@code client_secret_jwt} (RFC 7523, HS256 with a secret of at least 32
   *     bytes), or {@code none}
   * @param scopes the scopes to ask for
   * @param audience the {@code audience} parameter, when the server wants one
   * @param resource the {@code resource} parameter (RFC 8707), when the server wants one
   * @param parameters further parameters sent with every token request
   * @param origins where this client's token may be sent: {@code scheme://host[:port]} each, no path
   *     (required)
   * @param timeout how long a caller waits for a token when it must be refreshed (default 30 s)
   * @param attemptTimeout how long one token endpoint call may take (default the keeper's)
   * @param leeway how long before its expiry a token counts as expired, for clock skew (default the
   *     keeper's, 5 s)
   * @param refreshToken the refresh token a {@code refresh_token} client starts with
   * @param username the user name of a {@code password} client
   * @param password the password of a {@code password} client
   * @param store {@code memory} (default) or {@code file}
   * @param storeDirectory the directory of a {@code file} store
   * @param allowPlainHttp allow plain http origins and token endpoints off loopback (default false)
   */
  public record Client(@Nullable URI tokenUri, @Nullable URI issuerUri, @Nullable String grant, @Nullable String clientId,
      @Nullable String clientSecret, @Nullable String clientAuthentication, List<String> scopes,
      @Nullable String audience, @Nullable String resource, Map<String, String> parameters,
      List<String> origins, @Nullable Duration timeout, @Nullable Duration attemptTimeout, @Nullable Duration leeway,
      @Nullable String refreshToken, @Nullable String username, @Nullable String password,
      @Nullable String store, @Nullable Path storeDirectory, boolean allowPlainHttp) {

    /** Copies the collections; empty when not given. */
    public Client {
      scopes = scopes == null ? List.of() : List.copyOf(scopes);
      parameters = parameters == null ? Map.of() : Map.copyOf(parameters);
      origins = origins == null ? List.of() : List.copyOf(origins);
    }

    /** Describes the client without its secret, password or refresh token. */
    @Override
    public String toString() {
      return "Client[tokenUri=" + tokenUri + ", issuerUri=" + issuerUri + ", grant=" + grant + ", clientId=" + clientId
          + ", origins=" + origins + "]";
    }
  }
}
