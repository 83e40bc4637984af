package dev.tokenkeeper;

import static dev.tokenkeeper.KeeperTestSupport.TTL;
import static dev.tokenkeeper.KeeperTestSupport.initial;
import static dev.tokenkeeper.KeeperTestSupport.keeper;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.testing.Fault;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import dev.tokenkeeper.testing.TestClock;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** No refresh can wedge the keeper: stalled bodies, sources that never return, late answers. */
class AttemptDeadlineTest {
  private final TestClock clock = new TestClock();
  private final RecordingListener listener = new RecordingListener();
  private final ThreadPoolExecutor refreshThreads = (ThreadPoolExecutor) Executors.newCachedThreadPool();

  @AfterEach
  void stopThreads() {
    refreshThreads.shutdownNow();
  }

  @Test
  void endpointStallsMidBody_callerFailsWithinItsDeadline_nextAttemptReachesTheEndpoint_thenRecovers()
      throws Exception {
    try (ScriptedTokenServer server = ScriptedTokenServer.newBuilder().build().start()) {
      OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(server.uri())
          .clientId("test-client").clientSecret("test-secret").timeout(Duration.ofMillis(500)).build();
      try (TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.clientCredentials()).listener(listener)
          .backoff(Duration.ofMillis(50), Duration.ofMillis(100)).build()) {
        server.failAll(Fault.stallMidBody());
        // Headers, then nothing: before, the refresh thread sat in the body read forever.
        assertThatThrownBy(() -> keeper.tokenAsync(Duration.ofSeconds(3)).get(10, TimeUnit.SECONDS))
            .hasCauseInstanceOf(TokenRefreshException.class);
        assertThat(server.tokenRequests()).as("attempts reached the endpoint").isGreaterThanOrEqualTo(2);
        assertThat(listener.failures).extracting(TokenListener.RefreshFailed::failure)
            .anyMatch(f -> f.contains("did not send its whole answer within 500 ms") && f.contains(server.uri().getPath()));

        server.clearFaults();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
            assertThat(keeper.token(Duration.ofSeconds(5)).value()).isNotEmpty());
        // The listener hears it after the caller was released, on the refresh thread.
        org.awaitility.Awaitility.await().untilAsserted(() -> assertThat(listener.refreshes).hasSize(1));
      }
    }
  }

  @Test
  void sourceNeverReturns_attemptAbandonedAtItsTimeout_retryGetsTheToken_lateAnswerDropped() throws Exception {
    CountDownLatch never = new CountDownLatch(1);
    FakeSource hung = new FakeSource(TTL);
    TokenSource source = request -> {
      if (hung.calls.get() == 0) {
        hung.calls.incrementAndGet();
        hung.entered.release();
        never.await(); // the first call hangs until the test ends
        return TokenResponse.bearer("late").withExpiresIn(TTL).withRefreshToken("refresh-late");
      }
      return hung.fetch(request);
    };
    try (TokenKeeper keeper = TokenKeeper.newBuilder(source).clock(clock).scheduler(clock::schedule)
        .executor(refreshThreads).jitter(0).random(() -> 0L).listener(listener)
        .attemptTimeout(Duration.ofSeconds(5)).initialTokens(initial()).build()) {
      clock.advance(TTL);
      CompletableFuture<AccessToken> waiter = keeper.tokenAsync(Duration.ofSeconds(30));
      assertThat(hung.entered.tryAcquire(10, TimeUnit.SECONDS)).isTrue();

      clock.advance(Duration.ofMillis(4_999));
      assertThat(waiter).isNotDone();
      assertThat(listener.failures).isEmpty();
      clock.advance(Duration.ofMillis(1)); // the attempt timeout: abandoned, a temporary failure
      org.awaitility.Awaitility.await().untilAsserted(() -> assertThat(listener.failures).hasSize(1));
      assertThat(listener.failures.get(0).failure()).contains("did not answer within 5000 ms");
      assertThat(listener.failures.get(0).reason()).isEqualTo(TokenFailure.ENDPOINT_FAILING);
      assertThat(waiter).isNotDone();

      clock.advance(Duration.ofSeconds(1)); // the retry, 1 s later since a caller waits
      assertThat(waiter.get(10, TimeUnit.SECONDS).value()).isEqualTo("access-2");

      never.countDown(); // the hung call answers at last: something newer exists, so it is dropped
      org.awaitility.Awaitility.await().until(() -> refreshThreads.getActiveCount() == 0);
      assertThat(keeper.token().value()).isEqualTo("access-2");
    }
  }

  @Test
  void lateAnswerOfAnAbandonedAttempt_isKept_whenNothingNewerArrived() throws Exception {
    CountDownLatch slow = new CountDownLatch(1);
    List<String> sent = new ArrayList<>();
    TokenSource source = request -> {
      synchronized (sent) {
        sent.add(request.refreshToken().value());
      }
      if (request.refreshToken().value().equals("refresh-0") && sent.size() == 1) {
        slow.await(); // the server rotates refresh-0, but the answer is slow
        return TokenResponse.bearer("access-late").withExpiresIn(TTL).withRefreshToken("refresh-1");
      }
      throw new IOException("the endpoint is down now");
    };
    TokenStore store = TokenStore.inMemory();
    try (TokenKeeper keeper = TokenKeeper.newBuilder(source).clock(clock).scheduler(clock::schedule)
        .executor(refreshThreads).jitter(0).random(() -> 0L).listener(listener).store(store)
        .attemptTimeout(Duration.ofSeconds(5)).initialTokens(initial()).build()) {
      clock.advance(TTL);
      CompletableFuture<AccessToken> waiter = keeper.tokenAsync(Duration.ofSeconds(30));
      org.awaitility.Awaitility.await().until(() -> sent.size() == 1);
      clock.advance(Duration.ofSeconds(5)); // abandoned
      org.awaitility.Awaitility.await().untilAsserted(() -> assertThat(listener.failures).hasSize(1));
      clock.advance(Duration.ofSeconds(1)); // the retry fails too (it still holds refresh-0)
      org.awaitility.Awaitility.await().untilAsserted(() -> assertThat(listener.failures).hasSize(2));

      slow.countDown(); // the first answer arrives: it holds the only live refresh token
      assertThat(waiter.get(10, TimeUnit.SECONDS).value()).isEqualTo("access-late");
      assertThat(store.load().refreshToken()).isEqualTo(new RefreshToken("refresh-1"));
      assertThat(keeper.token().value()).isEqualTo("access-late");
    }
  }

  @Test
  void tenThousandCallersTimingOut_whileTheAttemptHangs_leaveNoWaitersBehind() throws Exception {
    FakeSource source = new FakeSource(TTL);
    try (TokenKeeper keeper = keeper(source, clock).executor(refreshThreads)
        .attemptTimeout(Duration.ofHours(1)).initialTokens(initial()).build()) {
      clock.advance(TTL);
      CountDownLatch release = source.hold();
      List<CompletableFuture<AccessToken>> callers = new ArrayList<>();
      for (int i = 0; i < 10_000; i++) {
        callers.add(keeper.tokenAsync(Duration.ofSeconds(1)));
      }
      assertThat(source.entered.tryAcquire(10, TimeUnit.SECONDS)).isTrue();
      assertThat(keeper.waitingCallers()).isEqualTo(10_000);
      clock.advance(Duration.ofSeconds(1));
      for (CompletableFuture<AccessToken> caller : callers) {
        assertThatThrownBy(() -> caller.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(TokenTimeoutException.class);
      }
      // The attempt still hangs, and keeps no reference to the 10,000 callers that gave up.
      assertThat(source.calls).hasValue(1);
      assertThat(keeper.waitingCallers()).isZero();
      release.countDown();
      assertThat(keeper.token(Duration.ofSeconds(10)).value()).isEqualTo("access-1");
    }
  }
}
