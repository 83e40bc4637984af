package dev.tokenkeeper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.testing.ScriptedTokenServer;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * An application that keeps the common pool busy does not stall token refreshes. The future that
 * {@code HttpClient.sendAsync} returns completes through CompletableFuture's default pool, which on
 * JDK 25 is the common pool even with one worker (2 cores): the endpoint clients wait on their own
 * body subscriber instead. (On JDK 17 a one-worker common pool is not used, so this passes either
 * way there; CI runs it on JDK 25 too.)
 */
class BusyCommonPoolTest {

  @Test
  void everyCommonPoolWorkerBlocked_aRefreshStillCompletes_withinTheEndpointTimeout() throws Exception {
    int workers = Math.max(1, ForkJoinPool.getCommonPoolParallelism());
    CountDownLatch running = new CountDownLatch(workers);
    CountDownLatch release = new CountDownLatch(1);
    for (int i = 0; i < workers; i++) {
      ForkJoinPool.commonPool().execute(() -> {
        running.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
    }
    try (ScriptedTokenServer server = ScriptedTokenServer.newBuilder().build().start()) {
      assertThat(running.await(10, TimeUnit.SECONDS)).as("every common pool worker is busy").isTrue();
      OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(server.uri())
          .clientId("test-client").clientSecret("test-secret").timeout(Duration.ofSeconds(3)).build();
      long started = System.nanoTime();
      TokenResponse response = endpoint.clientCredentials().fetch(new TokenRequest(null, TokenRequest.Reason.INITIAL));
      assertThat(response.accessToken()).isNotEmpty();
      // Not a speed claim: a call held until the 3 s timeout would have failed above instead.
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
    } finally {
      release.countDown();
    }
  }
}
