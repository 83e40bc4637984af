package dev.tokenkeeper.demo;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The worker processes the demo started, so that it can stop them, and whatever they started,
 * however the demo ends: at the end of a setup, on an error, and from a shutdown hook on Ctrl-C
 * (SIGINT) or SIGTERM. The workers also exit by themselves when their stdin closes, which covers
 * a demo killed with SIGKILL. Thread-safe.
 */
final class ChildProcesses {
  private static final long GRACE_MILLIS = 2000;
  private final List<Process> processes = new CopyOnWriteArrayList<>();

  void add(Process process) {
    processes.add(process);
  }

  /**
   * Stops every process still alive: politely, then, after 2 s, forcibly. Idempotent.
   *
   * @return how many were still alive when called
   */
  int stopAll() {
    int alive = (int) processes.stream().filter(Process::isAlive).count();
    for (Process p : processes) {
      p.descendants().forEach(ProcessHandle::destroy);
      p.destroy();
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GRACE_MILLIS);
    for (Process p : processes) {
      try {
        long left = deadline - System.nanoTime();
        if (left <= 0 || !p.waitFor(left, TimeUnit.NANOSECONDS)) {
          p.descendants().forEach(ProcessHandle::destroyForcibly);
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
      }
    }
    processes.removeIf(p -> !p.isAlive());
    return alive;
  }

  /** A thread for {@link Runtime#addShutdownHook} that stops them all. */
  Thread shutdownHook() {
    return new Thread(this::stopAll, "demo-stop-workers");
  }
}
