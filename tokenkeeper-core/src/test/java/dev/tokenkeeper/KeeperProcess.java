package dev.tokenkeeper;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A {@link SharedKeeperChild} JVM seen from the test: what it printed, with the time each line
 * arrived, and its stdin for commands. Started small and fast (C1 only, shared class data, small
 * stacks and heap) since a loaded CI machine starts dozens of them.
 */
final class KeeperProcess implements AutoCloseable {
  private static final Pattern RESULT =
      Pattern.compile("result ok=(\\d+) reauth=(\\d+) failures=(\\d+) maxCallMillis=(\\d+)");

  /** One line of the child's stdout and when the test read it ({@link System#nanoTime()}). */
  record Line(long nanos, String text) {}

  /** What a child counted when it was stopped. */
  record Result(String name, long ok, long reauth, long failures, long maxCallMillis) {}

  final String name;
  final Process process;
  private final Path err;
  private final Writer in;
  private final List<Line> lines = new CopyOnWriteArrayList<>();
  private final Object arrived = new Object();
  private boolean ended; // guarded by arrived: stdout reached its end

  /**
   * Starts {@code java SharedKeeperChild} at once, without waiting for it: several children start
   * in parallel. {@link #awaitReady} waits.
   */
  KeeperProcess(Path storeDir, Path logDir, String identity, URI tokenUri, String name, int threads,
      long callEveryMillis, double refreshAheadRatio) throws IOException {
    this.name = name;
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-Xss256k", "-XX:+UseSerialGC", "-Xmx64m",
        "-cp", System.getProperty("java.class.path"), SharedKeeperChild.class.getName(),
        storeDir.toString(), identity, tokenUri.toString(), name, Integer.toString(threads),
        Long.toString(callEveryMillis), Double.toString(refreshAheadRatio)));
    err = logDir.resolve(name + ".err");
    process = new ProcessBuilder(command).redirectError(err.toFile()).start();
    in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    BufferedReader out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    Thread reader = new Thread(() -> {
      try (out) {
        for (String line; (line = out.readLine()) != null; ) {
          lines.add(new Line(System.nanoTime(), line));
          synchronized (arrived) {
            arrived.notifyAll();
          }
        }
      } catch (IOException e) {
        // the child was killed: its stdout ends here
      }
      synchronized (arrived) {
        ended = true;
        arrived.notifyAll();
      }
    }, "stdout of " + name);
    reader.setDaemon(true);
    reader.start();
  }

  boolean isReady() {
    return has(line -> line.equals("ready"));
  }

  void awaitReady(Duration timeout) {
    awaitLine(0, line -> line.equals("ready"), timeout);
  }

  /** Sends a command and waits for the first line after it that matches {@code answer}. */
  String ask(String command, Predicate<String> answer, Duration timeout) {
    int from = lines.size();
    send(command);
    return awaitLine(from, answer, timeout).text();
  }

  void send(String command) {
    try {
      in.write(command + "\n");
      in.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(name + " does not take commands: " + stderr(), e);
    }
  }

  /**
   * Waits until a line from index {@code from} on matches, woken by each line that arrives.
   *
   * @throws AssertionError with the child's transcript on timeout or if it died by itself
   */
  Line awaitLine(int from, Predicate<String> matches, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (arrived) {
      while (true) {
        Line line = find(from, matches);
        if (line != null) {
          return line;
        }
        long left = deadline - System.nanoTime();
        if (ended || left <= 0) {
          throw new AssertionError((ended ? name + " ended" : "no answer from " + name + " within "
              + timeout) + "\n" + transcript());
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(arrived, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError("interrupted waiting for " + name, e);
        }
      }
    }
  }

  /** The first line from index {@code from} on that matches, or null. */
  @Nullable Line find(int from, Predicate<String> matches) {
    List<Line> snapshot = List.copyOf(lines);
    for (int i = from; i < snapshot.size(); i++) {
      if (matches.test(snapshot.get(i).text())) {
        return snapshot.get(i);
      }
    }
    return null;
  }

  /** The first line read after {@code nanos} that matches, or null. */
  @Nullable Line firstAfter(long nanos, Predicate<String> matches) {
    for (Line line : lines) {
      if (line.nanos() - nanos > 0 && matches.test(line.text())) {
        return line;
      }
    }
    return null;
  }

  boolean has(Predicate<String> matches) {
    return find(0, matches) != null;
  }

  long count(Predicate<String> matches) {
    return lines.stream().filter(line -> matches.test(line.text())).count();
  }

  int lineCount() {
    return lines.size();
  }

  /** Endpoint calls announced and not yet answered. */
  long openFetches() {
    return count(text -> text.equals("fetch")) - count(text -> text.startsWith("fetched "));
  }

  /** Waits for the answer to {@code stop} and returns what the child counted. */
  Result result(Duration timeout) {
    String line = awaitLine(0, text -> text.startsWith("result "), timeout).text();
    Matcher m = RESULT.matcher(line);
    assertThat(m.matches()).as(line).isTrue();
    return new Result(name, Long.parseLong(m.group(1)), Long.parseLong(m.group(2)),
        Long.parseLong(m.group(3)), Long.parseLong(m.group(4)));
  }

  /** SIGKILL on Linux and macOS; returns once the process is gone. */
  void kill9() throws InterruptedException {
    process.destroyForcibly();
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("%s died", name).isTrue();
  }

  String stderr() {
    try {
      return Files.exists(err) ? Files.readString(err) : "";
    } catch (IOException e) {
      return "(stderr unreadable: " + e + ")";
    }
  }

  /** Everything the child printed, for a failure message. */
  String transcript() {
    StringBuilder text = new StringBuilder(name).append(" stdout:\n");
    lines.forEach(line -> text.append("  ").append(line.text()).append('\n'));
    return text.append(name).append(" stderr:\n").append(stderr()).toString();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill9();
    }
  }

  static Map<String, Long> sum(List<Result> results) {
    return Map.of(
        "ok", results.stream().mapToLong(Result::ok).sum(),
        "reauth", results.stream().mapToLong(Result::reauth).sum(),
        "failures", results.stream().mapToLong(Result::failures).sum(),
        "maxCallMillis", results.stream().mapToLong(Result::maxCallMillis).max().orElse(0));
  }
}
