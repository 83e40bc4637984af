package dev.tokenkeeper.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.SignedJWT;
import dev.tokenkeeper.AccessToken;
import dev.tokenkeeper.TokenKeeper;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * A Boot application configured with {@code issuer-uri} only (no {@code token-uri}) gets its tokens
 * from a real Spring Authorization Server: the token endpoint is read from the server's own RFC 8414
 * metadata.
 */
class IssuerUriAgainstSpringAuthorizationServerTest {
  private static AuthorizationServer server;

  @BeforeAll
  static void start() {
    server = AuthorizationServer.start(Duration.ofMinutes(5));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void issuerUriOnly_keeperGetsTokensFromSpringAuthorizationServer() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(TokenKeeperAutoConfiguration.class))
        .withPropertyValues(
            "tokenkeeper.clients.orders.issuer-uri=" + server.issuer(),
            "tokenkeeper.clients.orders.client-id=" + AuthorizationServer.CLIENT_ID,
            "tokenkeeper.clients.orders.client-secret=" + AuthorizationServer.CLIENT_SECRET,
            "tokenkeeper.clients.orders.origins=https://orders.example.com")
        .run(context -> {
          assertThat(context).hasNotFailed();
          TokenKeeper keeper = context.getBean("ordersTokenKeeper", TokenKeeper.class);
          AccessToken token = keeper.token();
          // Signed by the server it discovered, naming it as issuer.
          assertThat(SignedJWT.parse(token.value()).getJWTClaimsSet().getIssuer())
              .isEqualTo(server.issuer().toString());
          assertThat(server.tokenCalls(200)).isEqualTo(1);
        });
  }
}
