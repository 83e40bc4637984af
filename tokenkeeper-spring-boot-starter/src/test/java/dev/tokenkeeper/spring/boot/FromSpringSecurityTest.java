package dev.tokenkeeper.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.testing.RecordedTokenRequest;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * {@code tokenkeeper.from-spring-security=true}: the registrations of {@code
 * spring.security.oauth2.client.*} become clients, with {@code tokenkeeper.clients.<name>.*} adding
 * the origins and winning key by key; each keeper is checked against a real token server.
 */
class FromSpringSecurityTest {
  private static final String REGISTRATION = "spring.security.oauth2.client.registration.orders.";
  private static final String PROVIDER = "spring.security.oauth2.client.provider.auth.";
  private final ScriptedTokenServer server = ScriptedTokenServer.newBuilder()
      .clients(Map.of("orders-service", "orders-secret", "other-service", "other-secret")).build().start();
  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(TokenKeeperAutoConfiguration.class));

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void clientCredentialsRegistration_becomesAKeeper_withItsIdSecretMethodScopesAndTokenUri() {
    runner.withPropertyValues(
            "tokenkeeper.from-spring-security=true",
            "tokenkeeper.clients.orders.origins=https://orders.example.com",
            REGISTRATION + "client-id=orders-service",
            REGISTRATION + "client-secret=orders-secret",
            REGISTRATION + "client-authentication-method=client_secret_post",
            REGISTRATION + "authorization-grant-type=client_credentials",
            REGISTRATION + "scope=orders.read,orders.write",
            REGISTRATION + "provider=auth",
            PROVIDER + "token-uri=" + server.uri())
        .run(context -> {
          assertThat(context).hasNotFailed();
          TokenKeeper keeper = context.getBean("ordersTokenKeeper", TokenKeeper.class);
          assertThat(keeper.token().value()).isNotBlank();
          RecordedTokenRequest request = server.requests().get(0);
          assertThat(request.grantType()).isEqualTo("client_credentials");
          assertThat(request.clientId()).isEqualTo("orders-service");
          assertThat(request.clientAuthentication()).isEqualTo(RecordedTokenRequest.ClientAuthentication.POST);
          assertThat(request.scope()).isEqualTo("orders.read orders.write");
        });
  }

  @Test
  void tokenkeeperClientProperties_winOverTheRegistration() {
    runner.withPropertyValues(
            "tokenkeeper.from-spring-security=true",
            "tokenkeeper.clients.orders.origins=https://orders.example.com",
            "tokenkeeper.clients.orders.client-id=other-service",
            "tokenkeeper.clients.orders.client-secret=other-secret",
            REGISTRATION + "client-id=orders-service",
            REGISTRATION + "client-secret=orders-secret",
            REGISTRATION + "authorization-grant-type=client_credentials",
            REGISTRATION + "provider=auth",
            PROVIDER + "token-uri=" + server.uri())
        .run(context -> {
          context.getBean("ordersTokenKeeper", TokenKeeper.class).token();
          assertThat(server.requests().get(0).clientId()).isEqualTo("other-service");
          assertThat(server.requests().get(0).clientAuthentication())
              .isEqualTo(RecordedTokenRequest.ClientAuthentication.BASIC);
        });
  }

  @Test
  void withoutFromSpringSecurity_registrationsAreLeftToSpringSecurity() {
    runner.withPropertyValues(
            REGISTRATION + "client-id=orders-service",
            REGISTRATION + "authorization-grant-type=client_credentials",
            PROVIDER + "token-uri=" + server.uri())
        .run(context -> {
          assertThat(context).hasNotFailed();
          assertThat(context).doesNotHaveBean("ordersTokenKeeper");
          assertThat(context.getBean(TokenKeeperClients.class).keepers()).isEmpty();
        });
  }

  @Test
  void signInRegistration_withoutTokenkeeperEntries_isLeftToSpringSecurity() {
    runner.withPropertyValues(
            "tokenkeeper.from-spring-security=true",
            REGISTRATION + "client-id=orders-service",
            REGISTRATION + "authorization-grant-type=authorization_code",
            REGISTRATION + "provider=auth",
            PROVIDER + "token-uri=" + server.uri())
        .run(context -> assertThat(context.getBean(TokenKeeperClients.class).keepers()).isEmpty());
  }

  @Test
  void signInRegistration_withARefreshToken_becomesARefreshTokenKeeper() {
    String refreshToken = server.issueLogin("orders-service", "alice");
    runner.withPropertyValues(
            "tokenkeeper.from-spring-security=true",
            "tokenkeeper.clients.orders.origins=https://orders.example.com",
            "tokenkeeper.clients.orders.refresh-token=" + refreshToken,
            REGISTRATION + "client-id=orders-service",
            REGISTRATION + "client-secret=orders-secret",
            REGISTRATION + "authorization-grant-type=authorization_code",
            REGISTRATION + "provider=auth",
            PROVIDER + "token-uri=" + server.uri())
        .run(context -> {
          context.getBean("ordersTokenKeeper", TokenKeeper.class).token();
          assertThat(server.tokenRequests("refresh_token")).isEqualTo(1);
        });
  }

  @Test
  void providerWithIssuerUriOnly_endpointsFromTheIssuersMetadata() {
    runner.withPropertyValues(
            "tokenkeeper.from-spring-security=true",
            "tokenkeeper.clients.orders.origins=https://orders.example.com",
            REGISTRATION + "client-id=orders-service",
            REGISTRATION + "client-secret=orders-secret",
            REGISTRATION + "authorization-grant-type=client_credentials",
            REGISTRATION + "provider=auth",
            PROVIDER + "issuer-uri=" + server.issuerUri())
        .run(context -> {
          assertThat(context).hasNotFailed();
          assertThat(context.getBean("ordersTokenKeeper", TokenKeeper.class).token().value()).isNotBlank();
          assertThat(server.metadataRequests()).isEqualTo(1);
          assertThat(server.requests().get(0).clientId()).isEqualTo("orders-service");
        });
  }

  @Test
  void clientTokenUri_winsOverTheProvidersIssuerUri() {
    runner.withPropertyValues(
            "tokenkeeper.from-spring-security=true",
            "tokenkeeper.clients.orders.origins=https://orders.example.com",
            "tokenkeeper.clients.orders.token-uri=" + server.uri(),
            REGISTRATION + "client-id=orders-service",
            REGISTRATION + "client-secret=orders-secret",
            REGISTRATION + "authorization-grant-type=client_credentials",
            REGISTRATION + "provider=auth",
            PROVIDER + "issuer-uri=https://auth.example.com")
        .run(context -> {
          assertThat(context).hasNotFailed();
          context.getBean("ordersTokenKeeper", TokenKeeper.class).token();
          assertThat(server.metadataRequests()).isZero();
          assertThat(server.tokenRequests()).isEqualTo(1);
        });
  }

  @Test
  void clientCredentialsRegistration_withoutOrigins_failsStartup_namingOrigins() {
    runner.withPropertyValues(
            "tokenkeeper.from-spring-security=true",
            REGISTRATION + "client-id=orders-service",
            REGISTRATION + "authorization-grant-type=client_credentials",
            REGISTRATION + "provider=auth",
            PROVIDER + "token-uri=" + server.uri())
        .run(context -> assertThat(context.getStartupFailure()).hasStackTraceContaining(
            "tokenkeeper.clients.orders.origins"));
  }

  @Test
  void noClients_applicationStarts() {
    runner.run(context -> assertThat(context).hasNotFailed());
  }
}
