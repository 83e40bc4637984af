package dev.tokenkeeper.spring.boot;

import com.nimbusds.jose.jwk.JWKSet;
import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.springframework.boot.Banner;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;
import org.springframework.security.crypto.password.DelegatingPasswordEncoder;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.web.SecurityFilterChain;

/**
 * Spring Authorization Server (Boot 4) in this JVM on a random port of 127.0.0.1, configured by
 * properties as in {@code tokenkeeper-it}: the confidential client {@value #CLIENT_ID}
 * ({@code client_secret_basic}, {@code client_credentials}) gets self-contained RS256 access tokens
 * living {@code ttl}. Its token endpoint counts its own answers by status.
 */
final class AuthorizationServer implements AutoCloseable {
  static final String CLIENT_ID = "orders-service";
  static final String CLIENT_SECRET = "orders-service-secret";
  private static final BCryptPasswordEncoder BCRYPT = new BCryptPasswordEncoder(4);

  private final ConfigurableApplicationContext context;
  private final URI base;
  private final TokenCalls calls;

  private AuthorizationServer(ConfigurableApplicationContext context, URI base, TokenCalls calls) {
    this.context = context;
    this.base = base;
    this.calls = calls;
  }

  static AuthorizationServer start(Duration ttl) {
    TokenCalls calls = new TokenCalls();
    String client = "--spring.security.oauth2.authorizationserver.client.orders.";
    List<String> args = new ArrayList<>(List.of(
        "--server.address=127.0.0.1", "--server.port=0", "--logging.level.root=WARN",
        "--spring.autoconfigure.exclude=" + TokenKeeperAutoConfiguration.class.getName(),
        "--management.endpoints.access.default=none",
        client + "registration.client-id=" + CLIENT_ID,
        client + "registration.client-secret={bcrypt}" + BCRYPT.encode(CLIENT_SECRET),
        client + "registration.client-authentication-methods=client_secret_basic",
        client + "registration.authorization-grant-types=client_credentials",
        client + "token.access-token-time-to-live=" + ttl.toMillis() + "ms",
        client + "token.access-token-format=self-contained"));
    ConfigurableApplicationContext context = new SpringApplicationBuilder(Application.class)
        .bannerMode(Banner.Mode.OFF).logStartupInfo(false).registerShutdownHook(false)
        .initializers(c -> c.getBeanFactory().registerSingleton("tokenCalls", calls))
        .run(args.toArray(new String[0]));
    String port = context.getEnvironment().getRequiredProperty("local.server.port");
    return new AuthorizationServer(context, URI.create("http://127.0.0.1:" + port), calls);
  }

  /** The issuer: SAS names the base URI it was reached at, {@code http://127.0.0.1:<port>}. */
  URI issuer() {
    return base;
  }

  URI tokenUri() {
    return base.resolve("/oauth2/token");
  }

  /** The server's signing keys, fetched over HTTP as a resource server does. */
  JWKSet jwkSet() {
    try {
      return JWKSet.load(base.resolve("/oauth2/jwks").toURL());
    } catch (IOException | ParseException e) {
      throw new IllegalStateException("cannot load the JWK set", e);
    }
  }

  /** Token endpoint answers with {@code status}, counted by the server. */
  long tokenCalls(int status) {
    return calls.count(status);
  }

  @Override
  public void close() {
    context.close();
  }

  /** Token endpoint answers by status. */
  static final class TokenCalls {
    private final Map<Integer, LongAdder> byStatus = new ConcurrentHashMap<>();

    void answered(int status) {
      byStatus.computeIfAbsent(status, k -> new LongAdder()).increment();
    }

    long count(int status) {
      LongAdder n = byStatus.get(status);
      return n == null ? 0 : n.sum();
    }
  }

  @Configuration(proxyBeanMethods = false)
  @EnableAutoConfiguration
  static class Application {
    @Bean
    SecurityFilterChain authorizationServerChain(HttpSecurity http) throws Exception {
      http.oauth2AuthorizationServer(server -> http.securityMatcher(server.getEndpointsMatcher()))
          .authorizeHttpRequests(requests -> requests.anyRequest().authenticated());
      return http.build();
    }

    /** Cost-4 BCrypt: at Spring's default of 10 each client authentication costs ~55 ms of CPU. */
    @Bean
    PasswordEncoder passwordEncoder() {
      return new DelegatingPasswordEncoder("bcrypt", Map.of("bcrypt", BCRYPT));
    }

    @Bean
    FilterRegistrationBean<Filter> tokenCallCounter(TokenCalls calls) {
      Filter counter = (request, response, chain) -> {
        try {
          chain.doFilter(request, response);
        } finally {
          if (((HttpServletRequest) request).getRequestURI().equals("/oauth2/token")) {
            calls.answered(((HttpServletResponse) response).getStatus());
          }
        }
      };
      FilterRegistrationBean<Filter> registration = new FilterRegistrationBean<>(counter);
      registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
      return registration;
    }
  }
}
