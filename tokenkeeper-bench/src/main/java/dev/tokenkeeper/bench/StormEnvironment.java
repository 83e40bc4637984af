package dev.tokenkeeper.bench;

import dev.tokenkeeper.OAuth2TokenEndpoint;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenResponse;
import dev.tokenkeeper.testing.Fault;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * B2's world: one scripted token server answering after {@link #LATENCY}, and a way to set up each
 * contender with a token that has just expired. The server issues hour-long tokens, so that no
 * library's refresh margin (Google 3 min 45 s, Azure 5 min, Spring 60 s) turns a new token stale.
 * Refresh tokens do not rotate, so Google's {@code refresh_token} grant can be replayed.
 */
final class StormEnvironment implements AutoCloseable {
  static final Duration LATENCY = Duration.ofMillis(50);

  /** The contenders, each set up the way its documentation suggests. */
  enum Kind {
    /** Releases the callers and returns a constant: the cost of the harness itself. */
    HARNESS("harness only (no token work)"),
    TOKENKEEPER("Tokenkeeper"),
    /** Tokenkeeper refreshing on a virtual thread ({@code executor(...)}): JDK 21+ only. */
    TOKENKEEPER_VIRTUAL("Tokenkeeper + virtual-thread executor"),
    /**
     * Not a safe configuration: Tokenkeeper with a scheduler whose timeouts never fire, to measure
     * what scheduling and cancelling one timeout per waiting caller costs.
     */
    TOKENKEEPER_NO_TIMERS("diagnostic: Tokenkeeper, timeout timers stubbed (unsafe)"),
    GOOGLE("Google UserCredentials"),
    SPRING("Spring AuthorizedClientManager"),
    AWS("AWS CachedSupplier"),
    AZURE("Azure AccessTokenCache"),
    NAIVE("naive recipe");

    final String label;

    Kind(String label) {
      this.label = label;
    }
  }

  final ScriptedTokenServer server;
  private final OAuth2TokenEndpoint endpoint;
  private final String googleRefreshToken;

  StormEnvironment() {
    server = ScriptedTokenServer.newBuilder()
        .accessTokenTtl(Duration.ofHours(1))
        .rotateRefreshTokens(false)
        .build()
        .start();
    server.failAll(Fault.delay(LATENCY));
    // Generous timeouts: with the naive recipe at 10,000 callers the server's accept queue
    // overflows and connections wait for SYN retransmits; we want their time, not a timeout.
    HttpClient http = HttpClient.newBuilder()
        .executor(StormEnvironment::handToClient)
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(60))
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
    endpoint = OAuth2TokenEndpoint.newBuilder(server.uri())
        .clientId("test-client")
        .clientSecret("test-secret")
        .httpClient(http)
        .timeout(Duration.ofSeconds(60))
        .build();
    googleRefreshToken = server.issueLogin("alice");
  }

  /**
   * {@code System.nanoTime()} of the first task handed to the storm's HTTP client since it was last
   * reset to 0: {@code sendAsync} (and {@code send}, built on it) hands its first task over on the
   * thread that called it, so this is when the first endpoint call left the contender.
   */
  static final java.util.concurrent.atomic.AtomicLong FIRST_HANDOFF = new java.util.concurrent.atomic.AtomicLong();

  /** The HTTP client's threads: a cached pool of daemon threads, as the client's default executor. */
  private static final java.util.concurrent.ExecutorService CLIENT_THREADS =
      java.util.concurrent.Executors.newCachedThreadPool(task -> {
        Thread t = new Thread(task, "storm-http-client");
        t.setDaemon(true);
        return t;
      });

  private static void handToClient(Runnable task) {
    FIRST_HANDOFF.compareAndSet(0, System.nanoTime());
    CLIENT_THREADS.execute(task);
  }

  /** Returns {@code kind} holding a token that has just expired: the next caller must refresh. */
  Contender justExpired(Kind kind) {
    switch (kind) {
      case HARNESS:
        String constant = Jwts.mint(Duration.ofHours(1));
        return () -> constant;
      case TOKENKEEPER:
        return new KeeperContender(TokenKeeper.newBuilder(endpoint.clientCredentials()));
      case TOKENKEEPER_VIRTUAL:
        return new KeeperContender(TokenKeeper.newBuilder(endpoint.clientCredentials())
            .executor(StormEnvironment::startVirtual));
      case TOKENKEEPER_NO_TIMERS:
        return new KeeperContender(TokenKeeper.newBuilder(endpoint.clientCredentials())
            .scheduler((task, delay) -> new CompletableFuture<Void>()));
      case GOOGLE:
        return GooglePeer.justExpired(server.uri(), googleRefreshToken);
      case SPRING:
        return SpringPeer.justExpired(server.uri());
      case AWS:
        return AwsPeer.justExpired(endpoint.clientCredentials());
      case AZURE:
        return AzurePeer.justExpired(endpoint.clientCredentials());
      case NAIVE:
        return new NaiveRecipe(endpoint.clientCredentials(), Jwts.mint(Duration.ofSeconds(-60)));
      default:
        throw new IllegalArgumentException(kind.toString());
    }
  }

  @Override
  public void close() {
    server.close();
  }

  /** Whether {@code kind} can run on this JDK. */
  static boolean runsHere(Kind kind) {
    return Threads.virtualAvailable() || kind != Kind.TOKENKEEPER_VIRTUAL;
  }

  private static void startVirtual(Runnable task) {
    Threads.factory(true).newThread(task).start();
  }

  /** Tokenkeeper as its README sets it up. */
  static final class KeeperContender implements Contender {
    private final TokenKeeper keeper;

    KeeperContender(TokenKeeper.Builder builder) {
      this(builder, TokenResponse.bearer("expired-tokenkeeper").withExpiresIn(Duration.ZERO));
    }

    /** With {@code initial} as the keeper's first tokens (an expired access token, and perhaps a refresh token). */
    KeeperContender(TokenKeeper.Builder builder, TokenResponse initial) {
      keeper = builder.initialTokens(initial).build();
    }

    @Override
    public String token() {
      return keeper.token().value();
    }

    @Override
    public void close() {
      keeper.close();
    }
  }
}
