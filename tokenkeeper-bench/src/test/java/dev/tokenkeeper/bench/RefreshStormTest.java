package dev.tokenkeeper.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.bench.StormEnvironment.Kind;
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

  private static RefreshStorm.Outcome outcome(int endpointCalls, int failed) {
    return new RefreshStorm.Outcome(Kind.TOKENKEEPER, 100, endpointCalls, 60_000_000L, 60_000_000L, failed, 0,
        true, 5.0, 55_000_000L, 10_000_000L);
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
