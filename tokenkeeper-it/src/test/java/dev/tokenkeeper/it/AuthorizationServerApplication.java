package dev.tokenkeeper.it;

import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.MediaType;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;
import org.springframework.security.crypto.password.DelegatingPasswordEncoder;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.oauth2.core.DelegatingOAuth2TokenValidator;
import org.springframework.security.oauth2.jwt.BadJwtException;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtIssuerValidator;
import org.springframework.security.oauth2.jwt.JwtTimestampValidator;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.LoginUrlAuthenticationEntryPoint;
import org.springframework.security.web.util.matcher.MediaTypeRequestMatcher;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.util.ContentCachingResponseWrapper;

/**
 * The application {@link SpringAuthorizationServer} runs: Spring Authorization Server (registered
 * clients, token lifetimes and formats come from properties, the way a Boot user configures it),
 * a form login for the user, and a protected API at {@code /api/me} that verifies each access token
 * with the authorization server's published JWK set, with no clock-skew allowance.
 *
 * <p>The three security filter chains are Boot's own two (authorization server endpoints, then
 * everything else behind a form login) with the API's inserted between them. Declaring any chain
 * turns Boot's defaults off, so the authorization server's chain is spelled out here as Boot
 * spells it.
 */
@Configuration(proxyBeanMethods = false)
@EnableAutoConfiguration
@Import(AuthorizationServerApplication.Api.class)
class AuthorizationServerApplication {
  static final String USERNAME = "alice";
  static final String PASSWORD = "wonderland";
  private static final BCryptPasswordEncoder BCRYPT = new BCryptPasswordEncoder(4);

  @Bean
  @Order(1)
  SecurityFilterChain authorizationServerChain(HttpSecurity http) throws Exception {
    http.oauth2AuthorizationServer(server -> http.securityMatcher(server.getEndpointsMatcher()))
        .authorizeHttpRequests(requests -> requests.anyRequest().authenticated())
        // An unauthenticated browser at /oauth2/authorize is sent to the login page.
        .exceptionHandling(exceptions -> exceptions.defaultAuthenticationEntryPointFor(
            new LoginUrlAuthenticationEntryPoint("/login"), new MediaTypeRequestMatcher(MediaType.TEXT_HTML)));
    return http.build();
  }

  @Bean
  @Order(2)
  SecurityFilterChain apiChain(HttpSecurity http, ApiTokenVerifier verifier) throws Exception {
    http.securityMatcher("/api/**")
        .authorizeHttpRequests(requests -> requests.anyRequest().authenticated())
        .oauth2ResourceServer(resourceServer -> resourceServer.jwt(jwt -> jwt.decoder(verifier)))
        .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
        .csrf(csrf -> csrf.disable());
    return http.build();
  }

  @Bean
  @Order(3)
  SecurityFilterChain loginChain(HttpSecurity http) throws Exception {
    http.authorizeHttpRequests(requests -> requests.anyRequest().authenticated())
        .formLogin(Customizer.withDefaults());
    return http.build();
  }

  @Bean
  UserDetailsService users() {
    return new InMemoryUserDetailsManager(
        User.withUsername(USERNAME).password(hashed(PASSWORD)).roles("USER").build());
  }

  /**
   * Client secrets and the password are stored as BCrypt hashes of cost 4, not Spring's default
   * of 10. At cost 10 each client authentication costs about 55 ms of CPU (measured here: 54 ms per
   * token call on an idle machine, 5 ms at cost 4), and a stored hash of a lower cost is re-hashed
   * at 10 on first use. With 1-second tokens standing in for 5-minute ones, that would make the
   * token endpoint 300 times slower, relative to the token's life, than a real one.
   */
  @Bean
  PasswordEncoder passwordEncoder() {
    return new DelegatingPasswordEncoder("bcrypt", Map.of("bcrypt", BCRYPT));
  }

  /** {@code secret} as stored: {@code {bcrypt}} and its cost-4 hash. */
  static String hashed(String secret) {
    return "{bcrypt}" + BCRYPT.encode(secret);
  }

  @Bean
  FilterRegistrationBean<LedgerFilter> ledgerFilter(ServerLedger ledger) {
    FilterRegistrationBean<LedgerFilter> registration = new FilterRegistrationBean<>(new LedgerFilter(ledger));
    registration.setOrder(Ordered.HIGHEST_PRECEDENCE); // before Spring Security sees the request
    return registration;
  }

  @Bean
  ApiTokenVerifier apiTokenVerifier() {
    return new ApiTokenVerifier();
  }

  /**
   * Verifies access tokens as a separate resource server would: keys fetched from the
   * authorization server's {@code /oauth2/jwks} over HTTP, issuer checked, and {@code exp} enforced
   * to the second with no skew allowance (unless {@code tokenkeeper-it.api-clock-skew} sets one) (Spring's default of 60 s would hide a client that sends
   * expired tokens). The keys are fetched once the server is ready, before any API request: fetched
   * lazily, the first API requests would wait on a JWK set request to their own server, and with
   * every server thread so waiting, none would be left to answer it.
   */
  static final class ApiTokenVerifier implements JwtDecoder, ApplicationListener<ApplicationReadyEvent> {
    private volatile JwtDecoder decoder = token -> {
      throw new BadJwtException("the API is not ready: its keys are not loaded yet");
    };

