package dev.tokenkeeper.demo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The demo's side of one act-2 worker process ({@link WorkerMain}): starts it, sends it lines,
 * and reads its reports on a thread of its own. Its stderr (the keeper's log) goes to a file,
 * quoted when the worker fails.
 */
final class WorkerProcess {
  private final String id;
  private final Process process;
  private final Writer input;
  private final Path log;
  private final CountDownLatch ready = new CountDownLatch(1);
  private final CountDownLatch done = new CountDownLatch(1);
  private volatile Tally latest = Tally.empty();
  private volatile long elapsedMillis;
  private volatile @Nullable Tally last;

  private WorkerProcess(String id, Process process, Path log) {
    this.id = id;
    this.process = process;
    this.log = log;
    this.input = new java.io.OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    Thread reader = new Thread(this::readReports, "demo-read-" + id);
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts a worker JVM on this JVM's class path (the demo jar) and registers it with {@code children}. */
  static WorkerProcess start(Act2.Setup setup, URI base, String id, int workers, String store,
      Path log, ChildProcesses children) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    // Small and quick to start: 3 of them share the machine with the server and each other.
    command.addAll(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx256m"));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), Demo.class.getName(),
        "--worker", setup.id, base.toString(), id, Integer.toString(workers)));
    command.addAll(List.of(store.split(" ")));
    Process process = new ProcessBuilder(command).redirectError(log.toFile()).start();
    children.add(process);
    return new WorkerProcess(id, process, log);
  }

  String id() {
    return id;
  }

  /** The last numbers it reported (none yet: all zero). */
  Tally latest() {
    return latest;
  }

  synchronized void send(String line) throws IOException {
    input.write(line + "\n");
    input.flush();
  }

  void awaitReady(Duration timeout) throws IOException, InterruptedException {
    if (!ready.await(timeout.toMillis(), TimeUnit.MILLISECONDS) || done.getCount() == 0 && last == null) {
      throw failure("did not start within " + timeout.toSeconds() + " s");
    }
  }

  /** Waits for its final numbers. */
  Tally awaitDone(Duration timeout) throws IOException, InterruptedException {
    if (!done.await(timeout.toMillis(), TimeUnit.MILLISECONDS) || last == null) {
      throw failure("did not finish");
    }
    return last;
  }

  /** After its final numbers: waits for it to exit by itself. */
  void finish() throws InterruptedException {
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /** Closes its stdin: a worker still running exits when it sees that. */
  void closeInput() {
    try {
      input.close();
    } catch (IOException e) {
      // it is gone already
    }
  }

  private void readReports() {
    try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        if (line.equals("ready")) {
          ready.countDown();
        } else if (line.startsWith("tally ")) {
          report(line.substring(6));
        } else if (line.startsWith("done ")) {
          report(line.substring(5));
          last = latest;
          done.countDown();
        }
      }
    } catch (IOException | RuntimeException e) {
      // reported as a worker that did not finish
    } finally {
      ready.countDown();
      done.countDown();
    }
  }

  /** {@code <elapsed millis> <tally>}. */
  private void report(String line) {
    int space = line.indexOf(' ');
    elapsedMillis = Long.parseLong(line.substring(0, space));
    latest = Tally.parse(line.substring(space + 1));
  }

  /** How far into its run it was at its last report. */
  long elapsedMillis() {
    return elapsedMillis;
  }

  private IOException failure(String what) {
    String tail;
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      tail = String.join("\n  ", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
    } catch (IOException e) {
      tail = "(no log)";
    }
    return new IOException("worker process " + id + " " + what
        + (process.isAlive() ? "" : " (exit status " + process.exitValue() + ")") + "; its log:\n  " + tail);
  }
}
