package dev.tokenkeeper;

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
 * A child JVM of a process test seen from the test: what it printed on stdout, with the time each
 * line arrived, and its stdin for commands, one line each. Started at once on the test's class path
 * with small-and-fast flags (C1 only, shared class data, small stacks, serial GC), since a loaded
 * CI machine starts dozens of them. Knows nothing of the store the child uses: core's {@code
 * SharedKeeperChild} (a {@code FileTokenStore}) and tokenkeeper-redis's {@code RedisKeeperChild}
 * both speak this line protocol, with {@link KeeperChildCalls} on their side: {@code ready} once
 * built, {@code fetch} / {@code fetched ...} around each endpoint call, {@code result ...} (a
 * {@link Result}) after {@code stop}. In core's test jar, for tokenkeeper-redis's process tests.
 */
public class ChildJvm implements AutoCloseable {
  private static final Pattern RESULT = Pattern.compile(
      "ok=(\\d+) reauth=(\\d+) failures=(\\d+) untyped=(\\d+) maxCallMillis=(\\d+)");

  /** One line of the child's stdout and when the test read it ({@link System#nanoTime()}). */
  public record Line(long nanos, String text) {}

  /**
   * What a child counted ({@link KeeperChildCalls#counts()}): typed failures ({@code
   * TokenException}) and untyped ones apart.
   */
  public record Result(String name, long ok, long reauth, long failures, long untyped,
      long maxCallMillis) {
    public static Result parse(String name, String line) {
      Matcher m = RESULT.matcher(line);
      if (!m.find()) {
        throw new AssertionError("not a count line: " + line);
      }
      return new Result(name, Long.parseLong(m.group(1)), Long.parseLong(m.group(2)),
          Long.parseLong(m.group(3)), Long.parseLong(m.group(4)), Long.parseLong(m.group(5)));
    }

    public static Result sum(List<Result> results) {
      return new Result("all", results.stream().mapToLong(Result::ok).sum(),
          results.stream().mapToLong(Result::reauth).sum(),
          results.stream().mapToLong(Result::failures).sum(),
          results.stream().mapToLong(Result::untyped).sum(),
          results.stream().mapToLong(Result::maxCallMillis).max().orElse(0));
    }
  }

  public final String name;
  public final Process process;
  private final Path err;
  private final Writer in;
  private final List<Line> lines = new CopyOnWriteArrayList<>();
  private final Object arrived = new Object();
  private boolean ended; // guarded by arrived: stdout reached its end

