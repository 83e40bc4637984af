package dev.tokenkeeper.demo;

import dev.tokenkeeper.FileTokenStore;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenResponse;
import dev.tokenkeeper.demo.DemoHttp.Tokens;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Act 2: several JVM processes, one user. The demo server runs in this process; the workers are
 * new JVMs of the same jar ({@link WorkerMain}), each with its own keeper and workers, all signed
 * in as the same user: one sign-in, one refresh-token family. Two setups, each against a new
 * server:
 *
 * <ul>
 *   <li>{@link Setup#MEMORY}: each process is handed the tokens at start and keeps them in memory,
 *       as a library without a shared store does. Each refreshes when its own copy runs out; the
 *       first rotates the refresh token, the next presents the retired one, and reuse detection
 *       revokes the session for all of them.
 *   <li>{@link Setup#FILE}: the processes share a {@link FileTokenStore} in a temporary directory.
 *       The keepers coordinate through it (lease, re-read, adopt): one refresh per token lifetime
 *       across all processes, no failures.
 * </ul>
 *
 * A shared store on Redis ({@code --redis}) is not here yet: it needs the Redis module.
 */
final class Act2 {
  /** The one user all processes act as; also the token file's name. */
  static final String IDENTITY = "demo";
  private static final String PASSWORD = "demo-password-act2";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  private static final Duration DONE_GRACE = Duration.ofSeconds(30);

  /** How the processes keep their tokens. */
  enum Setup {
    MEMORY("memory", "in memory", "each process keeps its tokens in memory"),
    FILE("file", "shared file", "the processes share a FileTokenStore (temporary directory)"),
    REDIS("redis", "shared Redis", "the processes share a RedisTokenStore (--redis)");

    final String id;
    final String title;
    final String description;

    Setup(String id, String title, String description) {
      this.id = id;
      this.title = title;
      this.description = description;
    }
  }

  /**
   * What one setup came to.
   *
   * @param processes each process's tally, with the server's counts for it
   * @param sessionAlive whether the user's session could still refresh at the end
   * @param shortestGapMillis the shortest time between two successful refreshes, -1 with fewer than two
   */
  record SetupResult(Setup setup, int workers, List<Tally> processes, boolean sessionAlive,
      long shortestGapMillis, long runMillis) {
    SetupResult {
      processes = List.copyOf(processes);
    }

    Tally total() {
      return processes.stream().reduce(Tally.empty(), Tally::plus);
    }
  }

  private Act2() {}

  /** Runs both setups, one after the other, with a live view each; returns their results. */
  static List<SetupResult> run(DemoOptions options, PrintStream out, boolean terminal, int width,
      ChildProcesses children) throws IOException, InterruptedException {
    List<SetupResult> results = new ArrayList<>();
    Setup[] setups = options.redis() == null ? new Setup[] {Setup.MEMORY, Setup.FILE} : Setup.values();
    for (int i = 0; i < setups.length; i++) {
      Text.wrap(String.format(Locale.ROOT, "Act 2, setup %d of %d: %d processes, one user; %s.",
          i + 1, setups.length, options.processes(), setups[i].description), width - 1, "", "  ")
          .forEach(out::println);
      results.add(runSetup(setups[i], options, out, terminal, width, children));
      out.println();
    }
    return results;
  }

  static SetupResult runSetup(Setup setup, DemoOptions options, PrintStream out, boolean terminal,
      int width, ChildProcesses children) throws IOException, InterruptedException {
    Path temp = Files.createTempDirectory("tokenkeeper-demo-");
    List<WorkerProcess> workers = new ArrayList<>();
    try (DemoServer server = DemoServer.newBuilder().accessTokenTtl(options.ttl())
        .user(IDENTITY, PASSWORD).start()) {
      Path storeDir = temp.resolve("tokens");
      // Where the shared tokens are: a directory, or a Redis URI and a key prefix of this run only.
      String store = setup == Setup.REDIS
          ? options.redis() + " " + SharedStores.redisPrefix(temp.getFileName().toString())
          : storeDir.toString();
      long starting = System.nanoTime();
      for (int p = 1; p <= options.processes(); p++) {
        workers.add(WorkerProcess.start(setup, server.baseUri(), "p" + p,
            options.processWorkers(), store, temp.resolve("p" + p + ".log"), children));
      }
      out.print(Text.fit(String.format(Locale.ROOT, "Starting %d JVMs (this jar, worker mode)... ",
          workers.size()), width - 10));
      out.flush();
      for (WorkerProcess worker : workers) {
        worker.awaitReady(START_TIMEOUT);
      }
      out.printf(Locale.ROOT, "up in %.1f s%n", (System.nanoTime() - starting) / 1e9);

      // One sign-in for the user, now that every process is ready: the tokens are fresh at the start.
      Tokens login = DemoHttp.logIn(DemoHttp.newClient(), server.baseUri(), "login", IDENTITY, PASSWORD);
      String tokens = "";
      if (setup != Setup.MEMORY) {
        // Saved where every process looks; nobody hands them to the processes.
        try (SharedStores.Opened shared = SharedStores.open(setup, store);
            TokenKeeper seed = KeeperClient.newKeeper(server.baseUri(), "login")
                .store(shared.store()).build()) {
          seed.signIn(TokenResponse.bearer(login.accessToken()).withRefreshToken(login.refreshToken()));
        }
      } else {
        // Handed to each process, which keeps its copy in memory.
        tokens = " " + login.accessToken() + " " + login.refreshToken();
      }
      Duration duration = options.setupDuration();
      long go = System.nanoTime();
      for (WorkerProcess worker : workers) {
        worker.send("go " + duration.toMillis() + tokens);
      }
      // The time shown is the workers' own: a process that started late shows it.
      LiveView view = new LiveView(out, terminal, width, () -> workers.stream()
          .map(w -> new LiveView.Row("process " + w.id().substring(1), w.id(), withServer(w.latest(), server, w.id())))
          .toList(), duration, () -> workers.stream().mapToLong(WorkerProcess::elapsedMillis).min().orElse(0));
      ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "demo-live-view");
        t.setDaemon(true);
        return t;
      });
      long period = terminal ? 250 : 2000;
      ticker.scheduleAtFixedRate(view::update, terminal ? 0 : period, period, TimeUnit.MILLISECONDS);
      List<Tally> tallies = new ArrayList<>();
      try {
        for (WorkerProcess worker : workers) {
          tallies.add(withServer(worker.awaitDone(duration.plus(DONE_GRACE)), server, worker.id()));
        }
      } finally {
        ticker.shutdownNow();
        ticker.awaitTermination(5, TimeUnit.SECONDS);
      }
      view.update();
      long runMillis = (System.nanoTime() - go) / 1_000_000;
      for (WorkerProcess worker : workers) {
        worker.send("exit"); // all are done: now they may close their keepers
      }
      for (WorkerProcess worker : workers) {
        worker.finish();
      }
      return new SetupResult(setup, options.processWorkers(), tallies, server.sessionAlive(IDENTITY),
          server.shortestRefreshGapMillis(), Math.min(runMillis, duration.toMillis()));
    } finally {
      workers.forEach(WorkerProcess::closeInput);
      children.stopAll();
      if (setup == Setup.REDIS) {
        SharedStores.deleteRedisKeys(options.redis(), SharedStores.redisPrefix(temp.getFileName().toString()));
      }
      deleteTree(temp);
    }
  }

  private static Tally withServer(Tally tally, DemoServer server, String id) {
    DemoServer.ClientCounts counts = server.counts(id);
    return tally.withServerCounts(counts.refreshCalls(), counts.reuseDetections());
  }

  /** The table of all setups, then one line per setup, in at most {@code width} columns. */
  static String render(List<SetupResult> results, int width, long ttlSeconds) {
    List<Tally> totals = results.stream().map(SetupResult::total).toList();
    List<Table.Row> rows = new ArrayList<>();
    rows.add(Table.Row.of("processes x workers", "processes", results.stream()
        .map(r -> r.processes().size() + " x " + r.workers()).toList()));
    rows.add(Table.Row.of("requests", "requests", totals.stream().map(t -> Table.number(t.requests())).toList()));
    rows.add(Table.Row.of("succeeded", "ok", totals.stream().map(t -> Table.number(t.ok())).toList()));
    rows.add(Table.Row.of("failed", "failed", totals.stream().map(t -> Table.number(t.failed())).toList()));
    rows.addAll(Report.causeRows(totals));
    rows.add(Table.Row.of("refresh calls", "refreshes", totals.stream().map(t -> Table.number(t.refreshCalls())).toList()));
    rows.add(Table.Row.of("  by process", "  by process", results.stream()
        .map(r -> String.join("+", r.processes().stream().map(t -> Long.toString(t.refreshCalls())).toList())).toList()));
    rows.add(Table.Row.of("shortest gap between refreshes", "refresh gap", results.stream()
        .map(r -> r.shortestGapMillis() < 0 ? "-" : Tally.seconds(r.shortestGapMillis())).toList()));
    rows.add(Table.Row.of("reuse detections", "reuse detected", totals.stream().map(t -> Table.number(t.reuseDetections())).toList()));
    rows.add(Table.Row.of("session at the end", "session", results.stream()
        .map(r -> r.sessionAlive() ? "alive" : "revoked").toList()));
    StringBuilder out = new StringBuilder(Table.render(results.stream().map(r -> r.setup().title).toList(),
        results.stream().map(r -> r.setup().id).toList(), rows, width - 1));
    out.append('\n');
    for (int i = 0; i < results.size(); i++) {
      SetupResult r = results.get(i);
      String text = r.setup().title + ": " + totals.get(i).takeaway(r.runMillis(), ttlSeconds);
      if (totals.get(i).failed() == 0 && r.shortestGapMillis() >= 0) {
        text += String.format(Locale.ROOT, " Across %d processes the shortest gap between two refreshes was %s.",
            r.processes().size(), Tally.seconds(r.shortestGapMillis()));
      }
      Text.wrap(text, width - 1, "", "    ").forEach(l -> out.append(l).append('\n'));
    }
    return out.toString();
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          // a leftover in the temp directory, nothing worse
        }
      });
    } catch (IOException e) {
      // the same
    }
  }
}
