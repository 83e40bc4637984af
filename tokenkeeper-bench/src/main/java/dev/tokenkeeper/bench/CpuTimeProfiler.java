package dev.tokenkeeper.bench;

import java.lang.management.ManagementFactory;
import java.util.Collection;
import java.util.List;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * A JMH profiler reporting {@code cpu.time.norm}: the CPU time all Java threads of the benchmark
 * JVM used during an iteration, per operation. On a shared machine a benchmark thread is often
 * descheduled while the clock runs on, which inflates ns/op at random; CPU time does not count
 * those gaps, so it is the steadier figure when the load average exceeds the number of CPUs. (JIT
 * compiler and GC threads are not Java threads and are not counted.)
 *
 * <p>Use with {@code -prof dev.tokenkeeper.bench.CpuTimeProfiler}.
 */
public final class CpuTimeProfiler implements InternalProfiler {
  private final com.sun.management.ThreadMXBean threads =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
  private long before;

  @Override
  public String getDescription() {
    return "CPU time of the JVM's Java threads per operation";
  }

  @Override
  public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
    before = cpuOfAllThreads();
  }

  @Override
  public Collection<? extends Result> afterIteration(BenchmarkParams benchmarkParams,
      IterationParams iterationParams, IterationResult result) {
    long cpu = cpuOfAllThreads() - before;
    long ops = result.getMetadata().getAllOps(); // CPU is counted over the whole iteration, ramp-up included
    double perOp = ops == 0 ? Double.NaN : (double) cpu / ops;
    return List.of(new ScalarResult("cpu.time.norm", perOp, "ns/op", AggregationPolicy.AVG));
  }

  private long cpuOfAllThreads() {
    long sum = 0;
    for (long t : threads.getThreadCpuTime(threads.getAllThreadIds())) {
      if (t > 0) {
        sum += t;
      }
    }
    return sum;
  }
}
