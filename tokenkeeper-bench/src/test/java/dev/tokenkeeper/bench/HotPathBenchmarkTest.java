package dev.tokenkeeper.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * B1 measures the fresh-token path only if every contender really serves its cached token: a
 * misconfigured peer that refreshed, or returned something else, would make its figure meaningless.
 */
class HotPathBenchmarkTest {

  @Test
  void everyContender_freshToken_servesItWithoutCallingAnyone() throws Exception {
    HotPathBenchmark b = new HotPathBenchmark();
    b.setUp("*");

    assertThat(b.floor()).isEqualTo(b.jwt);
    assertThat(b.volatileOnly()).isEqualTo(b.jwt);
    assertThat(b.tokenkeeper()).isEqualTo(b.jwt);
    assertThat(b.tokenkeeperHeader()).isEqualTo("Bearer " + b.jwt);
    assertThat(b.google()).isEqualTo("Bearer " + b.jwt);
    assertThat(b.spring()).isEqualTo(b.jwt);
    assertThat(b.aws()).isEqualTo(b.jwt);
    assertThat(b.azure()).isEqualTo(b.jwt);
    assertThat(b.naive()).isEqualTo(b.jwt);
    b.checkNoRefresh(); // the token sources of Tokenkeeper and the naive recipe throw if called
  }
}
