package dev.tokenkeeper.sim;

/**
 * Runs seeds outside JUnit, for long runs and exploring:
 * {@code java -XX:+UnlockExperimentalVMOptions -XX:hashCode=2 -cp <test classpath>
 * dev.tokenkeeper.sim.SimMain FIRST COUNT [BUG | SHORT_TOKENS | SHORT_TOKENS_EXACT]}; prints a
 * summary per 10,000 seeds, and the report of the first failing seed of each ({@code
 * -Dsim.each=true}: one line per seed).
 */
final class SimMain {
  private SimMain() { }

  public static void main(String[] args) {
    long first = Long.parseLong(args[0]);
    long count = Long.parseLong(args[1]);
    String variant = args.length > 2 ? args[2] : "NONE";
    SimStore.Bug bug = variant.startsWith("SHORT_TOKENS") ? SimStore.Bug.NONE : SimStore.Bug.valueOf(variant);
    java.util.function.LongFunction<Simulation.Config> configs = variant.equals("SHORT_TOKENS")
        ? Simulation.Config::shortTokens : variant.equals("SHORT_TOKENS_EXACT")
        ? seed -> Simulation.Config.shortTokens(seed, false) : seed -> Simulation.Config.random(seed, bug);
    if (Boolean.getBoolean("sim.each")) {
      for (long seed = first; seed < first + count; seed++) {
        long t0 = System.nanoTime();
        System.out.println("seed " + seed + " ...");
        Simulation.Result r = SimRunner.once(configs.apply(seed));
        System.out.println("seed " + seed + ": " + (System.nanoTime() - t0) / 1_000_000 + " ms, "
            + r.steps + " steps, " + r.violations);
      }
      return;
    }
    long chunk = Math.min(count, 10_000);
    SimRunner.Summary total = null;
    for (long from = first; from < first + count; from += chunk) {
      SimRunner.Summary s = SimRunner.run(from, Math.min(chunk, first + count - from), configs);
      System.out.println("seeds " + from + "..: " + s);
      java.util.Map<String, Long> kinds = new java.util.TreeMap<>();
      for (Simulation.Result f : s.failures) {
        kinds.merge(f.violations.get(0).replaceAll("^[^:]*: ", "").replaceAll("[0-9]+", "N")
            .replaceAll("\\(.*", ""), 1L, Long::sum);
      }
      kinds.forEach((k, v) -> System.out.println("  " + v + " x " + k));
      if (!s.failures.isEmpty()) {
        System.out.println(SimRunner.report(s.failures.get(0), SimulationTest.REPLAY));
      }
    }
  }
}
