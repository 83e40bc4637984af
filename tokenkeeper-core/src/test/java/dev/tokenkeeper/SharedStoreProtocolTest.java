package dev.tokenkeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.awaitility.Awaitility.await;

import dev.tokenkeeper.SharedTokenStore.RefreshLease;
import dev.tokenkeeper.testing.Fault;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import dev.tokenkeeper.testing.TestClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shared-state protocol in one JVM: several keepers on one {@link FileTokenStore} (each with
 * its own store object, as separate processes would have) against a real token endpoint with
 * rotation and reuse detection. Time is the test's clock; the store's waits are real but short.
 * Processes are in {@code SharedStoreProcessTest}.
 */
class SharedStoreProtocolTest {
  private static final Duration TTL = Duration.ofMinutes(5);
  private final TestClock clock = new TestClock();
  private final ScriptedTokenServer server = ScriptedTokenServer.newBuilder().clock(clock)
      .accessTokenTtl(TTL).rotateRefreshTokens(true).reuseDetection(true).build().start();
  private final OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(server.uri())
      .clientId("test-client").clientSecret("test-secret").build();
  private final List<TokenKeeper> keepers = new ArrayList<>();
  private final ExecutorService threads = Executors.newFixedThreadPool(32);
  @TempDir Path dir;

  @AfterEach
  void stop() {
    threads.shutdownNow();
    keepers.forEach(TokenKeeper::close);
    server.close();
  }

  private FileTokenStore store() {
    return FileTokenStore.directory(dir).identity("alice");
  }

