package dev.tokenkeeper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.testing.ScriptedTokenServer;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's many-identities recipe, compiled and run here so it cannot rot. */
class TokenKeepersRecipeTest {

  @Test
  void recipe_oneKeeperPerTenant_eachResumingFromItsFile(@TempDir Path tokensDir) throws Exception {
    try (ScriptedTokenServer server = ScriptedTokenServer.newBuilder().rotateRefreshTokens(true)
        .reuseDetection(true).build().start()) {
      OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(server.uri())
          .clientId("test-client").clientSecret("test-secret").build();
      for (String tenant : new String[] {"acme", "globex"}) { // each connected once, by a login
        FileTokenStore.directory(tokensDir).identity(tenant).compareAndSet(0,
            new StoredTokens(1, null, new RefreshToken(server.issueLogin(tenant))));
      }
      // --- README: many-identities ---
      FileTokenStore.Builder stores = FileTokenStore.directory(tokensDir); // one file per tenant
      try (TokenKeepers<String> tenants = TokenKeepers.newBuilder((String tenant) ->
              TokenKeeper.newBuilder(endpoint.refreshTokens()).store(stores.identity(tenant)))
          .idleTimeout(Duration.ofMinutes(30))  // idle keepers are closed; their sessions stay in the files
          .maximumSize(10_000)                  // least recently used closed first beyond this
          .build()) {
        AccessToken acme = tenants.token("acme");     // built on first use, then reused
        AccessToken globex = tenants.token("globex");
        // --- end ---
        assertThat(acme).isNotEqualTo(globex);
        tenants.evict("acme");
        assertThat(tenants.token("acme")).isEqualTo(acme); // resumed from its file
      }
      assertThat(server.tokenRequests("refresh_token")).isEqualTo(2);
      assertThat(server.reuseDetections()).isZero();
    }
  }
}
