package dev.tokenkeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.testing.ScriptedTokenServer;
import dev.tokenkeeper.testing.TestClock;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An answer the keeper cannot use (its access token already expired on the keeper's clock) still
 * carries the rotated refresh token: the server retired the one sent, so sending that one again
 * would be reuse, and a server with reuse detection would end the session.
 */
class RotationOfUnusableAnswerTest {
  private static final Duration TTL = Duration.ofMinutes(5);
  private final TestClock keeperClock = new TestClock();
  private final TestClock serverClock = new TestClock(keeperClock.instant());
  // No Date header and no expires_in: the keeper reads the JWT's exp on its own clock, which runs
  // ahead of the server's, so the first refresh arrives already expired.
  private final ScriptedTokenServer server = ScriptedTokenServer.newBuilder().clock(serverClock)
      .accessTokenTtl(TTL).rotateRefreshTokens(true).reuseDetection(true)
      .sendDateHeader(false).includeExpiresIn(false).build().start();

  @TempDir Path tokensDir;

  @AfterEach
  void stop() {
    server.close();
  }

  @ParameterizedTest(name = "shared store: {0}")
  @ValueSource(booleans = {false, true})
  void expiredOnArrival_theRotatedRefreshTokenIsKept_theNextAttemptUsesIt(boolean shared) {
    OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(server.uri())
        .clientId("test-client").clientSecret("test-secret").build();
    TokenStore store = shared ? FileTokenStore.directory(tokensDir).identity("alice") : TokenStore.inMemory();
    try (TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.refreshTokens()).clock(keeperClock)
        .scheduler(keeperClock::schedule).executor(Runnable::run).store(store).build()) {
      keeper.signIn(endpoint.password("alice", "wonderland".toCharArray()));
      RefreshToken signedIn = store.load().refreshToken();

      keeperClock.advance(TTL); // the server's clock stays behind by a whole lifetime
      assertThatThrownBy(() -> keeper.token(Duration.ZERO)).isInstanceOf(TokenRefreshException.class)
          .hasMessageContaining("already expired");
      assertThat(server.tokenRequests("refresh_token")).isEqualTo(1);
      RefreshToken rotated = store.load().refreshToken();
      assertThat(rotated).as("the rotated refresh token is in the store").isNotNull()
          .isNotEqualTo(signedIn);

      serverClock.advance(TTL.plusSeconds(10)); // clocks agree again
      keeperClock.advance(Duration.ofSeconds(10)); // past the backoff
      assertThat(keeper.token(Duration.ZERO).value()).isNotBlank();
      assertThat(server.tokenRequests("refresh_token")).isEqualTo(2);
      assertThat(server.reuseDetections()).isZero();
      assertThat(store.load().refreshToken()).isNotEqualTo(rotated);
    }
  }
}
