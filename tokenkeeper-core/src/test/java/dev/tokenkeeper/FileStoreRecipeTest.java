package dev.tokenkeeper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.testing.ScriptedTokenServer;
import java.net.URI;
import java.nio.file.Path;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's file store recipe, compiled and run here so it cannot rot. */
class FileStoreRecipeTest {

  /** README, "Keeping tokens across restarts and processes": the region below, checked by ReadmeSnippetsTest. */
  static AccessToken recipe(URI tokenEndpoint, Path tokensDir, SecretKey key) {
    OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(tokenEndpoint)
        .clientId("test-client").clientSecret("test-secret").build();
    // --- README: file-store ---
    FileTokenStore store = FileTokenStore.directory(tokensDir) // e.g. ~/.myapp/tokens, created rwx------
        .encryptWith(key)                                      // optional: a 256-bit AES key you keep elsewhere
        .identity("orders-service");                           // orders-service.tokens, rw-------
    try (TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.clientCredentials()).store(store).build()) {
      return keeper.token();                                   // a restarted keeper starts from the file
    }
    // --- end ---
  }

  @Test
  void recipe_aRestartedKeeperUsesTheStoredTokenWithoutCallingTheEndpoint(@TempDir Path dir)
      throws Exception {
    KeyGenerator generator = KeyGenerator.getInstance("AES");
    generator.init(256);
    SecretKey key = generator.generateKey();
    try (ScriptedTokenServer server = ScriptedTokenServer.newBuilder().build().start()) {
      AccessToken first = recipe(server.uri(), dir, key);
      AccessToken afterRestart = recipe(server.uri(), dir, key);

      assertThat(afterRestart.value()).isEqualTo(first.value());
      assertThat(server.tokenRequests()).isEqualTo(1);
      StoredTokens saved = FileTokenStore.directory(dir).encryptWith(key).identity("orders-service").load();
      assertThat(saved.accessToken().value()).isEqualTo(first.value());
      assertThat(saved.accessToken().expiresAt()).isEqualTo(first.expiresAt());
    }
  }
}
