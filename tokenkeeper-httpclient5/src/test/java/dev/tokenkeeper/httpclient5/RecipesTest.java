package dev.tokenkeeper.httpclient5;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.OAuth2TokenEndpoint;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.testing.ScriptedApiServer;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import dev.tokenkeeper.testing.TestClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Runs the README recipes against the loopback servers, and checks the README shows them as compiled. */
class RecipesTest {
  private final TestClock clock = new TestClock();
  private final ScriptedTokenServer tokens = ScriptedTokenServer.newBuilder().clock(clock)
      .accessTokenTtl(Duration.ofMinutes(5)).build().start();
  private final ScriptedApiServer api = ScriptedApiServer.start(tokens, clock);
  private final TokenKeeper keeper = TokenKeeper.newBuilder(OAuth2TokenEndpoint.newBuilder(tokens.uri())
          .clientId("test-client").clientSecret("test-secret").build().clientCredentials())
      .clock(clock).scheduler(clock::schedule).build();

  @AfterEach
  void close() {
    keeper.close();
    api.close();
    tokens.close();
  }

  @Test
  void classicRecipe_callsTheApiWithAToken_acrossARefresh() throws Exception {
    assertThat(Recipes.classic(keeper, api.origin())).isEqualTo("ok test-client 0");
    clock.advance(Duration.ofMinutes(5));
    assertThat(Recipes.classic(keeper, api.origin())).isEqualTo("ok test-client 0");
    assertThat(tokens.tokenRequests()).isEqualTo(2);
    assertThat(api.authorizations()).hasSize(2).last().isEqualTo(keeper.token().authorizationHeader());
  }

  @Test
  void asyncRecipe_callsTheApiWithAToken_acrossARefresh() throws Exception {
    assertThat(Recipes.async(keeper, api.origin())).isEqualTo("ok test-client 0");
    clock.advance(Duration.ofMinutes(5));
    assertThat(Recipes.async(keeper, api.origin())).isEqualTo("ok test-client 0");
    assertThat(tokens.tokenRequests()).isEqualTo(2);
    assertThat(api.authorizations()).hasSize(2).last().isEqualTo(keeper.token().authorizationHeader());
  }

  @Test
  void readme_showsTheRecipesExactlyAsCompiled() throws IOException {
    String readme = Files.readString(Path.of("..", "README.md"));
    List<String> source = Files.readAllLines(Path.of("src/test/java/dev/tokenkeeper/httpclient5/Recipes.java"));
    for (String name : List.of("httpclient5", "httpclient5-async")) {
      assertThat(readme).contains("```java\n" + recipe(source, name) + "\n```");
    }
  }

  /** The lines between {@code // --- README: name ---} and the next {@code // --- end ---}, without their common indent. */
  private static String recipe(List<String> source, String name) {
    int start = source.stream().map(String::strip).collect(Collectors.toList()).indexOf("// --- README: " + name + " ---");
    assertThat(start).as("recipe " + name).isNotNegative();
    int end = start + 1;
    while (!source.get(end).strip().equals("// --- end ---")) {
      end++;
    }
    List<String> lines = source.subList(start + 1, end);
    int indent = lines.stream().filter(l -> !l.isBlank())
        .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
    return lines.stream().map(l -> l.isBlank() ? "" : l.substring(indent)).collect(Collectors.joining("\n"));
  }
}
