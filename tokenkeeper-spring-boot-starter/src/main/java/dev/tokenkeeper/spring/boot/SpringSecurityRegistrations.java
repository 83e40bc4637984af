package dev.tokenkeeper.spring.boot;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.core.env.Environment;

/**
 * {@code tokenkeeper.from-spring-security=true}: the registrations of {@code
 * spring.security.oauth2.client.*} read as {@code tokenkeeper.clients.*} entries of the lowest
 * precedence, so that anything set under {@code tokenkeeper.clients.<name>} wins and the checks of
 * {@link TokenKeeperClients} name the same properties as for a client configured by hand.
 */
final class SpringSecurityRegistrations {
  private static final String REGISTRATIONS = "spring.security.oauth2.client.registration";
  private static final String PROVIDERS = "spring.security.oauth2.client.provider";
  private static final Set<String> KEPT_GRANTS = Set.of("client_credentials", "password", "refresh_token");

  /** A registration's properties, as Spring Security's Boot auto-configuration binds them. */
  record Registration(@Nullable String clientId, @Nullable String clientSecret,
      @Nullable String clientAuthenticationMethod, @Nullable String authorizationGrantType,
      @Nullable List<String> scope, @Nullable String provider) {}

  /** A provider's endpoints; only the token endpoint (or the issuer that names it) matters here. */
  record Provider(@Nullable String tokenUri, @Nullable String issuerUri) {}

  private SpringSecurityRegistrations() {}

  /** The clients of {@code environment}: {@code tokenkeeper.*}, plus the imported registrations when asked. */
  static TokenKeeperProperties bind(Environment environment) {
    Binder binder = Binder.get(environment);
    if (!fromSpringSecurity(binder)) {
      return binder.bind("tokenkeeper", TokenKeeperProperties.class)
          .orElseGet(() -> new TokenKeeperProperties(Map.of(), false));
    }
    List<ConfigurationPropertySource> sources = new ArrayList<>();
    ConfigurationPropertySources.get(environment).forEach(sources::add);
    sources.add(new MapConfigurationPropertySource(imported(binder)));
    return new Binder(sources).bind("tokenkeeper", TokenKeeperProperties.class)
        .orElseGet(() -> new TokenKeeperProperties(Map.of(), true));
  }

  /** The client names of {@code environment}, without binding (or checking) their properties. */
  static Set<String> names(Environment environment) {
    Binder binder = Binder.get(environment);
    Set<String> names = new java.util.TreeSet<>(clientEntries(binder).keySet());
    if (fromSpringSecurity(binder)) {
      imported(binder).keySet().forEach(key -> names.add(key.substring("tokenkeeper.clients.".length(),
          key.indexOf('.', "tokenkeeper.clients.".length()))));
    }
    return names;
  }

  private static boolean fromSpringSecurity(Binder binder) {
    return binder.bind("tokenkeeper.from-spring-security", Boolean.class).orElse(false);
  }

  private static Map<String, Object> clientEntries(Binder binder) {
    return binder.bind("tokenkeeper.clients", Bindable.mapOf(String.class, Object.class)).orElse(Map.of());
  }

  /** The {@code tokenkeeper.clients.<name>.*} properties the registrations stand for. */
  static Map<String, String> imported(Binder binder) {
    Map<String, Registration> registrations =
        binder.bind(REGISTRATIONS, Bindable.mapOf(String.class, Registration.class)).orElse(Map.of());
    Map<String, Provider> providers =
        binder.bind(PROVIDERS, Bindable.mapOf(String.class, Provider.class)).orElse(Map.of());
    Map<String, Object> configured = clientEntries(binder);
    Map<String, String> out = new LinkedHashMap<>();
    registrations.forEach((name, r) -> {
      String grant = r.authorizationGrantType() == null ? "authorization_code"
          : r.authorizationGrantType().trim().toLowerCase(Locale.ROOT);
      // A registration for signing users in (authorization_code) is Spring Security's to use,
      // unless tokenkeeper.clients.<name> says this application keeps its tokens too.
      if (!KEPT_GRANTS.contains(grant) && !configured.containsKey(name)) {
        return;
      }
      String prefix = "tokenkeeper.clients." + name + ".";
      out.put(prefix + "grant", grant.equals("authorization_code") ? "refresh_token" : grant);
      put(out, prefix + "client-id", r.clientId());
      put(out, prefix + "client-secret", r.clientSecret());
      put(out, prefix + "client-authentication", r.clientAuthenticationMethod());
      if (r.scope() != null && !r.scope().isEmpty()) {
        out.put(prefix + "scopes", String.join(",", r.scope()));
      }
      Provider provider = providers.get(r.provider() != null ? r.provider() : name);
      // The client's own token-uri or issuer-uri replaces the provider's: both set would be refused.
      if (provider != null && !configures(configured.get(name), "token-uri", "issuer-uri")) {
        if (provider.tokenUri() != null) {
          out.put(prefix + "token-uri", provider.tokenUri());
        } else {
          put(out, prefix + "issuer-uri", provider.issuerUri());
        }
      }
    });
    return out;
  }

  /** Whether the bound {@code tokenkeeper.clients.<name>} entry sets any of {@code keys}. */
  private static boolean configures(@Nullable Object entry, String... keys) {
    if (!(entry instanceof Map)) {
      return false;
    }
    for (String key : keys) {
      String camel = java.util.regex.Pattern.compile("-(.)").matcher(key)
          .replaceAll(m -> m.group(1).toUpperCase(Locale.ROOT));
      if (((Map<?, ?>) entry).containsKey(key) || ((Map<?, ?>) entry).containsKey(camel)) {
        return true;
      }
    }
    return false;
  }

  private static void put(Map<String, String> out, String key, @Nullable String value) {
    if (value != null) {
      out.put(key, value);
    }
  }
}
