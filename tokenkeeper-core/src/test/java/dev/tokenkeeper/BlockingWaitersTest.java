package dev.tokenkeeper;

import static dev.tokenkeeper.KeeperTestSupport.TTL;
import static dev.tokenkeeper.KeeperTestSupport.initial;
import static dev.tokenkeeper.KeeperTestSupport.keeper;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenkeeper.testing.TestClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.Test;

/**
 * Blocking callers of {@code token(timeout)} wait on the refresh in flight, grouped by deadline:
 * one timer per distinct deadline rather than one future and one timer per caller.
 */
class BlockingWaitersTest {
  private static final int CALLERS = 200;
  private final TestClock clock = new TestClock();
  private final FakeSource source = new FakeSource(TTL);

  @Test
  void manyBlockingCallersWithOneDeadline_shareOneTimer_andAllTimeOutAtIt_whileTheRefreshGoesOn()
      throws Exception {
    try (TokenKeeper keeper = keeper(source, clock).attemptTimeout(Duration.ofMinutes(5))
        .initialTokens(initial()).build()) {
      clock.advance(TTL);
      CountDownLatch release = source.hold();
      AtomicReferenceArray<Object> results = new AtomicReferenceArray<>(CALLERS);
      List<Thread> threads = start(CALLERS, i -> {
        try {
          results.set(i, keeper.token(Duration.ofSeconds(2)));
        } catch (RuntimeException e) {
          results.set(i, e);
        }
      });
      assertThat(source.entered.tryAcquire(10, TimeUnit.SECONDS)).isTrue();
      await().atMost(Duration.ofSeconds(30)).until(() -> keeper.waitingCallers() == CALLERS);
      // The clock has not moved: one deadline for all, so one timer, next to the attempt's own.
      assertThat(clock.pendingTasks()).hasSize(2);

      clock.advance(Duration.ofMillis(1_999));
      assertThat(keeper.waitingCallers()).isEqualTo(CALLERS);
      clock.advance(Duration.ofMillis(1));
      join(threads);
      for (int i = 0; i < CALLERS; i++) {
        assertThat(results.get(i)).isInstanceOf(TokenTimeoutException.class);
      }
      assertThat(keeper.waitingCallers()).isZero();

      release.countDown(); // the refresh was not cancelled by its callers giving up
      assertThat(keeper.token(Duration.ofSeconds(10)).value()).isEqualTo("access-1");
      assertThat(source.calls).hasValue(1);
    }
  }

  @Test
  void blockingCallersWithDifferentDeadlines_eachGetTheTokenWhenTheRefreshEnds() throws Exception {
    try (TokenKeeper keeper = keeper(source, clock).initialTokens(initial()).build()) {
      clock.advance(TTL);
      CountDownLatch release = source.hold();
      AtomicReferenceArray<Object> results = new AtomicReferenceArray<>(CALLERS);
      List<Thread> threads = start(CALLERS, i -> {
        try {
          results.set(i, keeper.token(Duration.ofSeconds(10 + i % 7)));
        } catch (RuntimeException e) {
          results.set(i, e);
        }
      });
      assertThat(source.entered.tryAcquire(10, TimeUnit.SECONDS)).isTrue();
      await().atMost(Duration.ofSeconds(30)).until(() -> keeper.waitingCallers() == CALLERS);
      assertThat(clock.pendingTasks()).hasSize(7 + 1); // 7 deadlines + the attempt's

      release.countDown();
      join(threads);
      for (int i = 0; i < CALLERS; i++) {
        assertThat(results.get(i)).isInstanceOfSatisfying(AccessToken.class,
            t -> assertThat(t.value()).isEqualTo("access-1"));
      }
      assertThat(source.calls).hasValue(1);
      assertThat(clock.pendingTasks()).as("deadline timers are cancelled with the flight").isEmpty();
    }
  }

  private static List<Thread> start(int n, java.util.function.IntConsumer body) {
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int index = i;
      Thread t = new Thread(() -> body.accept(index), "blocking-caller-" + i);
      t.setDaemon(true);
      t.start();
      threads.add(t);
    }
    return threads;
  }

  private static void join(List<Thread> threads) throws InterruptedException {
    for (Thread t : threads) {
      t.join(30_000);
      assertThat(t.isAlive()).as(t.getName()).isFalse();
    }
  }
}
