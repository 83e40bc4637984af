package dev.tokenkeeper.sim;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The engine's own single-flight in one process, in the same simulated world: one keeper on a
 * plain (not shared) store, callers arriving one by one and in bursts of up to 20, no faults.
 */
class SingleKeeperTest {

  @Test
  void oneKeeper_manyCallers_oneEndpointCallPerTokenLifetime_everyCallerServed() {
    long seeds = 2_000;
    long calls = 0;
    long callers = 0;
    double tightest = Double.MAX_VALUE;
    for (long seed = 1; seed <= seeds; seed++) {
      Simulation.Config config = Simulation.Config.singleKeeper(seed);
      Simulation.Result r = SimRunner.once(config);
      assertThat(r.violations).as("seed %d", seed).isEmpty();
      assertThat(r.maxConcurrentRequests).as("seed %d: requests in flight at once", seed).isLessThanOrEqualTo(1);
      assertThat(r.presentedTwice).as("seed %d: a refresh token sent twice", seed).isZero();
      assertThat(r.tokensServed).as("seed %d: every caller gets a token", seed).isEqualTo(r.callers);
      assertThat(r.rotations).as("seed %d: every call redeemed", seed).isEqualTo(r.requests);
      if (r.requests > 1) {
        // One call per token lifetime: the next call only once the token is in its refresh-ahead
        // window (25 % of the lifetime, +-20 % jitter) or expired; a storm would be calls ms apart.
        double gap = r.minGapBetweenRequests / (double) config.accessTtl();
        tightest = Math.min(tightest, gap);
        assertThat(gap).as("seed %d: shortest gap between calls / token lifetime", seed).isGreaterThan(0.5);
      }
      calls += r.requests;
      callers += r.callers;
    }
    System.out.printf("SingleKeeperTest: %,d seeds, %,d callers, %,d endpoint calls, shortest gap %.2f of a lifetime%n",
        seeds, callers, calls, tightest);
  }
}