  /** A keeper on its own store object; the first one built on an empty store signs in. */
  private TokenKeeper keeper(String name) {
    TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.refreshTokens()).name(name).clock(clock)
        .scheduler(clock::schedule).jitter(0).random(() -> 0L).store(store())
        .initialTokens(TokenResponse.bearer(server.mintAccessToken("alice", TTL))
            .withExpiresIn(TTL).withRefreshToken(login()))
        .build();
    keepers.add(keeper);
    return keeper;
  }

  private String login;

  private synchronized String login() {
    if (login == null) {
      login = server.issueLogin("alice");
    }
    return login;
  }

  @Test
  void keeperBAdoptsTheTokenKeeperARotated_insteadOfSendingItsOwnCopy() {
    TokenKeeper a = keeper("a");
    TokenKeeper b = keeper("b"); // loads the same refresh token R0 into memory
    clock.advance(TTL);
    AccessToken fromA = a.token(); // R0 -> R1, saved before it is handed out
    AccessToken fromB = b.token(); // reads the store first: R1's token, no call with R0
    assertThat(fromB).isEqualTo(fromA);
    assertThat(server.tokenRequests("refresh_token")).isEqualTo(1);

    clock.advance(TTL);
    AccessToken second = b.token(); // now B refreshes, with R1 from the store
    assertThat(a.token()).isEqualTo(second);
    assertThat(server.tokenRequests("refresh_token")).isEqualTo(2);
    assertThat(server.reuseDetections()).isZero();
  }

  @Test
  void threeKeepersManyThreads_thirtyExpiries_exactlyOneEndpointCallEach_zeroReuse() throws Exception {
    storm(threads, 30, 30);
  }

  @Test
  void threeKeepers1000VirtualThreads_tenExpiries_exactlyOneEndpointCallEach_zeroReuse() throws Exception {
    assumeTrue(Runtime.version().feature() >= 21, "virtual threads need JDK 21+; .ci/run runs this on JDK 25");
    ExecutorService virtual = (ExecutorService) Executors.class
        .getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
    try {
      storm(virtual, 10, 1_000);
    } finally {
      virtual.shutdownNow();
    }
  }

  /** {@code cycles} times: every keeper's token expires, {@code callers} callers over three keepers. */
  private void storm(ExecutorService threads, int cycles, int callers) throws Exception {
    List<TokenKeeper> three = List.of(keeper("a"), keeper("b"), keeper("c"));
    int failures = 0;
    for (int cycle = 1; cycle <= cycles; cycle++) {
      clock.advance(TTL); // every keeper's token expired at once
      CountDownLatch start = new CountDownLatch(1);
      List<Future<AccessToken>> calls = new ArrayList<>();
      for (int i = 0; i < callers; i++) {
        TokenKeeper keeper = three.get(i % 3);
        calls.add(threads.submit(() -> {
          start.await();
          return keeper.token(Duration.ofSeconds(30));
        }));
      }
      start.countDown();
      Set<String> seen = ConcurrentHashMap.newKeySet();
      for (Future<AccessToken> call : calls) {
        try {
          seen.add(call.get(30, TimeUnit.SECONDS).value());
        } catch (Exception e) {
          failures++;
        }
      }
      assertThat(seen).as("cycle %d: one token for every keeper", cycle).hasSize(1);
      assertThat(server.tokenRequests("refresh_token")).as("cycle %d", cycle).isEqualTo(cycle);
    }
    assertThat(failures).isZero();
    assertThat(server.reuseDetections()).isZero();
  }

  @Test
  void aProactiveRefreshFindsTheOtherKeepersFreshToken_andMakesNoCall() {
    TokenKeeper a = keeper("a");
    TokenKeeper b = keeper("b");
    clock.advance(TTL.multipliedBy(9).dividedBy(10)); // stale for both, not expired
    AccessToken old = a.token();
    await().until(() -> server.tokenRequests("refresh_token") == 1 && !a.token().equals(old));
    AccessToken refreshed = a.token();
    assertThat(b.token()).isEqualTo(old); // stale: served at once, B's background refresh starts
    await().until(() -> b.token().equals(refreshed));
    assertThat(server.tokenRequests("refresh_token")).isEqualTo(1);
  }

  @Test
  void callersWaitingOnAProactiveRefresh_getANewerUsableToken_evenIfTheKeepersWindowCallsItStale()
      throws Exception {
    // The lease wait is bounded by the attempt timeout on the keeper's clock: longer than the
    // minute this test moves the clock, so the refresh is still waiting when the write arrives.
    TokenKeeper a = TokenKeeper.newBuilder(endpoint.refreshTokens()).name("a").clock(clock)
        .scheduler(clock::schedule).jitter(0).random(() -> 0L).store(store())
        .attemptTimeout(Duration.ofMinutes(5))
        .initialTokens(TokenResponse.bearer(server.mintAccessToken("alice", TTL))
            .withExpiresIn(TTL).withRefreshToken(login()))
        .build();
    keepers.add(a);
    FileTokenStore other = store();
    RefreshLease lease = other.tryLease(Duration.ofMinutes(1)); // held by the other keeper throughout
    assertThat(lease).isNotNull();
    clock.advance(TTL.multipliedBy(9).dividedBy(10)); // stale, not expired
    a.token(); // served; the background (proactive) refresh waits for the lease
    clock.advance(TTL.dividedBy(5)); // now expired: a caller joins the proactive refresh
    CompletableFuture<AccessToken> waiting = a.tokenAsync(Duration.ofMinutes(1));
    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> !waiting.isDone());
    // The other keeper saves a token that is usable but stale on arrival by this keeper's window
    // (6 s tokens, 5 s leeway), and keeps the lease (it may refresh again at once, as a busy
    // process with a slow endpoint does). Seen in the demo: callers hung behind the proactive
    // refresh, which waited for a fresh token while newer usable ones kept arriving.
    StoredTokens before = other.load();
    AccessToken theirs = new AccessToken(server.mintAccessToken("alice", TTL), "Bearer",
        clock.instant(), clock.instant().plusSeconds(6), Set.of());
    assertThat(other.compareAndSet(before.version(), before.next(theirs, before.refreshToken()))).isTrue();
    assertThat(waiting.get(10, TimeUnit.SECONDS)).isEqualTo(theirs);
    assertThat(server.tokenRequests()).isZero();
    lease.release();
  }

  @Test
  void aRefusedRefreshTokenEndsTheSessionInEveryKeeper_withOneEndpointCall() {
    TokenKeeper a = keeper("a");
    TokenKeeper b = keeper("b");
    server.enqueue(Fault.oauthError(400, "invalid_grant"));
    clock.advance(TTL);
    assertThatThrownBy(a::token).isInstanceOf(ReauthenticationRequiredException.class);
    assertThat(store().load().sessionEnded())
        .isEqualTo(ReauthenticationRequiredException.Reason.CREDENTIALS_REJECTED);
    assertThatThrownBy(b::token).isInstanceOf(ReauthenticationRequiredException.class)
        .satisfies(e -> assertThat(((ReauthenticationRequiredException) e).reason())
            .isEqualTo(ReauthenticationRequiredException.Reason.CREDENTIALS_REJECTED));
    assertThat(server.tokenRequests("refresh_token")).isEqualTo(1);
    // Restarted on the same file, a keeper knows the session is over without calling anyone.
    keepers.remove(b);
    b.close();
    TokenKeeper restarted = keeper("b2");
    assertThatThrownBy(restarted::token).isInstanceOf(ReauthenticationRequiredException.class);
    assertThat(server.tokenRequests()).isEqualTo(1);
  }

  @Test
  void aSignInInOneKeeperRestartsTheSessionForTheOthers_andASignOutEndsItForThem() throws Exception {
    TokenKeeper a = keeper("a");
    TokenKeeper b = keeper("b");
    server.enqueue(Fault.oauthError(400, "invalid_grant"));
    clock.advance(TTL);
    assertThatThrownBy(a::token).isInstanceOf(ReauthenticationRequiredException.class);
    assertThatThrownBy(b::token).isInstanceOf(ReauthenticationRequiredException.class);

    AccessToken signedIn = a.signIn(endpoint.password("alice", "wonderland".toCharArray()));
    clock.advance(Duration.ofSeconds(1)); // B looks at the store again at most once a second
    assertThat(b.token()).isEqualTo(signedIn);
    assertThat(server.tokenRequests("refresh_token")).isEqualTo(1);

    a.signOut();
    clock.advance(TTL); // B's token expired: its refresh finds the sign-out in the store
    assertThatThrownBy(b::token).isInstanceOf(ReauthenticationRequiredException.class)
        .satisfies(e -> assertThat(((ReauthenticationRequiredException) e).reason())
            .isEqualTo(ReauthenticationRequiredException.Reason.SIGNED_OUT));
    assertThat(server.tokenRequests("refresh_token")).isEqualTo(1);
  }

  @Test
  void whileAnotherHoldsTheLease_theKeeperWaitsForItsWrite_andAdoptsIt() throws Exception {
    TokenKeeper a = keeper("a");
    FileTokenStore other = store(); // another process, as far as the keeper can tell
    RefreshLease lease = other.tryLease(Duration.ofMinutes(1));
    assertThat(lease).isNotNull();
    clock.advance(TTL);
    CompletableFuture<AccessToken> waiting = a.tokenAsync(Duration.ofSeconds(30));
    await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5))
        .until(() -> !waiting.isDone());
    // The holder refreshes and saves, then releases.
    StoredTokens before = other.load();
    TokenResponse answer = endpoint.refreshTokens().fetch(
        new TokenRequest(before.refreshToken(), TokenRequest.Reason.EXPIRED));
    AccessToken theirs = new AccessToken(answer.accessToken(), "Bearer", clock.instant(),
        clock.instant().plus(TTL), Set.of());
    assertThat(other.compareAndSet(before.version(), before.next(theirs,
        new RefreshToken(answer.refreshToken())))).isTrue();
    lease.release();
    assertThat(waiting.get(10, TimeUnit.SECONDS)).isEqualTo(theirs);
    assertThat(server.tokenRequests("refresh_token")).isEqualTo(1); // theirs only
    assertThat(server.reuseDetections()).isZero();
  }

  @Test
  void aHolderThatGivesTheLeaseUpWithoutWriting_isTakenOverAtOnce() throws Exception {
    TokenKeeper a = keeper("a");
    RefreshLease lease = store().tryLease(Duration.ofMinutes(1));
    assertThat(lease).isNotNull();
    clock.advance(TTL);
    CompletableFuture<AccessToken> waiting = a.tokenAsync(Duration.ofSeconds(30));
    await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5))
        .until(() -> !waiting.isDone() && server.tokenRequests() == 0);
    lease.release(); // as the kernel does for a process that died
    assertThat(waiting.get(10, TimeUnit.SECONDS)).isNotNull();
    assertThat(server.tokenRequests("refresh_token")).isEqualTo(1);
  }

  @Test
  void aWriteJustBeforeTheLeaseIsGranted_isReadUnderTheLease_andNoStaleRefreshTokenIsSent() throws Exception {
    FileTokenStore file = store();
    // Another keeper refreshes, saves and releases in the instant between this keeper's first read
    // and its lease: the store wrapper lets it happen exactly there.
    SharedTokenStore racing = new SharedTokenStore() {
      private boolean raced;

      @Override
      public StoredTokens load() {
        return file.load();
      }

      @Override
      public boolean compareAndSet(long expectedVersion, StoredTokens replacement) {
        return file.compareAndSet(expectedVersion, replacement);
      }

      @Override
      public StoredTokens awaitChange(long knownVersion, Duration timeout) throws InterruptedException {
        return file.awaitChange(knownVersion, timeout);
      }

      @Override
      public RefreshLease tryLease(Duration ttl) {
        if (!raced) {
          raced = true;
          rotateAsAnotherKeeper(file);
        }
        return file.tryLease(ttl);
      }
    };
    TokenKeeper a = TokenKeeper.newBuilder(endpoint.refreshTokens()).clock(clock)
        .scheduler(clock::schedule).jitter(0).random(() -> 0L).store(racing)
        .initialTokens(TokenResponse.bearer("access-0").withExpiresIn(TTL).withRefreshToken(login()))
        .build();
    keepers.add(a);
    clock.advance(TTL);
    AccessToken token = a.token();
    assertThat(token).isEqualTo(file.load().accessToken());
    assertThat(server.tokenRequests("refresh_token")).isEqualTo(1); // the other keeper's only
    assertThat(server.reuseDetections()).isZero();
  }

  @Test
  void aLeaseThatLapsedBeforeTheRequestLeft_sendsNothing_andTheTakeoverIsAdopted() throws Exception {
    FileTokenStore file = store();
    // This keeper takes the lease and reads; then it pauses (GC) past the ttl, and another keeper
    // takes the lease over and rotates. Modelled by the store wrapper: the read under the first
    // lease returns what was there, then the takeover happens and the lease lapses.
    SharedTokenStore pausing = new SharedTokenStore() {
      private int leases;
      private boolean lapsed;

      @Override
      public StoredTokens load() {
        StoredTokens seen = file.load();
        if (leases == 1 && !lapsed) {
          lapsed = true;
          rotateAsAnotherKeeper(file);
        }
        return seen;
      }

      @Override
      public boolean compareAndSet(long expectedVersion, StoredTokens replacement) {
        return file.compareAndSet(expectedVersion, replacement);
      }

      @Override
      public StoredTokens awaitChange(long knownVersion, Duration timeout) throws InterruptedException {
        return file.awaitChange(knownVersion, timeout);
      }

      @Override
      public RefreshLease tryLease(Duration ttl) {
        RefreshLease lease = file.tryLease(ttl);
        if (lease == null || ++leases != 1) {
          return lease;
        }
        return new RefreshLease() {
          @Override
          public long fencingToken() {
            return lease.fencingToken();
          }

          @Override
          public boolean isHeld() {
            return !lapsed && lease.isHeld();
          }

          @Override
          public void release() {
            lease.release();
          }
        };
      }
    };
    TokenKeeper a = TokenKeeper.newBuilder(endpoint.refreshTokens()).clock(clock)
        .scheduler(clock::schedule).jitter(0).random(() -> 0L).store(pausing)
        .initialTokens(TokenResponse.bearer("access-0").withExpiresIn(TTL).withRefreshToken(login()))
        .build();
    keepers.add(a);
    clock.advance(TTL);
    AccessToken token = a.token();
    assertThat(token).isEqualTo(file.load().accessToken());
    assertThat(server.tokenRequests("refresh_token")).isEqualTo(1); // the other keeper's only
    assertThat(server.reuseDetections()).isZero();
  }

  /** Another keeper refreshes with the stored refresh token and saves the answer. */
  private void rotateAsAnotherKeeper(FileTokenStore file) {
    try {
      StoredTokens before = file.load();
      TokenResponse answer = endpoint.refreshTokens().fetch(
          new TokenRequest(before.refreshToken(), TokenRequest.Reason.EXPIRED));
      AccessToken theirs = new AccessToken(answer.accessToken(), "Bearer", clock.instant(),
          clock.instant().plus(TTL), Set.of());
      assertThat(file.compareAndSet(before.version(),
          before.next(theirs, new RefreshToken(answer.refreshToken())))).isTrue();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aLeaseHeldPastItsTtl_failsTheAttemptAsTemporary_withoutAnEndpointCall() throws Exception {
    RecordingListener listener = new RecordingListener();
    TokenKeeper a = TokenKeeper.newBuilder(endpoint.refreshTokens()).clock(clock)
        .scheduler(clock::schedule).jitter(0).random(() -> 0L).store(store()).listener(listener)
        .attemptTimeout(Duration.ofSeconds(10))
        .initialTokens(TokenResponse.bearer("access-0").withExpiresIn(TTL).withRefreshToken(login()))
        .build();
    keepers.add(a);
    RefreshLease lease = store().tryLease(Duration.ofDays(1)); // a live holder that never lets go
    assertThat(lease).isNotNull();
    clock.advance(TTL);
    CompletableFuture<AccessToken> waiting = a.tokenAsync(Duration.ofMinutes(1));
    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5))
        .until(() -> !waiting.isDone() && listener.failures.isEmpty());
    clock.advance(Duration.ofSeconds(11)); // past the lease ttl (the attempt timeout) and one poll
    await().atMost(Duration.ofSeconds(10)).until(() -> !listener.failures.isEmpty());
    assertThat(listener.failures.get(0).failure()).contains("held its refresh lease");
    assertThat(listener.failures.get(0).reason()).isEqualTo(TokenFailure.ENDPOINT_FAILING);
    assertThat(waiting).isNotDone(); // the caller waits on for the next attempt, within its deadline
    clock.advance(Duration.ofMinutes(1));
    // Its deadline passes, or the next attempt (its lease wait measured on the moved clock) fails
    // past it first: a typed failure either way, in time.
    assertThatThrownBy(() -> waiting.get(10, TimeUnit.SECONDS))
        .hasCauseInstanceOf(TokenException.class);
    assertThat(server.tokenRequests()).isZero();
    lease.release();
  }

  @Test
  void aRestartedKeeperContinuesTheSession_noCallWhileFresh_oneRefreshWhenExpired() {
    TokenKeeper first = keeper("first");
    clock.advance(TTL);
    AccessToken refreshed = first.token();
    assertThat(server.tokenRequests("refresh_token")).isEqualTo(1);
    keepers.remove(first);
    first.close();

    TokenKeeper second = keeper("second"); // initial tokens ignored: the file holds a session
    assertThat(second.token()).isEqualTo(refreshed);
    assertThat(server.tokenRequests()).isEqualTo(1);
    keepers.remove(second);
    second.close();

    clock.advance(TTL);
    TokenKeeper third = keeper("third");
    AccessToken next = third.token();
    assertThat(next).isNotEqualTo(refreshed);
    assertThat(server.tokenRequests("refresh_token")).isEqualTo(2);
    assertThat(server.reuseDetections()).isZero();
  }
}
