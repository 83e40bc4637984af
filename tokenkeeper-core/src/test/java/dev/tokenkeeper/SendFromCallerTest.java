package dev.tokenkeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.testing.Fault;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A built-in endpoint's call is handed to the HTTP client on the thread of the caller that found the
 * token unusable, not after a hand-off to another thread (issue 15, B2): the keeper's own threads
 * only handle the answer. The HTTP client here runs its work on an executor that records which
 * thread handed it each task: {@code sendAsync} hands over its first task on the thread that called
 * it.
 */
class SendFromCallerTest {
  private final ScriptedTokenServer server = ScriptedTokenServer.newBuilder()
      .rotateRefreshTokens(true).reuseDetection(true).build().start();
  private final List<String> handedBy = new CopyOnWriteArrayList<>();
  private final ExecutorService clientThreads = Executors.newCachedThreadPool(
      r -> new Thread(r, "client-" + System.identityHashCode(r)));
  private final HttpClient http = HttpClient.newBuilder()
      .followRedirects(HttpClient.Redirect.NEVER)
      .executor(task -> {
        handedBy.add(Thread.currentThread().getName());
        clientThreads.execute(task);
      })
      .build();
  private final OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(server.uri())
      .clientId("test-client").clientSecret("test-secret").httpClient(http).build();

  @AfterEach
  void stop() {
    server.close();
    clientThreads.shutdownNow();
  }

