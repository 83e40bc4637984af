package dev.tokenkeeper.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** Each bad property fails the startup with a message naming the property, and never the secret. */
class MisconfigurationTest {
  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(TokenKeeperAutoConfiguration.class));
  private static final String C = "tokenkeeper.clients.orders.";

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(delimiter = '|', value = {
      "grant|authorization_code|tokenkeeper.clients.orders.grant|unknown grant",
      "client-id||tokenkeeper.clients.orders.client-id|required",
      "origins|https://api.example.com/v1|tokenkeeper.clients.orders.origins|without a path",
      "origins|http://api.example.com|tokenkeeper.clients.orders.origins|clear text",
      "token-uri||tokenkeeper.clients.orders.token-uri|required",
      "token-uri|http://auth.example.com/token|tokenkeeper.clients.orders.token-uri|http",
      "issuer-uri|https://auth.example.com|tokenkeeper.clients.orders.issuer-uri|not both",
      "store|redis|tokenkeeper.clients.orders.store|memory or file",
      "client-authentication|private_key_jwt|tokenkeeper.clients.orders.client-authentication|use one of",
      "timeout|0s|tokenkeeper.clients.orders.timeout|positive"})
  void badProperty_failsStartup_namingTheProperty(String property, String value, String named, String reason) {
    runner.withPropertyValues(
            C + "token-uri=https://auth.example.com/oauth2/token",
            C + "client-id=orders-service",
            C + "client-secret=do-not-print-me",
            C + "origins=https://api.example.com",
            C + property + "=" + (value == null ? "" : value))
        .run(context -> {
          assertThat(context).hasFailed();
          Throwable failure = context.getStartupFailure();
          String messages = messages(failure);
          assertThat(messages).contains(named).contains(reason).doesNotContain("do-not-print-me");
        });
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"refresh_token, refresh-token", "password, username"})
  void grantWithoutItsCredentials_failsStartup_namingTheMissingProperty(String grant, String missing) {
    runner.withPropertyValues(
            C + "token-uri=https://auth.example.com/oauth2/token",
            C + "client-id=orders-service",
            C + "grant=" + grant,
            C + "origins=https://api.example.com")
        .run(context -> assertThat(messages(context.getStartupFailure())).contains(C + missing));
  }

  @org.junit.jupiter.api.Test
  void neitherTokenUriNorIssuerUri_failsStartup_namingTokenUriAndIssuerUri() {
    runner.withPropertyValues(C + "client-id=orders-service", C + "origins=https://api.example.com")
        .run(context -> assertThat(messages(context.getStartupFailure()))
            .contains(C + "token-uri").contains(C + "issuer-uri"));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"http://auth.example.com, plain http", "https://auth.example.com?tenant=1, query"})
  void badIssuerUri_failsStartup_namingIssuerUri(String issuer, String reason) {
    runner.withPropertyValues(
            C + "issuer-uri=" + issuer,
            C + "client-id=orders-service",
            C + "origins=https://api.example.com")
        .run(context -> assertThat(messages(context.getStartupFailure()))
            .contains(C + "issuer-uri").contains(reason));
  }

  @org.junit.jupiter.api.Test
  void goodClient_startsWithAKeeperBeanQualifiedByItsName() {
    runner.withPropertyValues(
            C + "token-uri=https://auth.example.com/oauth2/token",
            C + "client-id=orders-service",
            C + "client-secret=s3cret",
            C + "origins=https://api.example.com")
        .run(context -> {
          assertThat(context).hasNotFailed();
          assertThat(context).hasBean("ordersTokenKeeper");
          assertThat(context.getBean(TokenKeeperClients.class).keeper("orders"))
              .isSameAs(context.getBean("ordersTokenKeeper"));
        });
  }

  private static String messages(Throwable failure) {
    StringBuilder all = new StringBuilder();
    for (Throwable t = failure; t != null; t = t.getCause()) {
      all.append(t.getMessage()).append('\n');
    }
    return all.toString();
  }
}
