package dev.tokenkeeper.demo;

import java.io.Console;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The demo's command line: {@code java -jar tokenkeeper-demo.jar [--act 1|2|all] [--workers N]
 * [--seconds S] [--ttl S] [--client none|naive|keeper|all] [--processes P] [--setup-seconds S]
 * [--width W]}.
 *
 * <p>Act 1 starts a {@link DemoServer} on loopback and runs the clients against it <b>at the same
 * time</b>, each with the same number of workers for the same duration. Concurrently, because one
 * after the other would take three times as long, and because the comparison stays fair: the
 * three share the machine and the server equally, second by second, so the per-second sparklines
 * line up and a slow second hurts all of them alike. What sharing does change is throughput and
 * latency in absolute terms (each client gets about a third of the machine), which is why the
 * table compares clients and does not quote requests per second as a benchmark.
 *
 * <p>Act 2 ({@link Act2}) starts worker JVMs of this same jar (a hidden {@code --worker} mode)
 * that share one user's session. The demo stops them when it ends, on Ctrl-C and SIGTERM too.
 *
 * <p>Exit status: 0 when every Tokenkeeper setup that ran had no failed request (act 1's
 * Tokenkeeper client; act 2's shared store, where the processes coordinate: the in-memory setup
 * fails by design), 1 when one had or the demo could not run, 2 for a bad command line.
 */
public final class Demo {
  private Demo() {}

  /**
   * Runs the demo and exits with its status.
   *
   * @param args the options; {@code --help} lists them
   */
  public static void main(String[] args) {
    // The block characters need UTF-8 whatever the JVM's locale; every current terminal reads it.
    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
    if (args.length > 0 && args[0].equals("--worker")) {
      try {
        System.exit(WorkerMain.run(List.of(args).subList(1, args.length), out));
      } catch (Exception e) {
        // The class only: a foreign exception's message could quote a token it was handed.
        System.err.println("tokenkeeper-demo worker failed: " + e.getClass().getName());
        System.exit(1);
      }
    }
    ChildProcesses children = new ChildProcesses();
    // Ctrl-C and SIGTERM run shutdown hooks: the worker processes go with the demo.
    Runtime.getRuntime().addShutdownHook(children.shutdownHook());
    boolean terminal = isTerminal();
    System.exit(run(args, out, System.err, terminal,
        option -> TerminalWidth.resolve(option, System.getenv(), terminal, TerminalWidth::stty), children));
  }

  /** Runs the demo with the width from {@code COLUMNS} (or 80) and no shutdown hook. */
  static int run(String[] args, PrintStream out, PrintStream err, boolean terminal) {
    return run(args, out, err, terminal,
        option -> TerminalWidth.resolve(option, System.getenv(), false, java.util.OptionalInt::empty),
        new ChildProcesses());
  }

  /**
   * Runs the demo: parses {@code args}, runs the acts with a live view on {@code out}, prints the
   * tables, and returns the exit status. Errors go to {@code err}.
   *
   * @param terminal whether {@code out} is a terminal: only then is the live view redrawn in place
   *     with ANSI escape codes
   * @param width the columns to use, given {@code --width} (null when absent)
   * @param children where act 2 registers its worker processes
   */
  static int run(String[] args, PrintStream out, PrintStream err, boolean terminal,
      Function<@Nullable Integer, Integer> width, ChildProcesses children) {
    DemoOptions options;
    try {
      options = DemoOptions.parse(args);
    } catch (DemoOptions.UsageException e) {
      err.println("tokenkeeper-demo: " + e.getMessage());
      err.print(DemoOptions.USAGE);
      return 2;
    }
    if (options.help()) {
      out.print(DemoOptions.USAGE);
      return 0;
    }
    int columns = width.apply(options.width());
    List<Report.ClientResult> act1 = List.of();
    List<Act2.SetupResult> act2 = List.of();
    try {
      if (options.acts().contains(1)) {
        act1 = DemoRun.run(options, out, terminal, columns);
        out.println();
        out.print(Report.render(act1, columns, options.duration().toMillis(), options.ttlSeconds()));
        out.println();
      }
      if (options.acts().contains(2)) {
        act2 = Act2.run(options, out, terminal, columns, children);
        out.print(Act2.render(act2, columns, options.ttlSeconds()));
        out.println();
      }
    } catch (IOException e) {
      err.println("tokenkeeper-demo: " + e.getMessage());
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      err.println("tokenkeeper-demo: interrupted");
      return 1;
    } finally {
      children.stopAll();
    }
    for (String verdict : verdicts(act1, act2)) {
      out.println(Text.fit(verdict, columns - 1));
    }
    out.flush();
    return exitStatus(act1, act2);
  }

  /** One line per Tokenkeeper setup that counts for the exit status. */
  static List<String> verdicts(List<Report.ClientResult> act1, List<Act2.SetupResult> act2) {
    List<String> lines = new ArrayList<>();
    act1.stream().filter(r -> r.id().equals("keeper")).forEach(r -> lines.add(
        String.format(Locale.ROOT, "Act 1, Tokenkeeper: %,d failed request%s.", r.failed(), r.failed() == 1 ? "" : "s")));
    act2.stream().filter(r -> r.setup() != Act2.Setup.MEMORY).forEach(r -> lines.add(
        String.format(Locale.ROOT, "Act 2, shared %s: %,d failed request%s.",
            r.setup() == Act2.Setup.FILE ? "FileTokenStore" : "RedisTokenStore",
            r.total().failed(), r.total().failed() == 1 ? "" : "s")));
    return lines;
  }

  /** 1 when act 1's Tokenkeeper client or act 2's shared-store setup had a failed request, else 0. */
  static int exitStatus(List<Report.ClientResult> act1, List<Act2.SetupResult> act2) {
    boolean failed = act1.stream().anyMatch(r -> r.id().equals("keeper") && r.failed() > 0)
        || act2.stream().anyMatch(r -> r.setup() != Act2.Setup.MEMORY && r.total().failed() > 0);
    return failed ? 1 : 0;
  }
  /**
   * Whether standard output is a terminal. Some JDKs since 22 return a {@link System#console()}
   * even when output is redirected, so where {@code Console.isTerminal()} exists we ask it (looked
   * up reflectively: this code is compiled for Java 17).
   */
  static boolean isTerminal() {
    Console console = System.console();
    if (console == null) {
      return false;
    }
    try {
      return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
    } catch (NoSuchMethodException e) {
      return true; // JDK 17 to 21: a console exists only when stdin and stdout are terminals
    } catch (ReflectiveOperationException | RuntimeException e) {
      return false;
    }
  }
}
