package dev.tokenkeeper.demo;

import dev.tokenkeeper.FileTokenStore;
import dev.tokenkeeper.TokenStore;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenResponse;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * Act 2's worker process: the hidden mode {@code java -cp <the demo jar> dev.tokenkeeper.demo.Demo
 * --worker <setup> <base URI> <id> <workers> <store directory>}. It talks to the demo that started
 * it over stdin and stdout, one line at a time:
 *
 * <ol>
 *   <li>out: {@code ready} once the JVM is up and the classes a keeper needs are loaded;
 *   <li>in: {@code go <millis>} for the {@code file} setup, whose tokens are in the store by then,
 *       or {@code go <millis> <access> <refresh>} for the {@code memory} setup (tokens never go on
 *       a command line, where {@code ps} shows them). The user signs in only once every process is
 *       ready, so that the tokens are fresh however long the JVMs took to start; and all processes
 *       start their workers at the same moment;
 *   <li>out: {@code tally <elapsed> <counts> <first times>} about 5 times a second, then {@code
 *       done ...} with the final numbers;
 *   <li>in: {@code exit} once every process is done: it closes its keeper and exits.
 * </ol>
 *
 * When its stdin closes (the demo ended, however it ended), it exits at once: no worker outlives
 * the demo even if the demo was killed with no chance to stop it.
 */
final class WorkerMain {
  private static final Duration REPORT_EVERY = Duration.ofMillis(200);

  private WorkerMain() {}

  /** Runs the worker; returns its exit status. */
  static int run(List<String> args, PrintStream out)
      throws IOException, InterruptedException, ClassNotFoundException {
    if (args.size() < 5) {
      throw new IllegalArgumentException("usage: --worker <memory|file|redis> <base URI> <id> <workers>"
          + " <store dir | redis URI and key prefix>");
    }
    String setup = args.get(0);
    URI base = URI.create(args.get(1));
    String id = args.get(2);
    int workers = Integer.parseInt(args.get(3));
    String store = String.join(" ", args.subList(4, args.size()));
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));

    if (!setup.equals("memory") && !setup.equals("file") && !setup.equals("redis")) {
      throw new IllegalArgumentException("no setup named " + setup);
    }
    warmUp(base, id);
    out.println("ready");
    String[] go = expect(in, "go").split(" ");
    long millis = Long.parseLong(go[1]);
    UnaryOperator<TokenKeeper.Builder> tuning;
    SharedStores.Opened shared = null;
    if (setup.equals("memory")) {
      TokenResponse login = TokenResponse.bearer(go[2]).withRefreshToken(go[3]);
      tuning = keeper -> keeper.initialTokens(login); // in this process's memory only
    } else {
      shared = SharedStores.open(setup.equals("redis") ? Act2.Setup.REDIS : Act2.Setup.FILE, store);
      TokenStore opened = shared.store();
      tuning = keeper -> keeper.store(opened);
    }
    InstantSource clock = InstantSource.system();
    try (SharedStores.Opened closedLast = shared;
        KeeperClient client = new KeeperClient(base, id, id, Act2.IDENTITY, "unused", clock, tuning)) {
      CountDownLatch exit = new CountDownLatch(1);
      Thread watchdog = new Thread(() -> watchInput(in, exit), "demo-worker-stdin");
      watchdog.setDaemon(true);
      watchdog.start();
      Duration duration = Duration.ofMillis(millis);
      try (Workload workload = new Workload(List.of(client), workers, clock, duration)) {
        ClientStats stats = workload.stats().get(0);
        ScheduledExecutorService reporter = Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "demo-worker-report");
          t.setDaemon(true);
          return t;
        });
        reporter.scheduleAtFixedRate(() -> out.println("tally " + workload.elapsedMillis() + " " + tally(stats)),
            0, REPORT_EVERY.toMillis(), TimeUnit.MILLISECONDS);
        try {
          workload.runFor(duration);
        } finally {
          reporter.shutdownNow();
          reporter.awaitTermination(5, TimeUnit.SECONDS);
        }
        out.println("done " + workload.elapsedMillis() + " " + tally(stats));
      }
      // Keep the keeper open until every process is done: closing it abandons a refresh in
      // flight, and a rotation the server made but this keeper never saved would make the next
      // process present a retired refresh token (seen once: reuse detected 0.4 s after the end).
      exit.await(60, TimeUnit.SECONDS);
    }
    out.flush();
    return 0;
  }

  /**
   * Does, before the run, what a new JVM is slow at the first time: loading the classes of the
   * keeper, its store and the HTTP client, and a few API calls (without a token, answered 401).
   * On a loaded machine the first requests of a cold JVM took seconds.
   */
  private static void warmUp(URI base, String id) throws IOException, InterruptedException, ClassNotFoundException {
    Class.forName(KeeperClient.class.getName());
    Class.forName(FileTokenStore.class.getName());
    Class.forName(TokenKeeper.class.getName());
    java.net.http.HttpClient http = DemoHttp.newClient();
    for (int i = 0; i < 20; i++) {
      DemoHttp.getItems(http, base, "warm-up-" + id, null);
    }
  }

  private static String tally(ClientStats stats) {
    return stats.tally(new DemoServer.ClientCounts(0, 0, 0, 0, 0, 0)).toLine();
  }

  private static String expect(BufferedReader in, String command) throws IOException {
    String line = in.readLine();
    if (line == null || !line.startsWith(command + " ")) {
      throw new IOException("expected '" + command + " ...' from the demo, got "
          + (line == null ? "the end of input" : "another line"));
    }
    return line;
  }

  /**
   * Reads stdin: {@code exit} opens {@code exit}; at its end, halts the process: the demo that
   * started us is gone.
   */
  private static void watchInput(BufferedReader in, CountDownLatch exit) {
    try {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (line.equals("exit")) {
          exit.countDown();
        }
      }
    } catch (IOException e) {
      // closed as well
    }
    Runtime.getRuntime().halt(3);
  }
}
