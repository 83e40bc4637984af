package dev.tokenkeeper.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.testing.TestClock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The three demo clients on one server for four token lifetimes, driven round by round on a test
 * clock: in each round every worker makes one request while the clock stands still, then the clock
 * moves a quarter of a second.
 */
class DemoClientsTest {
  private static final int WORKERS = 10;
  private static final Duration TTL = Duration.ofSeconds(3);
  private static final Duration STEP = Duration.ofMillis(250);
  private static final int ROUNDS_PER_LIFETIME = (int) (TTL.toMillis() / STEP.toMillis());
  private static final int LIFETIMES = 4;

  // The JDK HTTP server stamps each answer with a Date from the real clock, and the keeper takes the
  // token's lifetime as the smaller of exp - Date and exp - iat. With the test clock ahead of real
  // time, exp - Date is always the larger, so the lifetime is exactly the one the server issued.
  // A whole second, so tokens issued at round boundaries lose nothing to JWT's 1 s resolution.
  private final TestClock clock =
      new TestClock(Instant.now().plus(Duration.ofDays(1)).truncatedTo(ChronoUnit.SECONDS));

  /**
   * Holds the naive client's refresh calls on the server until all its workers have sent one:
   * what a storm looks like when threads really run in parallel, made deterministic. A refresh
   * cannot finish before every worker of the round has looked at the (expired) shared token.
   */
  private final CyclicBarrier naiveRefreshes = new CyclicBarrier(WORKERS);
  private final List<DemoClient> clients = new ArrayList<>();
  private DemoServer server;
  private Workload workload;

  @BeforeEach
  void start() throws Exception {
    server = DemoRun.withUsers(DemoServer.newBuilder().clock(clock).accessTokenTtl(TTL)
        .beforeRefresh(client -> {
          if (client.equals("naive")) {
            awaitOtherRefreshes();
          }
        })).start();
    for (String id : DemoOptions.ALL_CLIENTS) {
      // The keeper's timers run on the test clock, and its refreshes on the calling worker, so a
      // refresh started in a round is done when the round is.
      clients.add(DemoRun.newClient(id, server.baseUri(), clock,
          keeper -> keeper.scheduler(clock::schedule).executor(Runnable::run)));
    }
    for (DemoClient client : clients) {
      client.logIn();
    }
    workload = new Workload(clients, WORKERS, clock, TTL.multipliedBy(LIFETIMES));
  }

  @AfterEach
  void stop() {
    workload.close();
    clients.forEach(DemoClient::close);
    server.close();
  }

  @Test
  void firstExpiry_naiveRefreshesOncePerWorker_andReuseDetectionEndsItsSession_keeperRefreshedOnceAhead()
      throws Exception {
    runRounds(ROUNDS_PER_LIFETIME + 1); // up to and including the round at the first expiry

    DemoServer.ClientCounts naive = server.counts("naive");
    assertThat(naive.refreshCalls()).as("naive refresh calls in its first token lifetime").isEqualTo(WORKERS);
    assertThat(naive.reuseDetections()).isEqualTo(1);
    assertThat(stats("naive").count(Outcome.SESSION_LOST)).isEqualTo(WORKERS - 1);
    assertThat(stats("naive").count(Outcome.OK)).isEqualTo(ROUNDS_PER_LIFETIME * WORKERS + 1);

    assertThat(server.counts("keeper").refreshCalls()).as("keeper refresh calls").isEqualTo(1);
    assertThat(stats("keeper").failed()).isZero();
    assertThat(stats("none").count(Outcome.API_REJECTED)).isEqualTo(WORKERS);
  }

  @Test
  void fourTokenLifetimes_keeperNeverFails_naiveLosesItsSession_noRefreshFailsFromFirstExpiry()
      throws Exception {
    int rounds = ROUNDS_PER_LIFETIME * LIFETIMES;
    runRounds(rounds);

    ClientStats keeper = stats("keeper");
    assertThat(keeper.failed()).isZero();
    assertThat(keeper.count(Outcome.OK)).isEqualTo((long) rounds * WORKERS);
    DemoServer.ClientCounts keeperServer = server.counts("keeper");
    assertThat(keeperServer.refreshCalls()).isBetween((long) LIFETIMES - 1, 2L * LIFETIMES);
    assertThat(keeperServer.apiRejected()).as("expired tokens the keeper sent").isZero();
    assertThat(keeperServer.reuseDetections()).isZero();

    ClientStats naive = stats("naive");
    DemoServer.ClientCounts naiveServer = server.counts("naive");
    // One storm per expiry while it still believes it is logged in: the first always (reuse
    // detected), a second one if the winner of the first stored its tokens after the losers
    // logged out (its refresh token then belongs to a revoked family).
    assertThat(naiveServer.refreshCalls()).isIn((long) WORKERS, 2L * WORKERS);
    assertThat(naiveServer.reuseDetections()).isEqualTo(1);
    assertThat(naive.count(Outcome.SESSION_LOST)).isGreaterThanOrEqualTo((long) (rounds - 2 * ROUNDS_PER_LIFETIME) * WORKERS);
    assertThat(naive.count(Outcome.OK) + naive.failed()).isEqualTo((long) rounds * WORKERS);

    ClientStats none = stats("none");
    assertThat(none.count(Outcome.OK)).isEqualTo((long) ROUNDS_PER_LIFETIME * WORKERS);
    assertThat(none.count(Outcome.API_REJECTED)).isEqualTo((long) (rounds - ROUNDS_PER_LIFETIME) * WORKERS);
    assertThat(server.counts("none").refreshCalls()).isZero();
  }

  private void runRounds(int rounds) throws InterruptedException {
    for (int i = 0; i < rounds; i++) {
      workload.runRound();
      clock.advance(STEP);
    }
  }

  private ClientStats stats(String id) {
    return workload.stats().stream().filter(s -> s.client().id().equals(id)).findFirst().orElseThrow();
  }

  private void awaitOtherRefreshes() {
    try {
      naiveRefreshes.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (BrokenBarrierException | TimeoutException e) {
      throw new IllegalStateException("the naive workers did not all refresh in the same round", e);
    }
  }
}
