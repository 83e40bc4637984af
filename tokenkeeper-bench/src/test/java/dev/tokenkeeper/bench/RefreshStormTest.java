package dev.tokenkeeper.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.bench.StormEnvironment.Kind;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The correctness half of B2, cheap enough for every build: one endpoint call for a storm. */
class RefreshStormTest {

  @Test
  void tokenkeeper_100CallersJustAfterExpiry_oneEndpointCallAndAValidTokenEach() throws Exception {
    RefreshStorm.Report report = RefreshStorm.run(List.of(100), Threads.virtualAvailable(), 1, false,
        List.of(Kind.TOKENKEEPER));

    RefreshStorm.Outcome outcome = report.results.get(100).get(Kind.TOKENKEEPER).get(0);
    assertThat(outcome.endpointCalls()).isEqualTo(1);
    assertThat(outcome.failed()).isZero();
    assertThat(outcome.invalid()).isZero();
    assertThat(report.tokenkeeperSingleFlight()).isTrue();
  }

  @Test
  void smokeGuard_tokenkeeperCalledTwiceOrACallerFailed_fails() {
    // What the CI smoke pass exits 1 on.
    assertThat(reportOf(outcome(1, 0)).tokenkeeperSingleFlight()).isTrue();
    assertThat(reportOf(outcome(2, 0)).tokenkeeperSingleFlight()).isFalse();
    assertThat(reportOf(outcome(0, 0)).tokenkeeperSingleFlight()).isFalse();
    assertThat(reportOf(outcome(1, 1)).tokenkeeperSingleFlight()).isFalse();
  }

  @Test
  void smokeGuard_tokenkeeperDidNotRun_fails() {
    Map<Kind, List<RefreshStorm.Outcome>> onlyNaive = new EnumMap<>(Kind.class);
    onlyNaive.put(Kind.NAIVE, List.of(outcome(100, 0)));
    assertThat(new RefreshStorm.Report(Map.of(100, onlyNaive), false).tokenkeeperSingleFlight()).isFalse();
    assertThat(new RefreshStorm.Report(Map.of(), false).tokenkeeperSingleFlight()).isFalse();
    Map<Kind, List<RefreshStorm.Outcome>> noRuns = new EnumMap<>(Kind.class);
    noRuns.put(Kind.TOKENKEEPER, List.of());
    assertThat(new RefreshStorm.Report(Map.of(100, noRuns), false).tokenkeeperSingleFlight()).isFalse();
  }

  @Test
  void timeToValid_leavesOutCallersWithoutAValidToken_andCountsThemSeparately() {
    // Spring at N = 10,000 once showed 21.2 s "until all hold a valid token" while 5,088 callers
    // never got one: their failures set the time. Now they are counted apart.
    String token = Jwts.mint(Duration.ofMinutes(5));
    long ms = 1_000_000L;
    long start = 1_000 * ms;
    long[] doneAt = {start + 10 * ms, start + 20 * ms, start + 21_000 * ms, start + 30 * ms, 0};
    String[] tokens = {token, token, null, "not-a-jwt", null};
    Throwable[] errors = {null, null, new java.io.IOException("gave up"), null, null};
    RefreshStorm.Outcome outcome = RefreshStorm.summarize(Kind.SPRING, start, doneAt, tokens, errors, 5, false,
        1.0, 0, Double.NaN);
    assertThat(outcome.nanosToValid()).isEqualTo(20 * ms);
    assertThat(outcome.nanosMedianCaller()).isEqualTo(15 * ms);
    assertThat(outcome.withoutValidToken()).isEqualTo(3); // failed, invalid token, never returned
    assertThat(outcome.failed()).isEqualTo(1);
    assertThat(outcome.invalid()).isEqualTo(2);
    assertThat(outcome.nanosToAll()).isEqualTo(Long.MAX_VALUE); // one never returned
  }

  private static RefreshStorm.Outcome outcome(int endpointCalls, int failed) {
    return new RefreshStorm.Outcome(Kind.TOKENKEEPER, 100, endpointCalls, 60_000_000L, 60_000_000L, 60_000_000L,
        failed, 0,
        true, 5.0, 10_000_000L, 0.5);
  }

  private static RefreshStorm.Report reportOf(RefreshStorm.Outcome outcome) {
    Map<Kind, List<RefreshStorm.Outcome>> byKind = new EnumMap<>(Kind.class);
    byKind.put(Kind.TOKENKEEPER, List.of(outcome));
    return new RefreshStorm.Report(Map.of(100, byKind), false);
  }

  @Test
  void naiveRecipe_100CallersJustAfterExpiry_callsTheEndpointForEach() throws Exception {
    // The guard above is only worth something if the storm can catch a contender that has no
    // single-flight.
    RefreshStorm.Report report = RefreshStorm.run(List.of(100), Threads.virtualAvailable(), 1, false,
        List.of(Kind.NAIVE));

    assertThat(report.results.get(100).get(Kind.NAIVE).get(0).endpointCalls()).isGreaterThan(1);
  }
}
