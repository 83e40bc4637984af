package dev.tokenkeeper.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The long run: a million seeds (or {@code -Dsim.longSeeds=N} from {@code -Dsim.longFirst=F}),
 * excluded from {@code mvn verify}:
 *
 * <pre>
 * mvn -B -pl tokenkeeper-sim -am test -Dsurefire.excludedGroups= -Dgroups=sim-long \
 *     -Dtest=SimulationLongRunTest -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 *
 * Each block of 10,000 seeds appends its summary to {@code target/sim-long.txt} as it finishes.
 */
@Tag("sim-long")
class SimulationLongRunTest {

  @Test
  void millionSeeds_keepEveryInvariant() throws IOException {
    long first = Long.getLong("sim.longFirst", 1_000_001);
    long count = Long.getLong("sim.longSeeds", 1_000_000);
    Path out = Path.of("target", "sim-long.txt");
    Files.createDirectories(out.getParent());
    long failed = 0;
    String firstReport = null;
    for (long from = first; from < first + count; from += 10_000) {
      long n = Math.min(10_000, first + count - from);
      SimRunner.Summary s = SimRunner.run(from, n, seed -> Simulation.Config.random(seed, SimStore.Bug.NONE));
      failed += s.failures.size();
      String line = "seeds " + from + ".." + (from + n - 1) + ": " + s + System.lineSeparator();
      if (!s.failures.isEmpty() && firstReport == null) {
        firstReport = SimRunner.report(s.failures.get(0), SimulationTest.REPLAY);
        line += firstReport;
      }
      Files.writeString(out, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
    assertThat(failed).as(firstReport == null ? "" : firstReport).isZero();
  }
}
