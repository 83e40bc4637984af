package dev.tokenkeeper.it;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Worker threads that send requests in rounds: every {@code period} a gate opens for each worker
 * that finished its previous request, and all of them send at once. Each round is a burst of
 * concurrent requests, as from a latch start gate, so that whenever a token turns stale or
 * expires, many threads ask the keeper for it together.
 *
 * <p>Why rounds and not requests back to back: on two cores, 50 workers with no pause use all of
 * the CPU (about 2,500 requests a second through Tomcat, Spring Security and the two clients), and
 * then every thread, the token endpoint's included, waits hundreds of milliseconds for a core. With
 * 1-second tokens that measures the scheduler, not the keeper. A worker still busy when its gate
 * opens goes again as soon as it is done, but never has more than one round pending.
 *
 * <p>A request that throws is a failure; the first few are kept to be shown.
 */
final class Workers {
  /** One request; throws when the answer is not the expected one. */
  @FunctionalInterface
  interface Request {
    void send() throws Exception;
  }

  private final List<Thread> threads = new ArrayList<>();
  private final List<Semaphore> gates = new ArrayList<>();
  private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread thread = new Thread(r, "workers-ticker");
    thread.setDaemon(true);
    return thread;
  });
  private volatile boolean running = true;
  private final LongAdder requests = new LongAdder();
  private final LongAdder failures = new LongAdder();
  private final Queue<String> firstFailures = new ConcurrentLinkedQueue<>();

  /** Starts one worker per request (each repeats its own), released together every {@code period}. */
  static Workers start(String name, List<Request> perWorker, Duration period) {
    Workers workers = new Workers();
    for (int i = 0; i < perWorker.size(); i++) {
      Request request = perWorker.get(i);
      Semaphore gate = new Semaphore(0);
      Thread thread = new Thread(() -> workers.loop(gate, request), name + "-" + i);
      thread.setDaemon(true);
      workers.gates.add(gate);
      workers.threads.add(thread);
      thread.start();
    }
    workers.ticker.scheduleAtFixedRate(workers::openGates, 0, period.toNanos(), TimeUnit.NANOSECONDS);
    return workers;
  }

  private void openGates() {
    for (Semaphore gate : gates) {
      if (gate.availablePermits() == 0) {
        gate.release();
      }
    }
  }

  private void loop(Semaphore gate, Request request) {
    while (true) {
      try {
        gate.acquire();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      if (!running) {
        return;
      }
      try {
        request.send();
      } catch (Exception | AssertionError e) {
        failures.increment();
        if (firstFailures.size() < 5) {
          firstFailures.add(Thread.currentThread().getName() + ": " + e);
        }
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
          return;
        }
      } finally {
        requests.increment();
      }
    }
  }

  /** Stops every worker after its current request and waits for all of them. */
  void stop(Duration timeout) throws InterruptedException {
    running = false;
    ticker.shutdownNow();
    for (Semaphore gate : gates) {
      gate.release(); // wake the workers waiting for a round that will not come
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    for (Thread thread : threads) {
      thread.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
      if (thread.isAlive()) {
        throw new AssertionError(thread.getName() + " still running " + timeout + " after stop");
      }
    }
  }

  long requests() {
    return requests.sum();
  }

  long failures() {
    return failures.sum();
  }

  List<String> firstFailures() {
    return List.copyOf(firstFailures);
  }
}
