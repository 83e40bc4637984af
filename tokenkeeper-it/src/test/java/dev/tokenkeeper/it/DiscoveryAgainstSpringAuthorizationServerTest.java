package dev.tokenkeeper.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.AuthorizationServerMetadata;
import dev.tokenkeeper.DiscoveryException;
import dev.tokenkeeper.OAuth2TokenEndpoint;
import dev.tokenkeeper.TokenHttpClient;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenPolicy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** Discovery against Spring Authorization Server, from its issuer URL alone. */
class DiscoveryAgainstSpringAuthorizationServerTest extends AgainstSpringAuthorizationServer {

  @Test
  void issuerUrlOnly_endpointsFromSasMetadata_tokenAcceptedByTheApi() throws Exception {
    OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.forIssuer(server.origin())
        .clientId(SpringAuthorizationServer.SERVICE_ID)
        .clientSecret(SpringAuthorizationServer.SERVICE_SECRET)
        .build();
    AuthorizationServerMetadata metadata = endpoint.metadata();
    assertThat(metadata.issuer()).isEqualTo(server.origin().toString());
    assertThat(metadata.tokenEndpoint()).isEqualTo(server.tokenEndpoint());
    assertThat(metadata.revocationEndpoint()).isEqualTo(server.origin().resolve("/oauth2/revoke"));
    assertThat(metadata.introspectionEndpoint()).isEqualTo(server.origin().resolve("/oauth2/introspect"));
    assertThat(metadata.tokenEndpointAuthMethodsSupported())
        .contains("client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt");
    try (TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.clientCredentials()).build()) {
      HttpClient client = TokenHttpClient.wrap(HttpClient.newHttpClient(), TokenPolicy.of(server.origin(), keeper));
      HttpResponse<String> answer = client.send(HttpRequest.newBuilder(server.api()).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(answer.statusCode()).isEqualTo(200);
      assertThat(answer.body()).isEqualTo(SpringAuthorizationServer.SERVICE_ID);
    }
    assertThat(ledger.tokenCalls("client_credentials", 200)).isEqualTo(1);
  }

  @Test
  void issuerWithATrailingSlash_isNotSasIssuer_mixUpDefenceRefusesIt() {
    URI withSlash = URI.create(server.origin() + "/");
    OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.forIssuer(withSlash)
        .clientId(SpringAuthorizationServer.SERVICE_ID)
        .clientSecret(SpringAuthorizationServer.SERVICE_SECRET)
        .build();
    assertThatThrownBy(endpoint::metadata).isInstanceOfSatisfying(DiscoveryException.class,
        e -> assertThat(e.reason()).isEqualTo(DiscoveryException.Reason.ISSUER_MISMATCH));
    assertThat(ledger.tokenCalls("client_credentials")).isZero();
  }
}
