package dev.tokenkeeper.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A {@link RedisKeeperChild} JVM seen from the test: what it printed, with the time each line
 * arrived, and its stdin for commands. The same harness as core's {@code KeeperProcess} (which is
 * tied to its file-store child), started with the same small-and-fast flags: C1 only, shared class
 * data, small stacks, serial GC.
 */
final class ChildJvm implements AutoCloseable {
  private static final Pattern RESULT = Pattern.compile(
      "ok=(\\d+) reauth=(\\d+) failures=(\\d+) untyped=(\\d+) maxCallMillis=(\\d+)");

  /** One line of the child's stdout and when the test read it ({@link System#nanoTime()}). */
  record Line(long nanos, String text) {}

  /** What a child counted: typed failures ({@code TokenException}) and untyped ones apart. */
  record Result(String name, long ok, long reauth, long failures, long untyped, long maxCallMillis) {
    static Result parse(String name, String line) {
      Matcher m = RESULT.matcher(line);
      assertThat(m.find()).as(line).isTrue();
      return new Result(name, Long.parseLong(m.group(1)), Long.parseLong(m.group(2)),
          Long.parseLong(m.group(3)), Long.parseLong(m.group(4)), Long.parseLong(m.group(5)));
    }

    static Result sum(List<Result> results) {
      return new Result("all", results.stream().mapToLong(Result::ok).sum(),
          results.stream().mapToLong(Result::reauth).sum(),
          results.stream().mapToLong(Result::failures).sum(),
          results.stream().mapToLong(Result::untyped).sum(),
          results.stream().mapToLong(Result::maxCallMillis).max().orElse(0));
    }
  }

  final String name;
  final Process process;
  private final Path err;
  private final Writer in;
  private final List<Line> lines = new CopyOnWriteArrayList<>();
  private final Object arrived = new Object();
  private boolean ended; // guarded by arrived: stdout reached its end

  /**
   * Starts {@code java RedisKeeperChild <args>} at once, without waiting: several children start in
   * parallel, {@link #awaitReady} waits.
   */
  ChildJvm(Path logDir, String name, String heap, List<String> args) throws IOException {
    this.name = name;
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-Xss256k", "-XX:+UseSerialGC", "-Xmx" + heap,
        "-cp", System.getProperty("java.class.path"), RedisKeeperChild.class.getName()));
    command.addAll(args);
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

  /** Sends a command and waits for the first line after it that starts with {@code answer}. */
  String ask(String command, String answer, Duration timeout) {
    return ask(command, text -> text.startsWith(answer), timeout);
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

  /** The answer ({@code fetched ...}) to the first endpoint call announced after {@code nanos}, or null. */
  @Nullable Line answerToFirstCallAfter(long nanos) {
    List<Line> snapshot = List.copyOf(lines);
    for (int i = 0; i < snapshot.size(); i++) {
      if (snapshot.get(i).nanos() - nanos > 0 && snapshot.get(i).text().equals("fetch")) {
        return find(i + 1, text -> text.startsWith("fetched "));
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
    return count(text -> text.startsWith("fetch ") || text.equals("fetch"))
        - count(text -> text.startsWith("fetched "));
  }

  /** Sends {@code stop} and returns what the child counted. */
  Result stop(Duration timeout) {
    return Result.parse(name, ask("stop", "result ", timeout));
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

  /** Everything the child printed (the last 200 lines), for a failure message. */
  String transcript() {
    StringBuilder text = new StringBuilder(name).append(" stdout:\n");
    List<Line> snapshot = List.copyOf(lines);
    snapshot.subList(Math.max(0, snapshot.size() - 200), snapshot.size())
        .forEach(line -> text.append("  ").append(line.text()).append('\n'));
    return text.append(name).append(" stderr:\n").append(stderr()).toString();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill9();
    }
  }
}
