package dev.tokenkeeper.spring.boot;

import dev.tokenkeeper.ClientAuthentication;
import dev.tokenkeeper.FileTokenStore;
import dev.tokenkeeper.OAuth2TokenEndpoint;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenListener;
import dev.tokenkeeper.TokenPolicy;
import dev.tokenkeeper.TokenResponse;
import dev.tokenkeeper.TokenSource;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * The keepers of every configured {@code tokenkeeper.clients.<name>}, built and checked at startup,
 * and the {@link TokenPolicy} that sends each one's token to its origins only.
 *
 * <p>Every client is checked before any keeper is built: a missing or wrong property fails the
 * application's startup with an {@link InvalidConfigurationPropertyValueException} naming the
 * property ({@code tokenkeeper.clients.orders.grant}) and what to do. The message never holds a
 * secret, password or refresh token.
 *
 * <p>Not to be confused with {@link dev.tokenkeeper.TokenKeepers} of the core, a registry that
 * builds one keeper per identity on demand: this class holds the fixed set of clients named in the
 * application's properties, one keeper each, for the life of the application.
 *
 * <p>Immutable and thread-safe; {@link #close()} closes every keeper (Spring calls it on shutdown).
 */
public final class TokenKeeperClients implements AutoCloseable {
  private static final String PREFIX = "tokenkeeper.clients.";
  private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  private final Map<String, TokenKeeper> keepers;
  private final Map<String, KeeperState> states;
  private final @Nullable TokenPolicy policy;

  TokenKeeperClients(TokenKeeperProperties properties, List<KeeperObserver> observers) {
    // Sorted, so that startup reports the same first error on every run.
    Map<String, TokenKeeperProperties.Client> clients = new TreeMap<>(properties.clients());
    clients.forEach(TokenKeeperClients::check);
    Map<String, TokenKeeper> built = new LinkedHashMap<>();
    Map<String, KeeperState> tracked = new LinkedHashMap<>();
    try {
      TokenPolicy.Builder policyBuilder = TokenPolicy.newBuilder();
      boolean plainHttp = false;
      for (Map.Entry<String, TokenKeeperProperties.Client> entry : clients.entrySet()) {
        String name = entry.getKey();
        TokenKeeperProperties.Client client = entry.getValue();
        KeeperState state = new KeeperState();
        List<TokenListener> listeners = new ArrayList<>();
        listeners.add(state);
        observers.forEach(o -> listeners.add(o.listener(name)));
        TokenKeeper keeper = keeper(name, client, new Listeners(listeners), observers);
        built.put(name, keeper);
        tracked.put(name, state);
        observers.forEach(o -> o.built(name, keeper));
        for (String origin : client.origins()) {
          try {
            // Checked alone first, with this client's allow-plain-http, so that a refusal names it.
            TokenPolicy.newBuilder().origin(URI.create(origin.trim()), keeper)
                .allowPlainHttp(client.allowPlainHttp()).build();
            policyBuilder.origin(URI.create(origin.trim()), keeper);
          } catch (IllegalArgumentException e) {
            throw invalid(name, "origins", origin, e.getMessage());
          }
        }
        plainHttp |= client.allowPlainHttp();
      }
      this.policy = built.isEmpty() ? null : policyBuilder.allowPlainHttp(plainHttp).build();
    } catch (RuntimeException e) {
      built.values().forEach(TokenKeeper::close);
      throw e;
    }
    this.keepers = Map.copyOf(built);
    this.states = Map.copyOf(tracked);
  }

  /**
   * Returns the keeper of the client {@code name}.
   *
   * @throws IllegalArgumentException if no client has that name
   */
  public TokenKeeper keeper(String name) {
    TokenKeeper keeper = keepers.get(name);
    if (keeper == null) {
      throw new IllegalArgumentException("no client '" + name + "' under tokenkeeper.clients; configured: "
          + new TreeMap<>(keepers).keySet());
    }
    return keeper;
  }

  /** Returns every keeper, by client name. */
  public Map<String, TokenKeeper> keepers() {
    return new TreeMap<>(keepers);
  }

  /** Returns the policy of every client's origins, or {@code null} when no client is configured. */
  public @Nullable TokenPolicy policy() {
    return policy;
  }

  KeeperState state(String name) {
    return states.get(name);
  }

  /** Closes every keeper. Idempotent. */
  @Override
  public void close() {
    keepers.values().forEach(TokenKeeper::close);
  }

  @Override
  public String toString() {
    return "TokenKeeperClients" + new TreeMap<>(keepers).keySet();
  }

  // ------------------------------------------------------------------------------------- checks

  private static void check(String name, TokenKeeperProperties.Client c) {
    if (c.tokenUri() == null && c.issuerUri() == null) {
      throw invalid(name, "token-uri", null, "required: the OAuth 2.0 token endpoint, https://…/token;"
          + " or set tokenkeeper.clients." + name + ".issuer-uri instead, to read it from the issuer's metadata");
    }
    if (c.tokenUri() != null && c.issuerUri() != null) {
      throw invalid(name, "issuer-uri", c.issuerUri(), "set either token-uri or issuer-uri, not both:"
          + " with issuer-uri the token endpoint comes from the issuer's metadata");
    }
    String property = c.tokenUri() != null ? "token-uri" : "issuer-uri";
    URI endpointUri = c.tokenUri() != null ? c.tokenUri() : c.issuerUri();
    String scheme = endpointUri.getScheme();
    if (scheme == null || !(scheme.equalsIgnoreCase("https") || scheme.equalsIgnoreCase("http"))
        || endpointUri.getHost() == null) {
      throw invalid(name, property, endpointUri, "must be an absolute http(s) URI");
    }
    if (c.clientId() == null || c.clientId().isBlank()) {
      throw invalid(name, "client-id", null, "required: the client id registered at the authorization server");
    }
    Grant grant = grant(name, c.grant());
    if (grant == Grant.REFRESH_TOKEN && (c.refreshToken() == null || c.refreshToken().isBlank())
        && !"file".equalsIgnoreCase(c.store())) {
      throw invalid(name, "refresh-token", null,
          "required for grant refresh_token (or store=file holding a session): the refresh token to start with");
    }
    if (grant == Grant.PASSWORD && (c.username() == null || c.password() == null)) {
      throw invalid(name, "username", c.username(), "grant password needs username and password");
    }
    clientAuthentication(name, c);
    if (c.origins().isEmpty()) {
      throw invalid(name, "origins", null,
          "required: where this client's token may be sent, e.g. https://api.example.com (scheme, host, port; no path)");
    }
    for (String origin : c.origins()) {
      URI uri;
      try {
        uri = URI.create(origin.trim());
      } catch (IllegalArgumentException e) {
        throw invalid(name, "origins", origin, "not a URI");
      }
      if (uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/")) {
        throw invalid(name, "origins", origin, "an origin is scheme://host[:port], without a path: drop '"
            + uri.getRawPath() + "'");
      }
    }
    String store = c.store() == null ? "memory" : c.store().toLowerCase(Locale.ROOT);
    if (!store.equals("memory") && !store.equals("file")) {
      throw invalid(name, "store", c.store(), "must be memory or file");
    }
    if (store.equals("file") && c.storeDirectory() == null) {
      throw invalid(name, "store-directory", null, "required with store=file: the directory holding the token files");
    }
    checkPositive(name, "timeout", c.timeout());
    checkPositive(name, "attempt-timeout", c.attemptTimeout());
  }

  private static void checkPositive(String name, String property, @Nullable Duration value) {
    if (value != null && (value.isZero() || value.isNegative())) {
      throw invalid(name, property, value, "must be positive");
    }
  }

  /** The client authentication methods properties can configure: they need a secret or nothing. */
  private static final java.util.List<ClientAuthentication> FROM_PROPERTIES = java.util.List.of(
      ClientAuthentication.CLIENT_SECRET_BASIC, ClientAuthentication.CLIENT_SECRET_POST,
      ClientAuthentication.CLIENT_SECRET_JWT, ClientAuthentication.NONE);

  private enum Grant { CLIENT_CREDENTIALS, REFRESH_TOKEN, PASSWORD }

  private static Grant grant(String name, @Nullable String grant) {
    if (grant == null) {
      return Grant.CLIENT_CREDENTIALS;
    }
    switch (grant.trim().toLowerCase(Locale.ROOT).replace('-', '_')) {
      case "client_credentials": return Grant.CLIENT_CREDENTIALS;
      case "refresh_token": return Grant.REFRESH_TOKEN;
      case "password": return Grant.PASSWORD;
      default: throw invalid(name, "grant", grant, "unknown grant: use client_credentials, refresh_token or password");
    }
  }

  private static @Nullable ClientAuthentication clientAuthentication(String name, TokenKeeperProperties.Client c) {
    if (c.clientAuthentication() == null) {
      return null;
    }
    String value = c.clientAuthentication().trim().toUpperCase(Locale.ROOT).replace('-', '_');
    for (ClientAuthentication a : FROM_PROPERTIES) {
      if (a.name().equals(value)) {
        return a;
      }
    }
    // private_key_jwt and mutual TLS need a key or a TLS identity, which no property gives yet.
    throw invalid(name, "client-authentication", c.clientAuthentication(),
        "use one of " + FROM_PROPERTIES.toString().toLowerCase(Locale.ROOT) + " (private_key_jwt,"
            + " tls_client_auth and self_signed_tls_client_auth need a key: build that OAuth2TokenEndpoint in code)");
  }

  private static InvalidConfigurationPropertyValueException invalid(String client, String property,
      @Nullable Object value, String reason) {
    return new InvalidConfigurationPropertyValueException(PREFIX + client + "." + property, value, reason);
  }

  // ------------------------------------------------------------------------------------ keepers

  private static TokenKeeper keeper(String name, TokenKeeperProperties.Client c, TokenListener listener,
      List<KeeperObserver> observers) {
    OAuth2TokenEndpoint.Builder endpoint;
    OAuth2TokenEndpoint built;
    try {
      endpoint = (c.tokenUri() != null ? OAuth2TokenEndpoint.newBuilder(c.tokenUri())
          : OAuth2TokenEndpoint.forIssuer(c.issuerUri())).clientId(c.clientId())
          .allowPlainHttp(c.allowPlainHttp());
      if (c.clientSecret() != null) {
        endpoint.clientSecret(c.clientSecret());
      }
      ClientAuthentication authentication = clientAuthentication(name, c);
      if (authentication != null) {
        endpoint.clientAuthentication(authentication);
      }
      if (!c.scopes().isEmpty()) {
        endpoint.scope(c.scopes().toArray(String[]::new));
      }
      if (c.audience() != null) {
        endpoint.parameter("audience", c.audience());
      }
      if (c.resource() != null) {
        endpoint.parameter("resource", c.resource());
      }
      c.parameters().forEach(endpoint::parameter);
      if (c.attemptTimeout() != null) {
        endpoint.timeout(c.attemptTimeout());
      }
      built = endpoint.build();
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw c.tokenUri() != null ? invalid(name, "token-uri", c.tokenUri(), e.getMessage())
          : invalid(name, "issuer-uri", c.issuerUri(), e.getMessage());
    }
    Grant grant = grant(name, c.grant());
    TokenSource source = switch (grant) {
      case CLIENT_CREDENTIALS -> built.clientCredentials();
      case REFRESH_TOKEN -> built.refreshTokens();
      case PASSWORD -> built.password(c.username(), c.password().toCharArray());
    };
    for (KeeperObserver observer : observers) {
      source = observer.source(name, source);
    }
    TokenKeeper.Builder keeper = TokenKeeper.newBuilder(source).name(name).listener(listener)
        .defaultTimeout(c.timeout() == null ? DEFAULT_TIMEOUT : c.timeout());
    if (c.attemptTimeout() != null) {
      keeper.attemptTimeout(c.attemptTimeout());
    }
    if (c.leeway() != null) {
      keeper.leeway(c.leeway());
    }
    if ("file".equalsIgnoreCase(c.store())) {
      keeper.store(FileTokenStore.directory(c.storeDirectory()).identity(name));
    }
    if (grant == Grant.REFRESH_TOKEN && c.refreshToken() != null && !c.refreshToken().isBlank()) {
      // An access token that has already expired: the first caller refreshes with the refresh token.
      keeper.initialTokens(TokenResponse.bearer("none-yet").withExpiresIn(Duration.ZERO)
          .withRefreshToken(c.refreshToken()));
    }
    return keeper.build();
  }
}
