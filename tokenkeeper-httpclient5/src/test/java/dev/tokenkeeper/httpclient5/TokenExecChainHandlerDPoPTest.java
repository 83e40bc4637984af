package dev.tokenkeeper.httpclient5;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.DPoP;
import dev.tokenkeeper.OAuth2TokenEndpoint;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.testing.ScriptedApiServer;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import dev.tokenkeeper.testing.TestClock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * DPoP through the classic and the async handler (the README recipes), against a token endpoint
 * that binds tokens to the proof's key and an API that checks every proof, the binding and its
 * nonce.
 */
// A keeper on a test clock waits for a failing refresh until the test moves the clock: a broken
// DPoP step would hang the test instead of failing it.
@Timeout(60)
class TokenExecChainHandlerDPoPTest {
  private final TestClock clock = new TestClock();
  private final ScriptedTokenServer tokens = ScriptedTokenServer.newBuilder().clock(clock)
      .accessTokenTtl(Duration.ofMinutes(5)).build().start();
  private final ScriptedApiServer api = ScriptedApiServer.start(tokens, clock);
  private final TokenKeeper keeper = TokenKeeper.newBuilder(OAuth2TokenEndpoint.newBuilder(tokens.uri())
          .clientId("test-client").clientSecret("test-secret").build().clientCredentials())
      .dpop(DPoP.es256()).clock(clock).scheduler(clock::schedule).build();

  @AfterEach
  void close() {
    keeper.close();
    api.close();
    tokens.close();
  }

  @Test
  void classic_proofPerRequest_apiNonceRequiredThenSupplied_acrossARefresh() throws Exception {
    api.requireDPoPNonce(true);

    assertThat(Recipes.classic(keeper, api.origin())).isEqualTo("ok test-client 0");
    clock.advance(Duration.ofMinutes(5));
    assertThat(Recipes.classic(keeper, api.origin())).isEqualTo("ok test-client 0");

    assertThat(api.dpopNonceChallenges()).isEqualTo(1);
    assertThat(api.dpopAccepted()).isEqualTo(2);
    assertThat(api.dpopFailures()).as("%s", api.lastDPoPFailure()).isZero();
    assertThat(tokens.dpopBoundTokens()).isEqualTo(tokens.tokenRequests()).isEqualTo(2);
  }

  @Test
  void async_proofPerRequest_apiNonceRequiredThenSupplied_acrossARefresh() throws Exception {
    api.requireDPoPNonce(true);

    assertThat(Recipes.async(keeper, api.origin())).isEqualTo("ok test-client 0");
    clock.advance(Duration.ofMinutes(5));
    assertThat(Recipes.async(keeper, api.origin())).isEqualTo("ok test-client 0");

    assertThat(api.dpopNonceChallenges()).isEqualTo(1);
    assertThat(api.dpopAccepted()).isEqualTo(2);
    assertThat(api.dpopFailures()).as("%s", api.lastDPoPFailure()).isZero();
    assertThat(tokens.dpopBoundTokens()).isEqualTo(2);
  }
}
