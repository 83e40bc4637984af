package dev.tokenkeeper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.testing.ScriptedTokenServer;
import java.io.IOException;
import java.net.URI;
import org.junit.jupiter.api.Test;

/**
 * The README's recipes for discovery and client authentication, compiled and run here against a
 * real token server so they cannot rot ({@link ReadmeSnippetsTest}).
 */
class EnterpriseRecipesTest {

  static AccessToken discovery(URI issuer) throws IOException, InterruptedException {
    // --- README: discovery ---
    OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.forIssuer(issuer) // https://auth.example.com, as its metadata names it
        .clientId("test-client").clientSecret("test-secret")
        .build();                                              // fetches nothing yet
    try (TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.clientCredentials()).build()) {
      AuthorizationServerMetadata metadata = endpoint.metadata(); // fetched once, then cached
      System.out.println("token endpoint " + metadata.tokenEndpoint()
          + ", accepts private_key_jwt: " + metadata.supportsAuthMethod("private_key_jwt"));
      return keeper.token();
    }
    // --- end ---
  }

  @Test
  void discovery_recipe() throws Exception {
    try (ScriptedTokenServer server = ScriptedTokenServer.newBuilder().build().start()) {
      assertThat(discovery(server.issuerUri()).value()).isNotEmpty();
      assertThat(server.metadataRequests()).isEqualTo(1);
    }
  }
}