    @Override
    public void onApplicationEvent(ApplicationReadyEvent event) {
      var environment = event.getApplicationContext().getEnvironment();
      String scheme = environment.getProperty("server.ssl.enabled", Boolean.class, false) ? "https" : "http";
      String issuer = scheme + "://127.0.0.1:" + environment.getRequiredProperty("local.server.port");
      try {
        // 5 s, not nimbus' 500 ms: the first request to a fresh server initializes the dispatcher.
        JWKSource<SecurityContext> keys = JWKSourceBuilder.create(URI.create(issuer + "/oauth2/jwks").toURL(),
            retriever(environment)).build();
        keys.get(new JWKSelector(new JWKMatcher.Builder().build()), null); // fetch and cache now
        NimbusJwtDecoder nimbus = NimbusJwtDecoder.withJwkSource(keys).build();
        nimbus.setJwtValidator(new DelegatingOAuth2TokenValidator<>(
            new JwtTimestampValidator(environment.getProperty("tokenkeeper-it.api-clock-skew", Duration.class,
                Duration.ZERO)), new JwtIssuerValidator(issuer)));
        decoder = nimbus;
      } catch (IOException | KeySourceException e) {
        throw new IllegalStateException("cannot load the authorization server's JWK set", e);
      }
    }

    /**
     * Over HTTPS the keys are fetched trusting the key store named by {@code
     * tokenkeeper-it.jwks-trust-store} (PKCS#12, password {@code changeit}): the server's own
     * self-signed certificate.
     */
    private static DefaultResourceRetriever retriever(org.springframework.core.env.Environment environment) {
      String trustStore = environment.getProperty("tokenkeeper-it.jwks-trust-store");
      if (trustStore == null) {
        return new DefaultResourceRetriever(5_000, 5_000);
      }
      try (java.io.InputStream in = java.nio.file.Files.newInputStream(java.nio.file.Path.of(trustStore))) {
        java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
        store.load(in, "changeit".toCharArray());
        javax.net.ssl.TrustManagerFactory trust =
            javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store);
        javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return new DefaultResourceRetriever(5_000, 5_000, 0, true, context.getSocketFactory());
      } catch (IOException | java.security.GeneralSecurityException e) {
        throw new IllegalStateException("cannot read tokenkeeper-it.jwks-trust-store", e);
      }
    }

    @Override
    public Jwt decode(String token) {
      return decoder.decode(token);
    }
  }

  /** The protected API: answers with the token's subject and records the token it accepted. */
  @RestController
  static class Api {
    private final ServerLedger ledger;

    Api(ServerLedger ledger) {
      this.ledger = ledger;
    }

    @GetMapping("/api/me")
    String me(@AuthenticationPrincipal Jwt jwt, @RequestHeader(name = "User-Agent", defaultValue = "") String userAgent) {
      ledger.accepted(jwt.getId(), jwt.getIssuedAt(), userAgent);
      return jwt.getSubject();
    }
  }

  /**
   * Counts token endpoint calls by grant type and outcome, in all and per client, and API answers
   * by status.
   */
  static final class LedgerFilter extends OncePerRequestFilter {
    private static final Pattern ERROR = Pattern.compile("\"error\"\\s*:\\s*\"([^\"]*)\"");
    private final ServerLedger ledger;

    LedgerFilter(ServerLedger ledger) {
      this.ledger = ledger;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
        throws ServletException, IOException {
      String path = request.getRequestURI();
      if (path.equals("/oauth2/token")) {
        String grantType = String.valueOf(request.getParameter("grant_type"));
        ContentCachingResponseWrapper wrapper = new ContentCachingResponseWrapper(response);
        try {
          chain.doFilter(request, wrapper);
        } finally {
          String error = "";
          if (wrapper.getStatus() >= 400) {
            Matcher m = ERROR.matcher(new String(wrapper.getContentAsByteArray(), StandardCharsets.UTF_8));
            error = m.find() ? m.group(1) : "?";
          }
          ledger.tokenCall(clientId(request), grantType, wrapper.getStatus(), error);
          wrapper.copyBodyToResponse();
        }
      } else if (path.startsWith("/api/")) {
        try {
          chain.doFilter(request, response);
        } finally {
          ledger.apiAnswer(response.getStatus());
        }
      } else {
        chain.doFilter(request, response);
      }
    }

    /**
     * The client id the token request names, whether or not the server accepts it: the HTTP Basic
     * user ({@code client_secret_basic}; form-urlencoded before base64, RFC 6749 section 2.3.1),
     * else the {@code client_id} form parameter, which Tokenkeeper sends with {@code
     * client_secret_post}, {@code client_secret_jwt}, {@code private_key_jwt}, {@code
     * tls_client_auth} and {@code self_signed_tls_client_auth}; "" if neither is there (or the
     * header cannot be decoded).
     */
    static String clientId(HttpServletRequest request) {
      String authorization = request.getHeader("Authorization");
      if (authorization != null && authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
        try {
          String credentials = new String(java.util.Base64.getDecoder().decode(authorization.substring(6).trim()),
              StandardCharsets.UTF_8);
          int colon = credentials.indexOf(':');
          return java.net.URLDecoder.decode(colon < 0 ? credentials : credentials.substring(0, colon),
              StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
          return "";
        }
      }
      String clientId = request.getParameter("client_id");
      return clientId == null ? "" : clientId;
    }
  }
}
