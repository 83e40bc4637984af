package dev.tokenkeeper.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The shared-state protocol under the simulation: a fixed budget of seeds in every build, the
 * seeds found so far, and replay of one seed ({@code -Dsim.seed=N}).
 */
class SimulationTest {
  /** Seeds run by {@code mvn verify}: about a minute on the 2-core CI machine (see RELIABILITY.md). */
  static final long CI_SEEDS = Long.getLong("sim.seeds", 20_000);
  static final String REPLAY = "mvn -B -pl tokenkeeper-sim -am test -Dtest=SimulationTest"
      + " -Dsurefire.failIfNoSpecifiedTests=false -Dsim.seed=SEED";

  @Test
  void ciBudget_everySeed_keepsEveryInvariant() {
    String one = System.getProperty("sim.seed");
    if (one != null) {
      replayOne(Long.parseLong(one));
      return;
    }
    SimRunner.Summary summary = SimRunner.run(1, CI_SEEDS, s -> Simulation.Config.random(s, SimStore.Bug.NONE));
    System.out.println("SimulationTest: " + summary);
    assertThat(summary.failures).as(() -> summary + "\n" + SimRunner.report(summary.failures.get(0), REPLAY))
        .isEmpty();
    assertThat(summary.rotations).as("the worlds do refresh").isPositive();
    assertThat(summary.crashesInRotationWindow).as("crashes do hit the rotation window").isPositive();
  }

  /**
   * The short-token worlds (1-4 s tokens, {@code expires_in} 0 answers, exact and truncated), where
   * the simulation found both engine bugs of {@link KnownEngineBugsTest}: a budget of their own.
   */
  @Test
  void shortTokenWorlds_everySeed_keepsEveryInvariant() {
    SimRunner.Summary summary = SimRunner.run(1, 2_000, s -> s % 2 == 0
        ? Simulation.Config.shortTokens(s) : Simulation.Config.shortTokens(s, false));
    System.out.println("SimulationTest short tokens: " + summary);
    assertThat(summary.failures).as(() -> summary + "\n" + SimRunner.report(summary.failures.get(0), REPLAY))
        .isEmpty();
    assertThat(summary.rotations).as("the worlds do refresh").isPositive();
  }

  @Test
  void regressionSeeds_keepEveryInvariant() throws IOException {
    for (long seed : seeds("regression-seeds.txt")) {
      Simulation.Result r = SimRunner.replay(Simulation.Config.random(seed, SimStore.Bug.NONE));
      assertThat(r.violations).as(() -> SimRunner.report(r, REPLAY)).isEmpty();
    }
  }

  @Test
  void sameSeed_sameRun() {
    for (long seed = 1; seed <= 200; seed++) {
      Simulation.Config config = Simulation.Config.random(seed, SimStore.Bug.NONE);
      String first = SimRunner.replay(config).fingerprint();
      String second = SimRunner.once(config).fingerprint();
      assertThat(second).as("seed %d", seed).isEqualTo(first);
    }
  }

  /** Replays one seed; {@code -Dsim.world=short} or {@code short-exact} for the worlds of {@link KnownEngineBugsTest}. */
  private static void replayOne(long seed) {
    String world = System.getProperty("sim.world", "random");
    Simulation.Config config = world.equals("short") ? Simulation.Config.shortTokens(seed)
        : world.equals("short-exact") ? Simulation.Config.shortTokens(seed, false)
        : Simulation.Config.random(seed, SimStore.Bug.NONE);
    Simulation.Result r = SimRunner.replay(config);
    System.out.println(String.join("\n", r.trace));
    System.out.println("seed " + seed + ": " + r.steps + " steps, violations " + r.violations);
    assertThat(r.violations).as(() -> SimRunner.report(r, REPLAY)).isEmpty();
  }

  static List<Long> seeds(String resource) throws IOException {
    List<Long> seeds = new ArrayList<>();
    try (InputStream in = SimulationTest.class.getResourceAsStream(resource)) {
      if (in == null) {
        return seeds;
      }
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        String s = line.replaceAll("#.*", "").trim();
        if (!s.isEmpty()) {
          seeds.add(Long.parseLong(s));
        }
      }
    }
    return seeds;
  }
}