  @Test
  void expiredToken_theCallerThatFoundItHandsTheRequestToTheClient() throws Exception {
    try (TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.clientCredentials()).build()) {
      String token = callOn("caller-1", keeper);
      assertThat(token).isNotEmpty();
      assertThat(handedBy).first().isEqualTo("caller-1");
      assertThat(server.tokenRequests()).isEqualTo(1);
    }
  }

  /**
   * The caller only hands the request over: with the answer held by the server, {@code tokenAsync}
   * returns an incomplete future although the request has reached the server; the answer is handled
   * where it arrives, on the HTTP client's thread (where the listener hears it), not the caller's.
   */
  @Test
  void theCallerDoesNotWaitForTheAnswer() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    server.enqueue(Fault.hold(release));
    List<String> refreshedOn = new CopyOnWriteArrayList<>();
    try (TokenKeeper keeper = recordingWhereRefreshed("sender", refreshedOn)) {
      java.util.concurrent.CompletableFuture<AccessToken> token = keeper.tokenAsync(Duration.ofSeconds(10));
      assertThat(handedBy).first().isEqualTo(Thread.currentThread().getName());
      assertThat(server.awaitTokenRequests(1, Duration.ofSeconds(10))).isTrue();
      assertThat(token).isNotDone();
      release.countDown();
      assertThat(token.get(10, TimeUnit.SECONDS).value()).isNotEmpty();
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !refreshedOn.isEmpty());
      assertThat(refreshedOn).singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
          .doesNotStartWith("tokenkeeper-").isNotEqualTo(Thread.currentThread().getName());
    }
  }

  /**
   * With the keeper's own threads and its in-memory store, the new token is published, the blocking
   * callers released and the listener told on the HTTP client's thread that delivered the answer,
   * without a hand-off to a keeper thread (which, idle, has to be started first: 1-4 ms in B2). The
   * callbacks of {@code tokenAsync} futures, which may be any code, still run on the keeper's thread.
   * The listener is told on the thread that settled the flight, right after the blocking callers
   * were released: that thread is the answer's, one of the client's or of {@code CompletableFuture}'s
   * default pool (which the JDK client completes some futures on), never a keeper thread.
   */
  @Test
  void theNewTokenIsPublishedOnTheClientsThread_asyncCallbacksOnTheKeepers() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    server.enqueue(Fault.hold(release));
    List<String> refreshedOn = new CopyOnWriteArrayList<>();
    try (TokenKeeper keeper = recordingWhereRefreshed("here", refreshedOn)) {
      java.util.concurrent.CompletableFuture<String> callbackOn = keeper.tokenAsync(Duration.ofSeconds(10))
          .thenApply(token -> Thread.currentThread().getName());
      assertThat(server.awaitTokenRequests(1, Duration.ofSeconds(10))).isTrue();
      release.countDown();
      assertThat(callOn("caller-1", keeper)).isNotEmpty();
      assertThat(callbackOn.get(10, TimeUnit.SECONDS)).startsWith("tokenkeeper-here");
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !refreshedOn.isEmpty());
      assertThat(refreshedOn).singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
          .doesNotStartWith("tokenkeeper-").isNotIn("caller-1", Thread.currentThread().getName());
      assertThat(server.tokenRequests()).isEqualTo(1);
    }
  }

  /** A store of the application's may block: the whole answer is handled on the keeper's thread. */
  @Test
  void withAStoreOfTheApplications_theAnswerIsHandledOnTheKeepersThread() throws Exception {
    TokenStore memory = TokenStore.inMemory();
    List<String> savedOn = new CopyOnWriteArrayList<>();
    TokenStore own = new TokenStore() {
      @Override
      public StoredTokens load() {
        return memory.load();
      }

      @Override
      public boolean compareAndSet(long expectedVersion, StoredTokens replacement) {
        savedOn.add(Thread.currentThread().getName());
        return memory.compareAndSet(expectedVersion, replacement);
      }
    };
    try (TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.clientCredentials()).name("own").store(own).build()) {
      assertThat(callOn("caller-1", keeper)).isNotEmpty();
      assertThat(handedBy).first().isEqualTo("caller-1");
      assertThat(savedOn).hasSize(1).first(org.assertj.core.api.InstanceOfAssertFactories.STRING)
          .startsWith("tokenkeeper-own");
    }
  }

  /** A keeper named {@code name} whose listener adds the name of the thread it hears each refresh on. */
  private TokenKeeper recordingWhereRefreshed(String name, List<String> refreshedOn) {
    return TokenKeeper.newBuilder(endpoint.clientCredentials()).name(name)
        .listener(new TokenListener() {
          @Override
          public void onRefreshed(Refreshed event) {
            refreshedOn.add(Thread.currentThread().getName());
          }
        }).build();
  }

  @Test
  void givenAnExecutor_theRefreshRunsThereAsBefore() throws Exception {
    ExecutorService refreshes = Executors.newSingleThreadExecutor(r -> new Thread(r, "app-refresh"));
    try (TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.clientCredentials()).executor(refreshes).build()) {
      assertThat(callOn("caller-1", keeper)).isNotEmpty();
      assertThat(handedBy).first().isEqualTo("app-refresh");
    } finally {
      refreshes.shutdownNow();
    }
  }

  @Test
  void manyCallersOnAnExpiredToken_oneCall_everyoneGetsItsToken() throws Exception {
    server.failAll(Fault.delay(Duration.ofMillis(50)));
    ExecutorService callers = Executors.newFixedThreadPool(64);
    try (TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.refreshTokens()).build()) {
      keeper.signIn(endpoint.password("alice", "wonderland".toCharArray()));
      for (int round = 1; round <= 5; round++) {
        keeper.invalidate(keeper.token());
        CountDownLatch start = new CountDownLatch(1);
        List<Future<String>> calls = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
          calls.add(callers.submit(() -> {
            start.await();
            return keeper.token(Duration.ofSeconds(10)).value();
          }));
        }
        start.countDown();
        Set<String> seen = ConcurrentHashMap.newKeySet();
        for (Future<String> call : calls) {
          seen.add(call.get(20, TimeUnit.SECONDS));
        }
        assertThat(seen).as("round %d", round).hasSize(1);
        assertThat(server.tokenRequests("refresh_token")).isEqualTo(round);
      }
      assertThat(server.reuseDetections()).isZero();
    } finally {
      callers.shutdownNow();
    }
  }

  @Test
  void refusedRefresh_fromTheCallersSend_endsTheSession() throws Exception {
    try (TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.refreshTokens()).build()) {
      keeper.signIn(endpoint.password("alice", "wonderland".toCharArray()));
      server.enqueue(Fault.invalidGrant());
      keeper.invalidate(keeper.token());
      assertThatThrownBy(() -> keeper.token(Duration.ofSeconds(10)))
          .isInstanceOf(ReauthenticationRequiredException.class);
      assertThat(server.tokenRequests("refresh_token")).isEqualTo(1);
    }
  }

  @Test
  void closedWhileTheAnswerIsOnItsWay_theRotatedRefreshTokenIsStillSaved() throws Exception {
    TokenStore store = TokenStore.inMemory();
    CountDownLatch release = new CountDownLatch(1);
    TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.refreshTokens()).store(store).build();
    keeper.signIn(endpoint.password("alice", "wonderland".toCharArray()));
    RefreshToken before = store.load().refreshToken();
    server.enqueue(Fault.holdResponse(release));
    keeper.invalidate(keeper.token());
    assertThatThrownBy(() -> keeper.token(Duration.ZERO)).isInstanceOf(TokenTimeoutException.class);
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> server.issuedAccessTokens() == 2);
    keeper.close(); // the server rotated; its answer is still held
    release.countDown();
    Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(store.load().refreshToken()).isNotNull().isNotEqualTo(before));
  }

  private static String callOn(String name, TokenKeeper keeper) throws Exception {
    String[] token = new String[1];
    Throwable[] failure = new Throwable[1];
    Thread caller = new Thread(() -> {
      try {
        token[0] = keeper.token(Duration.ofSeconds(10)).value();
      } catch (Throwable t) {
        failure[0] = t;
      }
    }, name);
    caller.start();
    caller.join(TimeUnit.SECONDS.toMillis(20));
    if (failure[0] != null) {
      throw new AssertionError(failure[0]);
    }
    return token[0];
  }
}
