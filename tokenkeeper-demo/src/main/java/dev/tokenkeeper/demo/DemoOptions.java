package dev.tokenkeeper.demo;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The demo's command line, parsed and checked.
 *
 * @param workers concurrent workers per client
 * @param seconds how long the clients run
 * @param ttlSeconds the access tokens' lifetime
 * @param clients the ids of the clients to run, in display order
 * @param help whether {@code --help} was given
 */
record DemoOptions(int workers, int seconds, int ttlSeconds, List<String> clients, boolean help) {
  static final List<String> ALL_CLIENTS = List.of("none", "naive", "keeper");
  private static final List<String> OPTIONS = List.of("--workers", "--seconds", "--ttl", "--client");

  static final String USAGE = String.join("\n",
      "Usage: java -jar tokenkeeper-demo.jar [--workers N] [--seconds S] [--ttl S] [--client C] [--help]",
      "",
      "Starts an API with short-lived JWT access tokens and rotating refresh tokens on loopback,",
      "and runs three clients against it side by side: one that never refreshes, the naive",
      "refresh recipe, and Tokenkeeper.",
      "",
      "  --workers N   concurrent workers per client, 1 to 500 (default 50)",
      "  --seconds S   how long the clients run, 1 to 3600 (default 15)",
      "  --ttl S       access-token lifetime in seconds, 2 to 3600 (default 3)",
      "  --client C    none, naive, keeper or all (default all)",
      "  --help        show this help",
      "",
      "Exit status: 0 when the Tokenkeeper client had no failed request (or did not run),",
      "1 when it had, 2 for a bad option.",
      "");

  DemoOptions {
    clients = List.copyOf(clients);
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
    int workers = 50;
    int seconds = 15;
    int ttl = 3;
    List<String> clients = ALL_CLIENTS;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("--help") || arg.equals("-h")) {
        return new DemoOptions(workers, seconds, ttl, clients, true);
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
        default:
          clients = clients(value);
          break;
      }
    }
    return new DemoOptions(workers, seconds, ttl, clients, false);
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
