package dev.tokenkeeper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.testing.ScriptedTokenServer;
import java.io.IOException;
import java.net.URI;
import java.security.KeyStore;
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

  static AccessToken privateKeyJwt(URI tokenEndpoint, KeyStore keyStore, char[] keyPassword)
      throws IOException, InterruptedException {
    // --- README: private-key-jwt ---
    ClientAssertionKey key = ClientAssertionKey.fromKeyStore(keyStore, "orders-service", keyPassword) // x5t#S256 from its certificate
        .withKeyId("orders-key-1");      // kid, for providers that match keys by id
    // or ClientAssertionKey.fromPem(Files.readString(pkcs8PemFile)), or .fromJwk(privateJwkJson)
    OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(tokenEndpoint)
        .clientId("orders-service")
        .privateKeyJwt(key)              // RS256 for RSA keys, ES256/384/512 for EC keys by curve
        .build();                        // aud = the token endpoint; .assertionAudience(issuer) if yours wants that
    try (TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.clientCredentials()).build()) {
      return keeper.token();
    }
    // --- end ---
  }

  static AccessToken clientSecretJwt(URI tokenEndpoint, String clientSecret)
      throws IOException, InterruptedException {
    // --- README: client-secret-jwt ---
    OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(tokenEndpoint)
        .clientId("orders-service")
        .clientSecret(clientSecret)      // at least 32 bytes: HS256 needs a 256-bit key
        .clientAuthentication(ClientAuthentication.CLIENT_SECRET_JWT)
        .build();
    try (TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.clientCredentials()).build()) {
      return keeper.token();
    }
    // --- end ---
  }

  @Test
  void privateKeyJwt_recipe() throws Exception {
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("tk-recipe");
    java.nio.file.Path p12 = dir.resolve("client.p12");
    try {
      Process keytool = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "keytool")
          .toString(), "-genkeypair", "-alias", "orders-service", "-keyalg", "RSA", "-keysize", "2048",
          "-dname", "CN=orders-service", "-validity", "2", "-storetype", "PKCS12", "-keystore", p12.toString(),
          "-storepass", "changeit").redirectErrorStream(true).start();
      keytool.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
      assertThat(keytool.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      KeyStore store = KeyStore.getInstance("PKCS12");
      try (java.io.InputStream in = java.nio.file.Files.newInputStream(p12)) {
        store.load(in, "changeit".toCharArray());
      }
      try (ScriptedTokenServer server = ScriptedTokenServer.newBuilder()
          .clientKey("orders-service", store.getCertificate("orders-service").getPublicKey()).build().start()) {
        assertThat(privateKeyJwt(server.uri(), store, "changeit".toCharArray()).value()).isNotEmpty();
        assertThat(server.acceptedClientAssertionIds()).hasSize(1);
      }
    } finally {
      java.nio.file.Files.deleteIfExists(p12);
      java.nio.file.Files.deleteIfExists(dir);
    }
  }

  @Test
  void clientSecretJwt_recipe() throws Exception {
    String secret = "orders-service-secret-of-at-least-32-bytes";
    try (ScriptedTokenServer server = ScriptedTokenServer.newBuilder().client("orders-service", secret).build().start()) {
      assertThat(clientSecretJwt(server.uri(), secret).value()).isNotEmpty();
      assertThat(server.acceptedClientAssertionIds()).hasSize(1);
    }
  }

  @Test
  void discovery_recipe() throws Exception {
    try (ScriptedTokenServer server = ScriptedTokenServer.newBuilder().build().start()) {
      assertThat(discovery(server.issuerUri()).value()).isNotEmpty();
      assertThat(server.metadataRequests()).isEqualTo(1);
    }
  }
}
