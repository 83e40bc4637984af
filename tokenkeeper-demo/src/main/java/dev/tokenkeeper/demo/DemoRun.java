package dev.tokenkeeper.demo;

import dev.tokenkeeper.TokenKeeper;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * One run of the demo in real time: a short warm-up, then the server, the chosen clients logged
 * in, the workload with its live view, and the measured results.
 */
final class DemoRun {
  private static final Duration TERMINAL_REFRESH = Duration.ofMillis(250);
  private static final Duration PLAIN_REFRESH = Duration.ofSeconds(2);
  private static final Duration MAX_WARM_UP = Duration.ofSeconds(2);

  private DemoRun() {}

  /** Adds one user per client to {@code server}: each client logs in as itself. */
  static DemoServer.Builder withUsers(DemoServer.Builder server) {
    DemoOptions.ALL_CLIENTS.forEach(id -> server.user(id, password(id)));
    return server;
  }

  /**
   * Creates the client named {@code id}.
   *
   * @param keeperTuning applied to the Tokenkeeper client's keeper builder (the demo passes it unchanged)
   */
  static DemoClient newClient(String id, URI base, InstantSource clock,
      UnaryOperator<TokenKeeper.Builder> keeperTuning) {
    switch (id) {
      case "none":
        return new NoRefreshClient(base, id, password(id));
      case "naive":
        return new NaiveClient(base, id, password(id), clock);
      case "keeper":
        return new KeeperClient(base, id, password(id), clock, keeperTuning);
      default:
        throw new IllegalArgumentException("no demo client named '" + id + "'; choose from " + DemoOptions.ALL_CLIENTS);
    }
  }

  private static String password(String user) {
    return "demo-password-" + user;
  }

  /**
   * Runs the clients in {@code options} concurrently against one server, drawing the live view on
   * {@code out}, and returns their results.
   *
   * @throws IOException when the server cannot start or a client cannot log in
   */
  static List<Report.ClientResult> run(DemoOptions options, PrintStream out, boolean terminal, int width)
      throws IOException, InterruptedException {
    Duration warmUp = options.duration().dividedBy(4).compareTo(MAX_WARM_UP) < 0
        ? options.duration().dividedBy(4) : MAX_WARM_UP;
    // The same clients against a throwaway server whose tokens outlive the warm-up: the JIT
    // compiles the code the measured run uses, and nothing the warm-up does is counted.
    Text.wrap(String.format(Locale.ROOT, "Warming up for %.1f s: the same clients against a throwaway "
        + "server, so that the JVM has compiled their code before anything is counted...",
        warmUp.toMillis() / 1000.0), width - 1, "", "  ").forEach(out::println);
    measure(options.clients(), options.workers(), warmUp, Duration.ofHours(1), null, false, width);
    return measure(options.clients(), options.workers(), options.duration(), options.ttl(), out, terminal, width);
  }

  /** One run of {@code clientIds} against a new server; with a live view on {@code out} unless null. */
  private static List<Report.ClientResult> measure(List<String> clientIds, int workers,
      Duration duration, Duration ttl, @Nullable PrintStream out, boolean terminal, int width)
      throws IOException, InterruptedException {
    InstantSource clock = InstantSource.system();
    List<DemoClient> clients = new ArrayList<>();
    DemoServer.Builder serverBuilder = DemoServer.newBuilder().clock(clock).accessTokenTtl(ttl);
    try (DemoServer server = withUsers(serverBuilder).start()) {
      for (String id : clientIds) {
        clients.add(newClient(id, server.baseUri(), clock, UnaryOperator.identity()));
      }
      for (DemoClient client : clients) {
        client.logIn();
      }
      try (Workload workload = new Workload(clients, workers, clock, duration)) {
        if (out == null) {
          workload.runFor(duration);
          return List.of();
        }
        Text.wrap(String.format(Locale.ROOT, "Act 1: %d client%s x %d workers for %d s against %s, "
            + "access tokens live %d s. The workers start together once all %d threads are up.",
            clients.size(), clients.size() == 1 ? "" : "s", workers, duration.toSeconds(),
            server.baseUri(), ttl.toSeconds(), clients.size() * workers), width - 1, "", "  ")
            .forEach(out::println);
        out.println();
        LiveView view = new LiveView(out, terminal, width, () -> workload.stats().stream()
            .map(s -> new LiveView.Row(s.client().title(), s.client().id(),
                s.tally(server.counts(s.client().id()))))
            .toList(), duration, workload::elapsedMillis);
        ScheduledExecutorService ticker = startUpdating(view, terminal);
        try {
          workload.runFor(duration);
        } finally {
          ticker.shutdownNow();
          ticker.awaitTermination(5, TimeUnit.SECONDS);
        }
        view.update(); // the final numbers
        List<Report.ClientResult> results = new ArrayList<>();
        for (ClientStats stats : workload.stats()) {
          results.add(Report.ClientResult.of(stats, server.counts(stats.client().id())));
        }
        return results;
      }
    } finally {
      clients.forEach(DemoClient::close);
    }
  }

  /** Updates {@code view} about 4 times a second on a terminal, every 2 s otherwise. */
  private static ScheduledExecutorService startUpdating(LiveView view, boolean terminal) {
    ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(task -> {
      Thread t = new Thread(task, "demo-live-view");
      t.setDaemon(true);
      return t;
    });
    long period = (terminal ? TERMINAL_REFRESH : PLAIN_REFRESH).toMillis();
    ticker.scheduleAtFixedRate(view::update, terminal ? 0 : period, period, TimeUnit.MILLISECONDS);
    return ticker;
  }
}