  /**
   * Starts {@code java -Xmx<heap> <main> <args>} at once, without waiting: several children start
   * in parallel, {@link #awaitReady} waits. Its stderr goes to {@code <logDir>/<name>.err}.
   */
  public ChildJvm(Path logDir, String name, String heap, Class<?> main, List<String> args)
      throws IOException {
    this.name = name;
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-Xss256k", "-XX:+UseSerialGC", "-Xmx" + heap,
        "-cp", System.getProperty("java.class.path"), main.getName()));
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

  public boolean isReady() {
    return has(line -> line.equals("ready"));
  }

  public void awaitReady(Duration timeout) {
    awaitLine(0, line -> line.equals("ready"), timeout);
  }

  /** Sends a command and waits for the first line after it that starts with {@code answer}. */
  public String ask(String command, String answer, Duration timeout) {
    return ask(command, text -> text.startsWith(answer), timeout);
  }

  /** Sends a command and waits for the first line after it that matches {@code answer}. */
  public String ask(String command, Predicate<String> answer, Duration timeout) {
    int from = lines.size();
    send(command);
    return awaitLine(from, answer, timeout).text();
  }

  public void send(String command) {
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
  public Line awaitLine(int from, Predicate<String> matches, Duration timeout) {
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
  public @Nullable Line find(int from, Predicate<String> matches) {
    List<Line> snapshot = List.copyOf(lines);
    for (int i = from; i < snapshot.size(); i++) {
      if (matches.test(snapshot.get(i).text())) {
        return snapshot.get(i);
      }
    }
    return null;
  }

  /** The first line read after {@code nanos} that matches, or null. */
  public @Nullable Line firstAfter(long nanos, Predicate<String> matches) {
    for (Line line : lines) {
      if (line.nanos() - nanos > 0 && matches.test(line.text())) {
        return line;
      }
    }
    return null;
  }

  /** The answer ({@code fetched ...}) to the first endpoint call announced after {@code nanos}, or null. */
  public @Nullable Line answerToFirstCallAfter(long nanos) {
    List<Line> snapshot = List.copyOf(lines);
    for (int i = 0; i < snapshot.size(); i++) {
      if (snapshot.get(i).nanos() - nanos > 0 && snapshot.get(i).text().equals("fetch")) {
        return find(i + 1, text -> text.startsWith("fetched "));
      }
    }
    return null;
  }

  public boolean has(Predicate<String> matches) {
    return find(0, matches) != null;
  }

  public long count(Predicate<String> matches) {
    return lines.stream().filter(line -> matches.test(line.text())).count();
  }

  public int lineCount() {
    return lines.size();
  }

  /** Endpoint calls announced and not yet answered. */
  public long openFetches() {
    return count(text -> text.startsWith("fetch ") || text.equals("fetch"))
        - count(text -> text.startsWith("fetched "));
  }

  /** Sends {@code stop} and returns what the child counted. */
  public Result stop(Duration timeout) {
    return Result.parse(name, ask("stop", "result ", timeout));
  }

  /** Waits for the {@code result} line (after {@code stop}) and returns what the child counted. */
  public Result result(Duration timeout) {
    return Result.parse(name, awaitLine(0, text -> text.startsWith("result "), timeout).text());
  }

  /** Sends {@code stop} to all at once (each stops its workers while the others do), then waits. */
  public static List<Result> stopAll(List<? extends ChildJvm> children, Duration timeout) {
    for (ChildJvm child : children) {
      child.send("stop");
    }
    List<Result> results = new ArrayList<>();
    for (ChildJvm child : children) {
      results.add(child.result(timeout));
    }
    return results;
  }

  /**
   * Of all {@code children}, the earliest answer ({@code fetched ...}) to an endpoint call announced
   * after {@code nanos}, or null. An answer printed after {@code nanos} to a call sent before it (an
   * attempt answered late on a loaded machine) does not count: taking the first answer printed, one
   * run of tokenkeeper-redis's kill test counted 19 lost sessions for 20 kills (a late {@code
   * fetched ok} 267 ms after the kill hid the reuse detection that followed).
   */
  public static @Nullable Line firstAnswerToACallAfter(List<? extends ChildJvm> children, long nanos) {
    Line first = null;
    for (ChildJvm child : children) {
      Line line = child.answerToFirstCallAfter(nanos);
      if (line != null && (first == null || line.nanos() - first.nanos() < 0)) {
        first = line;
      }
    }
    return first;
  }

  /** The children that printed {@code ready}. */
  public static <C extends ChildJvm> List<C> ready(List<C> children) {
    List<C> ready = new ArrayList<>();
    for (C child : children) {
      if (child.isReady()) {
        ready.add(child);
      }
    }
    return ready;
  }

  /** Every child's transcript, for a failure message. */
  public static String transcripts(List<? extends ChildJvm> children) {
    StringBuilder text = new StringBuilder();
    for (ChildJvm child : children) {
      text.append('\n').append(child.transcript());
    }
    return text.toString();
  }

  /** SIGKILL on Linux and macOS; returns once the process is gone. */
  public void kill9() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new AssertionError(name + " did not die within 30 s of SIGKILL");
    }
  }

  public String stderr() {
    try {
      return Files.exists(err) ? Files.readString(err) : "";
    } catch (IOException e) {
      return "(stderr unreadable: " + e + ")";
    }
  }

  /** Everything the child printed (the last 200 lines), for a failure message. */
  public String transcript() {
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
