package dev.tokenkeeper.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class TestClockTest {
  private final TestClock clock = new TestClock(Instant.parse("2026-01-01T00:00:00Z"));

  @Test
  void advance_movesTime_andRunsDueTasksInOrder_atTheirDueTime() {
    List<String> ran = new ArrayList<>();
    clock.schedule(() -> ran.add("b@" + clock.millis() % 100_000), Duration.ofMillis(200));
    clock.schedule(() -> ran.add("a@" + clock.millis() % 100_000), Duration.ofMillis(100));
    clock.schedule(() -> ran.add("c@" + clock.millis() % 100_000), Duration.ofMillis(300));

    clock.advance(Duration.ofMillis(250));
    assertThat(ran).containsExactly("a@100", "b@200");
    assertThat(clock.instant()).isEqualTo(Instant.parse("2026-01-01T00:00:00.250Z"));
    assertThat(clock.pendingTasks()).containsExactly(Instant.parse("2026-01-01T00:00:00.300Z"));
  }

  @Test
  void taskScheduledByATask_runsInTheSameAdvance_ifDue() {
    List<Long> ran = new ArrayList<>();
    clock.schedule(() -> {
      ran.add(clock.millis());
      clock.schedule(() -> ran.add(clock.millis()), Duration.ofMillis(10));
    }, Duration.ofMillis(10));
    clock.advance(Duration.ofMillis(20));
    long t0 = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();
    assertThat(ran).containsExactly(t0 + 10, t0 + 20);
  }

  @Test
  void cancelledTask_neverRuns() {
    List<String> ran = new ArrayList<>();
    Future<?> task = clock.schedule(() -> ran.add("x"), Duration.ofSeconds(1));
    assertThat(task.cancel(false)).isTrue();
    clock.advance(Duration.ofSeconds(2));
    assertThat(ran).isEmpty();
    assertThat(clock.pendingTasks()).isEmpty();
  }

  @Test
  void zeroDelayTask_runsOnRunDueTasks() {
    List<String> ran = new ArrayList<>();
    clock.schedule(() -> ran.add("now"), Duration.ZERO);
    assertThat(ran).isEmpty();
    clock.runDueTasks();
    assertThat(ran).containsExactly("now");
  }

  @Test
  void set_jumpsBackWithoutRunningTasks_andForwardRunningThem() {
    List<String> ran = new ArrayList<>();
    clock.schedule(() -> ran.add("due"), Duration.ofMinutes(1));
    clock.set(Instant.parse("2025-12-31T23:00:00Z"));
    assertThat(clock.instant()).isEqualTo(Instant.parse("2025-12-31T23:00:00Z"));
    assertThat(ran).isEmpty();
    clock.set(Instant.parse("2026-01-01T00:01:00Z"));
    assertThat(ran).containsExactly("due");
  }

  @Test
  void advance_rejectsNegativeDurations() {
    assertThatThrownBy(() -> clock.advance(Duration.ofSeconds(-1))).hasMessageContaining("set()");
  }
}
