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

  private static final long NONE = Long.MIN_VALUE;

  private static long[] windows(Duration lifetime) {
    return windows(lifetime, 0, NONE);
  }

  private static long[] windows(Duration lifetime, long recentRefreshMillis, long laterExpiryFrom) {
    AccessToken token = new AccessToken("t", "Bearer", T0, T0.plus(lifetime), Set.of());
    return Timing.DEFAULTS.windows(token, ZERO, recentRefreshMillis, laterExpiryFrom);
  }

  @Test
  void refreshAheadScalesWithLifetime_cappedAtFiveMinutes() {
    long t0 = T0.toEpochMilli();
    assertThat(windows(Duration.ofMinutes(2))).containsExactly(t0 + 85_000, t0 + 115_000, NONE);
    assertThat(windows(Duration.ofHours(1))).containsExactly(t0 + 3_295_000, t0 + 3_595_000, NONE);
    assertThat(windows(Duration.ofSeconds(3))).containsExactly(t0 + 1_950, t0 + 2_700, NONE);
  }

  @Test
  void slowEndpoint_refreshAheadIsAtLeastTwiceTheRecentRefreshDuration() {
    long t0 = T0.toEpochMilli();
    // The worked example in the README: a 5 s token, expired at 4.5 s (leeway: a tenth of the
    // lifetime); lifetime share 1.25 s; with 2 s refreshes the window is 4 s: stale at 0.5 s.
    assertThat(windows(Duration.ofSeconds(5), 0, NONE)).containsExactly(t0 + 3_250, t0 + 4_500, NONE);
    assertThat(windows(Duration.ofSeconds(5), 2_000, NONE)).containsExactly(t0 + 500, t0 + 4_500, NONE);
    // A window longer than the lifetime: stale at once (one refresh at a time, never a storm).
    assertThat(windows(Duration.ofSeconds(5), 3_000, NONE)[0]).isEqualTo(t0);
    // For long tokens the lifetime share wins.
    assertThat(windows(Duration.ofHours(1), 2_000, NONE)[0]).isEqualTo(t0 + 3_295_000);
  }

  @Test
  void neverStaleBeforeARefreshCouldBringALaterExpiry_andNeverAfterExpiry() {
    long t0 = T0.toEpochMilli();
    assertThat(windows(Duration.ofSeconds(5), 0, t0 + 4_000)).containsExactly(t0 + 4_000, t0 + 4_500, t0 + 4_000);
    // A 1 s token issued in the same server second: no refresh can help before it expires.
    assertThat(windows(Duration.ofSeconds(1), 0, t0 + 1_000)).containsExactly(t0 + 900, t0 + 900, t0 + 1_000);
  }

  @Test
  void credentialsRejectedBackoff_startsAt30s_cappedAt5min_andWaitingCallersCapRetriesAtOneSecond() {
    Timing t = Timing.DEFAULTS;
    assertThat(t.rejectedBackoffMillis(1, ZERO)).isEqualTo(30_000);
    assertThat(t.rejectedBackoffMillis(2, ZERO)).isEqualTo(60_000);
    assertThat(t.rejectedBackoffMillis(5, ZERO)).isEqualTo(300_000);
    assertThat(t.rejectedBackoffMillis(50, ZERO)).isEqualTo(300_000);
    assertThat(t.waitingBackoffMillis(4_000, ZERO)).isEqualTo(1_000);
    assertThat(t.waitingBackoffMillis(400, ZERO)).isEqualTo(400);
    assertThat(t.waitingBackoffMillis(4_000, () -> -1L)).isBetween(900L, 1_000L);
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
