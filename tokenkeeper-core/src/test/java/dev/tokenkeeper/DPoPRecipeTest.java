package dev.tokenkeeper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.testing.ScriptedApiServer;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.InstantSource;
import org.junit.jupiter.api.Test;

/** The README's DPoP recipe, compiled and run here against servers that check every proof. */
class DPoPRecipeTest {

  /** README, "DPoP": the region below is what the README shows ({@link ReadmeSnippetsTest}). */
  static String recipe(URI tokenEndpoint, URI apiOrigin) throws IOException, InterruptedException {
    // --- README: dpop ---
    OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(tokenEndpoint)
        .clientId("test-client").clientSecret("test-secret").build();
    try (TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.clientCredentials())
        .dpop(DPoP.es256())   // a new P-256 key for this keeper; or DPoP.fromJwk(json), DPoP.of(keyPair, "ES256")
        .build()) {
      HttpClient client = TokenHttpClient.wrap(HttpClient.newHttpClient(), TokenPolicy.of(apiOrigin, keeper));
      HttpResponse<String> response = client.send(   // Authorization: DPoP <token>, DPoP: <a new proof>
          HttpRequest.newBuilder(apiOrigin.resolve("/api/items")).build(), HttpResponse.BodyHandlers.ofString());
      return response.body();
    }
    // --- end ---
  }

  @Test
  void recipe_runsAgainstATokenServerThatBindsAndAnApiThatVerifiesTheBinding() throws Exception {
    try (ScriptedTokenServer tokens = ScriptedTokenServer.newBuilder().build().start();
        ScriptedApiServer api = ScriptedApiServer.start(tokens, InstantSource.system())) {
      tokens.requireDPoPNonce(true);
      api.requireDPoPNonce(true);
      assertThat(recipe(tokens.uri(), api.origin())).isEqualTo("ok test-client 0");
      assertThat(api.dpopAccepted()).isEqualTo(1);
      assertThat(api.dpopNonceChallenges()).isEqualTo(1);
      assertThat(tokens.dpopNonceChallenges()).isEqualTo(1);
      assertThat(tokens.dpopBoundTokens()).isEqualTo(1);
    }
  }
}
