package dev.tokenkeeper.it;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.Banner;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Spring Authorization Server (Spring Boot 4), started in this JVM on a random port of 127.0.0.1
 * and configured entirely here: nothing is started by hand and no file configures it.
 *
 * <ul>
 *   <li>{@value #SERVICE_ID}: a confidential client (client_secret_basic) for client_credentials.
 *   <li>{@value #APP_ID}: a confidential client for authorization_code (with PKCE) and
 *       refresh_token, redirect URI {@value #REDIRECT_URI}, no consent screen.
 *   <li>Both: self-contained (JWT, RS256) access tokens living {@code accessTokenTtl}; refresh
 *       tokens rotate on every use ({@code reuse-refresh-tokens: false}).
 *   <li>The user {@value AuthorizationServerApplication#USERNAME} signs in with a form login.
 * </ul>
 */
final class SpringAuthorizationServer implements AutoCloseable {
  static final String SERVICE_ID = "orders-service";
  static final String SERVICE_SECRET = "orders-service-secret";
  static final String APP_ID = "items-app";
  static final String APP_SECRET = "items-app-secret";
  static final String REDIRECT_URI = "http://127.0.0.1/authorized";
  static final String APP_SCOPE = "items.read";

  private final ConfigurableApplicationContext context;
  private final URI base;

  private SpringAuthorizationServer(ConfigurableApplicationContext context, URI base) {
    this.context = context;
    this.base = base;
  }

  /** Starts the server; its token endpoint and API record what they see in {@code ledger}. */
  static SpringAuthorizationServer start(ServerLedger ledger, Duration accessTokenTtl) {
    return start(ledger, accessTokenTtl, Map.of());
  }

  /**
   * Starts the server with {@code extra} properties too (more registered clients, TLS), which win
   * over the defaults.
   */
  static SpringAuthorizationServer start(ServerLedger ledger, Duration accessTokenTtl, Map<String, String> extra) {
    SpringApplication application = new SpringApplication(AuthorizationServerApplication.class);
    application.setBannerMode(Banner.Mode.OFF);
    application.setLogStartupInfo(false);
    application.setRegisterShutdownHook(false);
    application.addInitializers(context -> context.getBeanFactory().registerSingleton("serverLedger", ledger));
    // Passed as command-line arguments: they outrank environment variables and system properties,
    // so nothing on the machine (a SERVER_PORT, say) can change what the tests run against.
    List<String> args = new ArrayList<>();
    Map<String, String> properties = properties(accessTokenTtl);
    properties.putAll(extra);
    properties.forEach((name, value) -> args.add("--" + name + "=" + value));
    ConfigurableApplicationContext context = application.run(args.toArray(new String[0]));
    String port = context.getEnvironment().getRequiredProperty("local.server.port");
    String scheme = context.getEnvironment().getProperty("server.ssl.enabled", Boolean.class, false) ? "https" : "http";
    return new SpringAuthorizationServer(context, URI.create(scheme + "://127.0.0.1:" + port));
  }

  private static Map<String, String> properties(Duration accessTokenTtl) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("server.address", "127.0.0.1");
    p.put("server.port", "0");
    p.put("logging.level.root", "WARN");
    client(p, "service", SERVICE_ID, SERVICE_SECRET, accessTokenTtl);
    p.put("spring.security.oauth2.authorizationserver.client.service.registration.authorization-grant-types",
        "client_credentials");
    client(p, "app", APP_ID, APP_SECRET, accessTokenTtl);
    String app = "spring.security.oauth2.authorizationserver.client.app.";
    p.put(app + "registration.authorization-grant-types", "authorization_code,refresh_token");
    p.put(app + "registration.redirect-uris", REDIRECT_URI);
    p.put(app + "registration.scopes", APP_SCOPE);
    p.put(app + "require-authorization-consent", "false");
    p.put(app + "require-proof-key", "true");
    p.put(app + "token.refresh-token-time-to-live", "10m");
    return p;
  }

  /**
   * Registers the client {@code id} for {@code client_credentials} with {@code method}; properties
   * under {@code spring.security.oauth2.authorizationserver.client.<key>.} in {@code more}.
   */
  static Map<String, String> clientCredentialsClient(String key, String id, String storedSecret, String method,
      Duration ttl, Map<String, String> more) {
    Map<String, String> p = new LinkedHashMap<>();
    client(p, key, id, "", ttl);
    String prefix = "spring.security.oauth2.authorizationserver.client." + key + ".";
    if (storedSecret.isEmpty()) {
      p.remove(prefix + "registration.client-secret");
    } else {
      p.put(prefix + "registration.client-secret", storedSecret);
    }
    p.put(prefix + "registration.client-authentication-methods", method);
    p.put(prefix + "registration.authorization-grant-types", "client_credentials");
    more.forEach((name, value) -> p.put(prefix + name, value));
    return p;
  }

  private static void client(Map<String, String> p, String key, String id, String secret, Duration ttl) {
    String prefix = "spring.security.oauth2.authorizationserver.client." + key + ".";
    p.put(prefix + "registration.client-id", id);
    p.put(prefix + "registration.client-secret", AuthorizationServerApplication.hashed(secret));
    p.put(prefix + "registration.client-authentication-methods", "client_secret_basic");
    p.put(prefix + "token.access-token-time-to-live", ttl.toMillis() + "ms");
    p.put(prefix + "token.access-token-format", "self-contained");
    p.put(prefix + "token.reuse-refresh-tokens", "false");
  }

  /** {@code http://127.0.0.1:port}: the issuer, and the origin of the API. */
  URI origin() {
    return base;
  }

  URI tokenEndpoint() {
    return base.resolve("/oauth2/token");
  }

  /** The protected API: answers 200 with the token's subject. */
  URI api() {
    return base.resolve("/api/me");
  }

  /** A bean of the running server (its RegisteredClientRepository, say). */
  <T> T bean(Class<T> type) {
    return context.getBean(type);
  }

  @Override
  public void close() {
    context.close();
  }
}
