package dev.tokenkeeper.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.AccessToken;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class TimingTest {
  private static final RandomGenerator ZERO = () -> 0L;
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  private static long[] windows(Duration lifetime) {
    AccessToken token = new AccessToken("t", "Bearer", T0, T0.plus(lifetime), Set.of());
    return Timing.DEFAULTS.windows(token, ZERO);
  }

  @Test
  void refreshAheadScalesWithLifetime_cappedAtFiveMinutes() {
    long t0 = T0.toEpochMilli();
    assertThat(windows(Duration.ofMinutes(2))).containsExactly(t0 + 85_000, t0 + 115_000);
    assertThat(windows(Duration.ofHours(1))).containsExactly(t0 + 3_295_000, t0 + 3_595_000);
    assertThat(windows(Duration.ofSeconds(3))).containsExactly(t0 + 1_950, t0 + 2_700);
  }

  @Test
  void backoffDoublesUpToTheCap_andNeverUndercutsRetryAfter() {
    Timing t = Timing.DEFAULTS;
    assertThat(t.backoffMillis(1, null, ZERO)).isEqualTo(1_000);
    assertThat(t.backoffMillis(2, null, ZERO)).isEqualTo(2_000);
    assertThat(t.backoffMillis(5, null, ZERO)).isEqualTo(16_000);
    assertThat(t.backoffMillis(6, null, ZERO)).isEqualTo(30_000);
    assertThat(t.backoffMillis(60, null, ZERO)).isEqualTo(30_000);
    assertThat(t.backoffMillis(1, Duration.ofSeconds(7), ZERO)).isEqualTo(7_000);
    assertThat(t.backoffMillis(1, Duration.ofHours(2), ZERO)).isEqualTo(300_000);
  }

  @Test
  void jitterOnlyShortensTheBackoff_byAtMostItsShare() {
    RandomGenerator max = () -> -1L;
    assertThat(Timing.DEFAULTS.backoffMillis(1, null, max)).isBetween(800L, 1_000L);
  }
}
