package dev.tokenkeeper.demo;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The demo's command line, parsed and checked.
 *
 * @param workers concurrent workers per client in act 1
 * @param seconds how long act 1's clients run
 * @param ttlSeconds the access tokens' lifetime
 * @param clients the ids of act 1's clients, in display order
 * @param help whether {@code --help} was given
 * @param acts the acts to run, 1 and/or 2, in order
 * @param processes act 2's worker processes
 * @param processWorkers concurrent workers per process in act 2
 * @param setupSeconds how long each of act 2's setups runs
 * @param width {@code --width}, or null to ask the environment
 * @param redis {@code --redis}: act 2 also runs its processes on this Redis, or null
 */
record DemoOptions(int workers, int seconds, int ttlSeconds, List<String> clients, boolean help,
    List<Integer> acts, int processes, int processWorkers, int setupSeconds, @Nullable Integer width,
    @Nullable URI redis) {
  static final List<String> ALL_CLIENTS = List.of("none", "naive", "keeper");
  private static final List<String> OPTIONS = List.of("--workers", "--seconds", "--ttl", "--client",
      "--act", "--processes", "--process-workers", "--setup-seconds", "--width", "--redis");

  static final String USAGE = String.join("\n",
      "Usage: java -jar tokenkeeper-demo.jar [--act A] [--workers N] [--seconds S] [--ttl S]",
      "         [--client C] [--processes P] [--process-workers N] [--setup-seconds S]",
      "         [--width W] [--redis URI] [--help]",
      "",
      "Starts an API with short-lived JWT access tokens and rotating refresh tokens on loopback.",
      "Act 1 runs three clients against it side by side: one that never refreshes, the naive",
      "refresh recipe, and Tokenkeeper. Act 2 starts several JVM processes that share one user's",
      "session: first each keeping its tokens in memory, then sharing a FileTokenStore (and,",
      "with --redis, a RedisTokenStore).",
      "",
      "  --act A              1, 2 or all (default all: act 1, then act 2)",
      "  --workers N          act 1's concurrent workers per client, 1 to 500 (default 50)",
      "  --seconds S          how long act 1's clients run, 1 to 3600 (default 15)",
      "  --ttl S              access-token lifetime in seconds, 2 to 3600 (default 3)",
      "  --client C           act 1's clients: none, naive, keeper or all (default all)",
      "  --processes P        act 2's processes, 2 to 8 (default 3)",
      "  --process-workers N  act 2's concurrent workers per process, 1 to 200 (default 10)",
      "  --setup-seconds S    how long each act 2 setup runs, 2 to 3600 (default 8)",
      "  --width W            columns, 40 to 1000 (default: COLUMNS, else the terminal's, else 80)",
      "  --redis URI          act 2 also shares one RedisTokenStore, on this Redis (redis://host:port;",
      "                       keys under tokenkeeper-demo:, removed afterwards)",
      "  --help               show this help",
      "",
      "Exit status: 0 when every Tokenkeeper setup had no failed request (act 1's Tokenkeeper",
      "client, act 2's shared store), 1 when one had or the demo could not run, 2 for a bad option.",
      "");

  DemoOptions {
    clients = List.copyOf(clients);
    acts = List.copyOf(acts);
  }

  /** The options with every default: both acts, all clients. */
  static DemoOptions defaults() {
    return new DemoOptions(50, 15, 3, ALL_CLIENTS, false, List.of(1, 2), 3, 10, 8, null, null);
  }

  Duration setupDuration() {
    return Duration.ofSeconds(setupSeconds);
  }

  Duration duration() {
    return Duration.ofSeconds(seconds);
  }

  Duration ttl() {
    return Duration.ofSeconds(ttlSeconds);
  }

  /** A bad command line; the message is one line that says what to fix. */
  static final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }

  /**
   * Parses {@code args}; options may be written {@code --name value} or {@code --name=value}, and
   * the last one wins.
   *
   * @throws UsageException for an unknown option, a missing value or a value out of range
   */
  static DemoOptions parse(String... args) throws UsageException {
    DemoOptions d = defaults();
    int workers = d.workers;
    int seconds = d.seconds;
    int ttl = d.ttlSeconds;
    List<String> clients = d.clients;
    List<Integer> acts = d.acts;
    int processes = d.processes;
    int processWorkers = d.processWorkers;
    int setupSeconds = d.setupSeconds;
    Integer width = null;
    URI redis = null;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("--help") || arg.equals("-h")) {
        return new DemoOptions(workers, seconds, ttl, clients, true, acts, processes, processWorkers, setupSeconds, width, redis);
      }
      if (!arg.startsWith("-")) {
        throw new UsageException("unexpected argument '" + arg + "'");
      }
      int eq = arg.indexOf('=');
      String name = eq < 0 ? arg : arg.substring(0, eq);
      if (!OPTIONS.contains(name)) {
        throw new UsageException("unknown option '" + name + "'");
      }
      String value;
      if (eq >= 0) {
        value = arg.substring(eq + 1);
      } else if (i + 1 < args.length) {
        value = args[++i];
      } else {
        throw new UsageException(name + " needs a value");
      }
      switch (name) {
        case "--workers":
          workers = number(name, value, 1, 500);
          break;
        case "--seconds":
          seconds = number(name, value, 1, 3600);
          break;
        case "--ttl":
          // JWT exp is in whole seconds: a 1 s token can be expired the moment it is issued.
          ttl = number(name, value, 2, 3600);
          break;
        case "--act":
          acts = acts(value);
          break;
        case "--processes":
          processes = number(name, value, 2, 8);
          break;
        case "--process-workers":
          processWorkers = number(name, value, 1, 200);
          break;
        case "--setup-seconds":
          setupSeconds = number(name, value, 2, 3600);
          break;
        case "--width":
          width = number(name, value, TerminalWidth.MIN, TerminalWidth.MAX);
          break;
        case "--redis":
          redis = redis(value);
          break;
        default:
          clients = clients(value);
          break;
      }
    }
    return new DemoOptions(workers, seconds, ttl, clients, false, acts, processes, processWorkers, setupSeconds, width, redis);
  }

  private static URI redis(String value) throws UsageException {
    try {
      URI uri = new URI(value.trim());
      if (("redis".equals(uri.getScheme()) || "rediss".equals(uri.getScheme())) && uri.getHost() != null) {
        return uri;
      }
    } catch (URISyntaxException e) {
      // reported below
    }
    throw new UsageException("--redis must be redis://host:port or rediss://host:port");
  }

  private static int number(String option, String value, int min, int max) throws UsageException {
    try {
      int n = Integer.parseInt(value.trim());
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below, with the range
    }
    throw new UsageException(option + " must be a whole number from " + min + " to " + max
        + ", not '" + value + "'");
  }

  private static List<Integer> acts(String value) throws UsageException {
    switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "1":
        return List.of(1);
      case "2":
        return List.of(2);
      case "all":
        return List.of(1, 2);
      default:
        throw new UsageException("--act must be 1, 2 or all, not '" + value + "'");
    }
  }

  private static List<String> clients(String value) throws UsageException {
    String v = value.trim().toLowerCase(Locale.ROOT);
    if (v.equals("all")) {
      return ALL_CLIENTS;
    }
    if (ALL_CLIENTS.contains(v)) {
      return List.of(v);
    }
    throw new UsageException("--client must be none, naive, keeper or all, not '" + value + "'");
  }
}
