package dev.tokenkeeper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.testing.ScriptedApiServer;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.InstantSource;
import org.junit.jupiter.api.Test;

/** The README's JDK HttpClient recipe, compiled and run here so it cannot rot. */
class JdkRecipeTest {

  /** README, "JDK HttpClient": the region below is what the README shows ({@link ReadmeSnippetsTest}). */
  static String recipe(URI tokenEndpoint, URI apiOrigin) throws IOException, InterruptedException {
    // --- README: jdk ---
    OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(tokenEndpoint)
        .clientId("test-client").clientSecret("test-secret").build();
    try (TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.clientCredentials()).build()) {
      HttpClient client = TokenHttpClient.wrap(
          HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build(), // your client, as configured
          TokenPolicy.of(apiOrigin, keeper));                                   // only this origin gets tokens
      HttpResponse<String> response = client.send(
          HttpRequest.newBuilder(apiOrigin.resolve("/api/items")).build(), HttpResponse.BodyHandlers.ofString());
      return response.body();
    } // sendAsync works the same and never parks a thread while a refresh is in flight
    // --- end ---
  }

  @Test
  void recipe_runsAgainstARealTokenServerAndApi() throws Exception {
    try (ScriptedTokenServer tokens = ScriptedTokenServer.newBuilder().build().start();
        ScriptedApiServer api = ScriptedApiServer.start(tokens, InstantSource.system())) {
      assertThat(recipe(tokens.uri(), api.origin())).isEqualTo("ok test-client 0");
      assertThat(api.authorizations()).hasSize(1);
    }
  }
}
