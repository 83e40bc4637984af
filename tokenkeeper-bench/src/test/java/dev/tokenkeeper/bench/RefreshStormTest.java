package dev.tokenkeeper.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.bench.StormEnvironment.Kind;
import java.util.List;
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
  void naiveRecipe_100CallersJustAfterExpiry_callsTheEndpointForEach() throws Exception {
    // The guard above is only worth something if the storm can catch a contender that has no
    // single-flight.
    RefreshStorm.Report report = RefreshStorm.run(List.of(100), Threads.virtualAvailable(), 1, false,
        List.of(Kind.NAIVE));

    assertThat(report.results.get(100).get(Kind.NAIVE).get(0).endpointCalls()).isGreaterThan(1);
  }
}
