package dev.tokenkeeper;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;

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
 *       untyped=.. maxCallMillis=..} and exits.
 * </ul>
 *
 * Only fingerprints are printed, never a token. The protocol's shared parts are {@link
 * KeeperChildCalls} (here) and {@link ChildJvm} (the test's side).
 */
public final class SharedKeeperChild {
  private final KeeperChildCalls calls = new KeeperChildCalls();

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
    TokenKeeper keeper = TokenKeeper.newBuilder(request -> KeeperChildCalls.announce(refresh, request))
        .name(name).store(store).attemptTimeout(Duration.ofSeconds(8))
        .refreshAhead(refreshAheadRatio, Duration.ofMinutes(1)).defaultTimeout(Duration.ofSeconds(10))
        .build();
    ScheduledExecutorService workers = calls.startWorkers(() -> keeper, threads, callEveryMillis);
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
          calls.stop(workers);
          keeper.close();
          System.exit(0);
        }
        default -> throw new IllegalArgumentException("unknown command " + command);
      }
    }
    System.exit(0); // stdin closed: the test is gone
  }

  private static void say(String line) {
    KeeperChildCalls.say(line);
  }
}
