package dev.tokenkeeper.demo;

import java.io.Console;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The demo's command line: {@code java -jar tokenkeeper-demo.jar [--workers N] [--seconds S]
 * [--ttl S] [--client none|naive|keeper|all]}.
 *
 * <p>It starts a {@link DemoServer} on loopback and runs the clients against it <b>at the same
 * time</b>, each with the same number of workers for the same duration. Concurrently, because one
 * after the other would take three times as long (45 s with the defaults, where the demo promises
 * under 25 s), and because the comparison stays fair: the three share the machine and the server
 * equally, second by second, so the per-second sparklines line up and a slow second hurts all of
 * them alike. What sharing does change is throughput and latency in absolute terms (each client
 * gets about a third of the machine), which is why the table compares clients and does not quote
 * requests per second as a benchmark.
 *
 * <p>Exit status: 0 when the Tokenkeeper client had no failed request (or was not run), 1 when it
 * had or the demo could not run, 2 for a bad command line.
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
    System.exit(run(args, out, System.err, isTerminal()));
  }

  /**
   * Runs the demo: parses {@code args}, runs the clients with a live view on {@code out}, prints the
   * table, and returns the exit status. Errors go to {@code err}.
   *
   * @param terminal whether {@code out} is a terminal: only then is the live view redrawn in place
   *     with ANSI escape codes
   */
  static int run(String[] args, PrintStream out, PrintStream err, boolean terminal) {
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
    List<Report.ClientResult> results;
    try {
      results = DemoRun.run(options, out, terminal);
    } catch (IOException e) {
      err.println("tokenkeeper-demo: " + e.getMessage());
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      err.println("tokenkeeper-demo: interrupted");
      return 1;
    }
    out.println();
    out.print(Report.render(results));
    out.println();
    results.stream().filter(r -> r.id().equals("keeper")).forEach(r ->
        out.printf("Tokenkeeper: %,d failed request%s.%n", r.failed(), r.failed() == 1 ? "" : "s"));
    out.flush();
    return exitStatus(results);
  }

  /** 1 when the Tokenkeeper client ran and a request of it failed, else 0. */
  static int exitStatus(List<Report.ClientResult> results) {
    return results.stream().anyMatch(r -> r.id().equals("keeper") && r.failed() > 0) ? 1 : 0;
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
