package dev.tokenkeeper.httpclient5;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.OAuth2TokenEndpoint;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.testing.ScriptedApiServer;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import dev.tokenkeeper.testing.TestClock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Runs the README recipes against the loopback servers. */
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
}
