package dev.tokenkeeper.demo;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The same workload for every client: {@code workers} threads per client, each making one request
 * after the other. Either for a duration on the clock ({@link #runFor}, the demo), or one request
 * per worker at a time ({@link #runRound}, for tests that move a test clock between rounds).
 *
 * <p>Each client has its own fixed pool of exactly {@code workers} platform threads, so the load
 * is bounded and the same for all clients. Not thread-safe: one caller drives it.
 */
final class Workload implements AutoCloseable {
  private final InstantSource clock;
  private final List<Lane> lanes = new ArrayList<>();
  private final int workers;
  /** When the run started: creation, then again when {@link #runFor} opens its start gate. */
  private volatile long startMillis;

  /** One client, its stats, its workers and their threads. */
  private static final class Lane {
    final ClientStats stats;
    final List<Worker> workers = new ArrayList<>();
    final ExecutorService threads;

    Lane(ClientStats stats, int workers) {
      this.stats = stats;
      for (int i = 0; i < workers; i++) {
        this.workers.add(new Worker(stats));
      }
      AtomicInteger n = new AtomicInteger();
      this.threads = Executors.newFixedThreadPool(workers, task -> {
        Thread t = new Thread(task, "demo-" + stats.client().id() + "-" + n.incrementAndGet());
        t.setDaemon(true);
        return t;
      });
    }
  }

  /** One worker: one request at a time, its latencies kept to itself. */
  private static final class Worker {
    final ClientStats stats;
    final ClientStats.Latencies latencies;

    Worker(ClientStats stats) {
      this.stats = stats;
      this.latencies = stats.newLatencies();
    }

    void requestOnce() {
      long start = System.nanoTime();
      Outcome outcome = stats.client().request();
      latencies.add(System.nanoTime() - start);
      stats.record(outcome);
    }
  }

  /**
   * @param planned how long the run will be; sizes the per-second counters
   */
  Workload(List<DemoClient> clients, int workers, InstantSource clock, Duration planned) {
    this.clock = clock;
    this.startMillis = clock.millis();
    for (DemoClient client : clients) {
      lanes.add(new Lane(new ClientStats(client, clock, startMillis, planned), workers));
    }
    this.workers = workers;
  }

  List<ClientStats> stats() {
    return lanes.stream().map(l -> l.stats).toList();
  }

  /** Milliseconds since the workload was created, on its clock. */
  long elapsedMillis() {
    return clock.millis() - startMillis;
  }

  /**
   * Every worker makes requests for {@code duration} on the clock, all starting at the same moment.
   *
   * <p>The threads are started first and wait at a gate; the run (and its clock) starts when the
   * last one is there. Started one after the other, each new worker at once competes for the CPU
   * with the thread still starting the rest: on a loaded 2-core machine the last client's workers
   * came up 1 to 2 s after the first client's, and its row showed {@code ok 0} while the others
   * were already counting. That was the Tokenkeeper client, third in line.
   */
  void runFor(Duration duration) throws InterruptedException {
    CountDownLatch ready = new CountDownLatch(lanes.size() * workers);
    CountDownLatch go = new CountDownLatch(1);
    long[] end = new long[1]; // written before go opens, read after: the latch orders both
    List<Future<?>> running = submitToEveryWorker(worker -> {
      ready.countDown();
      try {
        go.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      while (clock.millis() < end[0] && !Thread.currentThread().isInterrupted()) {
        worker.requestOnce();
      }
    });
    ready.await();
    long start = clock.millis();
    end[0] = start + duration.toMillis();
    startMillis = start;
    lanes.forEach(l -> l.stats.startAt(start));
    go.countDown();
    awaitAll(running);
  }

  /** Every worker makes exactly one request, all released at once; returns when all are done. */
  void runRound() throws InterruptedException {
    CountDownLatch go = new CountDownLatch(1);
    List<Future<?>> round = submitToEveryWorker(worker -> {
      try {
        go.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      worker.requestOnce();
    });
    go.countDown();
    awaitAll(round);
  }

  private interface Job {
    void run(Worker worker);
  }

  /** Submits {@code job} for every worker, the clients taking turns so none is started first. */
  private List<Future<?>> submitToEveryWorker(Job job) {
    List<Future<?>> submitted = new ArrayList<>();
    for (int i = 0; i < workers; i++) {
      for (Lane lane : lanes) {
        Worker worker = lane.workers.get(i);
        submitted.add(lane.threads.submit(() -> job.run(worker)));
      }
    }
    return submitted;
  }

  private static void awaitAll(List<Future<?>> jobs) throws InterruptedException {
    for (Future<?> job : jobs) {
      try {
        job.get();
      } catch (ExecutionException e) {
        throw new IllegalStateException("a demo worker failed", e.getCause());
      }
    }
  }

  /** Stops the worker threads (interrupting any request in progress). */
  @Override
  public void close() {
    lanes.forEach(l -> l.threads.shutdownNow());
  }
}
