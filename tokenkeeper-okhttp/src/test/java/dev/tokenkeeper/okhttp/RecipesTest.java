package dev.tokenkeeper.okhttp;

import static dev.tokenkeeper.okhttp.TestBed.TTL;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Runs the README recipes against the loopback servers. */
class RecipesTest {
  private final TestBed bed = new TestBed();

  @AfterEach
  void close() throws Exception {
    bed.close();
  }

  @Test
  void okHttpRecipe_callsTheApiWithAToken() throws IOException {
    assertThat(Recipes.okHttp(bed.keeper, bed.api.origin())).isEqualTo("ok test-client 0");
    assertThat(bed.api.authorizations()).containsExactly(bed.keeper.token().authorizationHeader());
  }

  @Test
  void retrofitRecipe_callsTheApiWithAToken_acrossARefresh() throws IOException {
    Recipes.Items items = Recipes.items(bed.policy, bed.api.origin());
    assertThat(items.list().execute().body()).isEqualTo("ok test-client 0");
    bed.clock.advance(TTL);
    assertThat(items.list().execute().body()).isEqualTo("ok test-client 0");
    assertThat(bed.tokens.tokenRequests()).isEqualTo(2);
  }
}
