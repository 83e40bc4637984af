package dev.tokenkeeper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A separate JVM holding one {@link TokenKeeper} on a shared {@link FileTokenStore}, for {@link
 * SharedFileStoreProcessTest}: {@code java SharedKeeperChild <dir> <identity> <tokenUri> <name>
 * <threads> <callEveryMillis> <refreshAheadRatio>}.
 *
 * <p>Its token source announces every endpoint call on stdout before it delegates ({@code fetch})
 * and after ({@code fetched ok}, {@code fetched refused <error>}, {@code fetched failed
 * <exception>}), and sends {@code process=<name>} with each request so that the server's log names
 * the sender. {@code threads} workers call {@link TokenKeeper#token()} every {@code
 * callEveryMillis} each. Prints {@code ready} once the keeper is built, then answers commands read
 * from stdin, one line each:
 *
 * <ul>
 *   <li>{@code probe}: one {@code token()} call; prints {@code probe ok} or {@code probe failed
 *       <exception>};
 *   <li>{@code token}: prints {@code token <fingerprint>} and remembers the token;
 *   <li>{@code invalidate}: invalidates the remembered token (as after a 401), takes the current one
 *       and prints {@code invalidated <true|false> <fingerprint>};
 *   <li>{@code signin}: signs in again with the password grant; prints {@code signedin};
 *   <li>{@code stop}: stops the workers, prints {@code result ok=.. reauth=.. failures=..
 *       maxCallMillis=..} and exits.
 * </ul>
 *
 * Only fingerprints are printed, never a token.
 */
public final class SharedKeeperChild {
  private static final PrintStream OUT = System.out;

  private final AtomicLong ok = new AtomicLong();
  private final AtomicLong reauth = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private final AtomicLong maxCallNanos = new AtomicLong();
  private final AtomicReference<String> firstFailure = new AtomicReference<>();

  private SharedKeeperChild() {}

  public static void main(String[] args) throws Exception {
    new SharedKeeperChild().run(args);
  }

  private void run(String[] args) throws Exception {
    FileTokenStore store = FileTokenStore.directory(Path.of(args[0])).identity(args[1]);
    URI tokenUri = URI.create(args[2]);
    String name = args[3];
    int threads = Integer.parseInt(args[4]);
    long callEveryMillis = Long.parseLong(args[5]);
    double refreshAheadRatio = Double.parseDouble(args[6]);
    OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(tokenUri)
        .clientId("test-client").clientSecret("test-secret").parameter("process", name)
        .timeout(Duration.ofSeconds(5)).build();
    TokenSource refresh = endpoint.refreshTokens();
    TokenKeeper keeper = TokenKeeper.newBuilder(request -> announce(refresh, request))
        .name(name).store(store).attemptTimeout(Duration.ofSeconds(8))
        .refreshAhead(refreshAheadRatio, Duration.ofMinutes(1)).defaultTimeout(Duration.ofSeconds(10))
        .build();
    ScheduledExecutorService workers = Executors.newScheduledThreadPool(Math.max(threads, 1));
    for (int i = 0; i < threads; i++) {
      // Spread the workers over the period so that calls arrive all the time, not in bursts.
      workers.scheduleAtFixedRate(() -> call(keeper), i * callEveryMillis / Math.max(threads, 1),
          callEveryMillis, TimeUnit.MILLISECONDS);
    }
    say("ready");
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    AccessToken remembered = null;
    for (String command; (command = in.readLine()) != null; ) {
      switch (command) {
        case "probe" -> {
          try {
            keeper.token();
            say("probe ok");
          } catch (TokenException e) {
            say("probe failed " + e.getClass().getSimpleName());
          }
        }
        case "token" -> {
          try {
            remembered = keeper.token();
            say("token " + remembered.fingerprint());
          } catch (TokenException e) {
            say("token failed " + e.getClass().getSimpleName());
          }
        }
        case "invalidate" -> {
          try {
            boolean refreshed = keeper.invalidate(remembered);
            remembered = keeper.token();
            say("invalidated " + refreshed + " " + remembered.fingerprint());
          } catch (TokenException e) {
            say("invalidated failed " + e.getClass().getSimpleName());
          }
        }
        case "signin" -> {
          try {
            keeper.signIn(endpoint.password("alice", "wonderland".toCharArray()));
            say("signedin");
          } catch (TokenException e) {
            say("signin failed " + e.getClass().getSimpleName());
          }
        }
        case "stop" -> {
          workers.shutdown();
          workers.awaitTermination(30, TimeUnit.SECONDS);
          if (firstFailure.get() != null) {
            System.err.println("first failure: " + firstFailure.get());
          }
          say("result ok=" + ok + " reauth=" + reauth + " failures=" + failures
              + " maxCallMillis=" + TimeUnit.NANOSECONDS.toMillis(maxCallNanos.get()));
          keeper.close();
          System.exit(0);
        }
        default -> throw new IllegalArgumentException("unknown command " + command);
      }
    }
    System.exit(0); // stdin closed: the test is gone
  }

  private void call(TokenKeeper keeper) {
    long started = System.nanoTime();
    try {
      keeper.token();
      ok.incrementAndGet();
    } catch (ReauthenticationRequiredException e) {
      reauth.incrementAndGet();
    } catch (RuntimeException e) {
      failures.incrementAndGet();
      firstFailure.compareAndSet(null, e.toString());
    }
    maxCallNanos.accumulateAndGet(System.nanoTime() - started, Math::max);
  }

  private static TokenResponse announce(TokenSource source, TokenRequest request)
      throws IOException, InterruptedException {
    say("fetch");
    try {
      TokenResponse response = source.fetch(request);
      say("fetched ok");
      return response;
    } catch (TokenEndpointException e) {
      say(e.isTerminal() ? "fetched refused " + e.error().orElse("-") : "fetched failed " + e.statusCode());
      throw e;
    } catch (IOException | RuntimeException e) {
      say("fetched failed " + e.getClass().getSimpleName());
      throw e;
    }
  }

  private static void say(String line) {
    synchronized (OUT) {
      OUT.println(line);
      OUT.flush();
    }
  }
}
