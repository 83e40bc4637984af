package dev.tokenkeeper.sim;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A simulation that cannot catch a planted bug proves nothing: each bug below, planted through the
 * store (the engine is not changed), must be found within the CI budget of seeds.
 */
class PlantedBugsTest {

  @ParameterizedTest
  @EnumSource(value = SimStore.Bug.class, names = {"STALE_READS", "RELEASE_BEFORE_WRITE", "CAS_IGNORES_VERSION"})
  void plantedBug_isFoundWithinTheCiBudget(SimStore.Bug bug) {
    long chunk = 250;
    SimRunner.Summary found = null;
    long seeds = 0;
    for (long first = 1; first <= SimulationTest.CI_SEEDS && found == null; first += chunk) {
      SimRunner.Summary s = SimRunner.run(first, chunk, seed -> Simulation.Config.random(seed, bug));
      seeds += s.seeds;
      if (!s.failures.isEmpty()) {
        found = s;
      }
    }
    assertThat(found).as("%s: no violation in %d seeds", bug, seeds).isNotNull();
    Simulation.Result first = found.failures.get(0);
    System.out.println("PlantedBugsTest " + bug + ": first violation at seed " + first.config.seed()
        + " (" + seeds + " seeds run, " + found.failures.size() + " of the last " + found.seeds
        + " failed): " + first.violations);
  }
}
