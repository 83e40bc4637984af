package dev.tokenkeeper.redis;

import dev.tokenkeeper.AccessToken;
import dev.tokenkeeper.KeeperChildCalls;
import dev.tokenkeeper.OAuth2TokenEndpoint;
import dev.tokenkeeper.TokenException;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenKeepers;
import dev.tokenkeeper.TokenSource;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A separate JVM holding keepers on {@link RedisTokenStore}, for the process tests ({@link
 * RedisClusterProcessTest}, {@link RedisManyIdentitiesProcessTest}). Only fingerprints are
 * printed, never a token. Prints {@code ready} once built, then answers one command per stdin line.
 *
 * <p>{@code one <redisUri> <identity> <tokenUri> <name> <threads> <callEveryMillis>
 * <refreshAheadRatio> <attemptTimeoutMillis> <commandTimeoutMillis> <deadlineMillis>}: one keeper
 * on one identity; its token source prints {@code fetch} before each endpoint call and {@code
 * fetched ok|refused <error>|failed <why>} after it, and sends {@code process=<name>}. {@code
 * threads} workers call {@code token()} every {@code callEveryMillis}. Commands:
 *
 * <ul>
 *   <li>{@code probe}: one {@code token()}; {@code probe ok} or {@code probe failed <exception>};
 *   <li>{@code signin}: signs in again with the password grant; {@code signedin};
 *   <li>{@code counts}: {@code counts ok=.. reauth=.. failures=.. untyped=.. maxCallMillis=..};
 *   <li>{@code arm <n>}: closes the keeper, builds a new one from the store (which the test has
 *       primed with an expired token), parks {@code n} caller threads; {@code armed};
 *   <li>{@code go}: releases them; once all returned: {@code storm released=<nanoTime> last=<nanoTime
 *       of the last return> ok=.. failed=.. tokens=<distinct fingerprints>};
 *   <li>{@code stop}: stops the workers, {@code result ...} as {@code counts}, exits.
 * </ul>
 *
 * <p>{@code many <redisUri> <tokenUri> <name> <identities> <idleTimeoutMillis> <threads>}: a
 * {@link TokenKeepers} registry over {@code tenant-0} … on two shared connections; each identity's
 * source sends {@code identity=<id>}. Commands: {@code sweep} (every identity's {@code token()} on
 * {@code threads} threads; {@code swept ok=.. failed=.. built=<keepers built so far> keepers=<held>
 * millis=..}), {@code touch} ({@code tenant-0} only, which lets the registry look for idle keepers;
 * {@code touched keepers=..}), {@code heap} (after {@code System.gc()}: {@code heap used=<bytes>
 * keepers=..}), {@code stop}.
 */
public final class RedisKeeperChild {
  private final KeeperChildCalls calls = new KeeperChildCalls();

  private RedisKeeperChild() {}

  public static void main(String[] args) throws Exception {
    if (args[0].equals("one")) {
      new RedisKeeperChild().one(args);
    } else {
      new RedisKeeperChild().many(args);
    }
  }

  // ---- one identity ----

  private void one(String[] args) throws Exception {
    RedisClient client = RedisClient.create(args[1]);
    String identity = args[2];
    URI tokenUri = URI.create(args[3]);
    String name = args[4];
    int threads = Integer.parseInt(args[5]);
    long callEveryMillis = Long.parseLong(args[6]);
    double refreshAheadRatio = Double.parseDouble(args[7]);
    Duration attemptTimeout = Duration.ofMillis(Long.parseLong(args[8]));
    Duration commandTimeout = Duration.ofMillis(Long.parseLong(args[9]));
    Duration deadline = Duration.ofMillis(Long.parseLong(args[10]));
    RedisTokenStore.Builder stores = RedisTokenStore.builder(client).commandTimeout(commandTimeout);
    OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(tokenUri)
        .clientId("test-client").clientSecret("test-secret").parameter("process", name)
        .timeout(Duration.ofSeconds(5)).build();
    TokenSource refresh = endpoint.refreshTokens();
    TokenKeeper.Builder builder = TokenKeeper.newBuilder(request -> KeeperChildCalls.announce(refresh, request))
        .name(name).attemptTimeout(attemptTimeout)
        .refreshAhead(refreshAheadRatio, Duration.ofMinutes(1)).defaultTimeout(deadline);
    RedisTokenStore store = stores.identity(identity);
    TokenKeeper keeper = builder.store(store).build();
    AtomicReference<TokenKeeper> current = new AtomicReference<>(keeper);
    ScheduledExecutorService workers = calls.startWorkers(current::get, threads, callEveryMillis);
    say("ready");
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    Storm storm = null;
    for (String command; (command = in.readLine()) != null; ) {
      String[] words = command.split(" ");
      switch (words[0]) {
        case "probe" -> {
          try {
            current.get().token();
            say("probe ok");
          } catch (TokenException e) {
            say("probe failed " + e.getClass().getSimpleName());
          }
        }
        case "signin" -> {
          try {
            current.get().signIn(endpoint.password("alice", "wonderland".toCharArray()));
            say("signedin");
          } catch (TokenException e) {
            say("signin failed " + e.getClass().getSimpleName());
          }
        }
        case "counts" -> say("counts " + calls.counts());
        case "arm" -> {
          current.get().close();
          store.close();
          store = stores.identity(identity);
          current.set(builder.store(store).build());
          storm = new Storm(current.get(), Integer.parseInt(words[1]));
          say("armed");
        }
        case "go" -> {
          Storm running = storm;
          new Thread(() -> say(running.run()), "storm").start();
        }
        case "stop" -> {
          calls.stop(workers);
          current.get().close();
          store.close();
          System.exit(0);
        }
        default -> throw new IllegalArgumentException("unknown command " + command);
      }
    }
    System.exit(0); // stdin closed: the test is gone
  }

  /** {@code n} platform threads parked on one latch, each asking the keeper once when released. */
  private static final class Storm {
    private final CountDownLatch go = new CountDownLatch(1);
    private final List<Future<AccessToken>> callers = new ArrayList<>();
    private final AtomicLong last = new AtomicLong();
    private final ExecutorService threads;

    Storm(TokenKeeper keeper, int n) throws InterruptedException {
      threads = Executors.newFixedThreadPool(n);
      CountDownLatch parked = new CountDownLatch(n);
      for (int i = 0; i < n; i++) {
        callers.add(threads.submit(() -> {
          parked.countDown();
          go.await();
          AccessToken token = keeper.token(Duration.ofSeconds(30));
          last.accumulateAndGet(System.nanoTime(), (a, b) -> a == 0 || b - a > 0 ? b : a);
          return token;
        }));
      }
      parked.await();
    }

    String run() {
      long released = System.nanoTime();
      go.countDown();
      Set<String> tokens = ConcurrentHashMap.newKeySet();
      int ok = 0;
      int failed = 0;
      for (Future<AccessToken> caller : callers) {
        try {
          tokens.add(caller.get(60, TimeUnit.SECONDS).fingerprint());
          ok++;
        } catch (Exception e) {
          failed++;
        }
      }
      threads.shutdown();
      return "storm released=" + released + " last=" + last.get() + " ok=" + ok + " failed="
          + failed + " tokens=" + String.join(",", tokens);
    }
  }

  // ---- many identities ----

  private void many(String[] args) throws Exception {
    RedisClient client = RedisClient.create(args[1]);
    URI tokenUri = URI.create(args[2]);
    String name = args[3];
    int identities = Integer.parseInt(args[4]);
    Duration idle = Duration.ofMillis(Long.parseLong(args[5]));
    int threads = Integer.parseInt(args[6]);
    StatefulRedisConnection<String, String> commands = client.connect();
    StatefulRedisPubSubConnection<String, String> pubsub = client.connectPubSub();
    RedisTokenStore.Builder stores = RedisTokenStore.builder(commands).notifications(pubsub);
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    AtomicLong built = new AtomicLong();
    AtomicLong slowestFetch = new AtomicLong();
    AtomicReference<String> firstFailure = new AtomicReference<>();
    try (TokenKeepers<String> tenants = TokenKeepers.newBuilder((String tenant) -> {
          built.incrementAndGet();
          TokenSource endpoint = OAuth2TokenEndpoint.newBuilder(tokenUri).httpClient(http)
              .clientId("test-client").clientSecret("test-secret").parameter("identity", tenant)
              .parameter("process", name).timeout(Duration.ofSeconds(30)).build().refreshTokens();
          TokenSource source = request -> {
            long sent = System.nanoTime();
            try {
              return endpoint.fetch(request);
            } finally {
              slowestFetch.accumulateAndGet(System.nanoTime() - sent, Math::max);
            }
          };
          // Refresh only once expired (no refresh-ahead, no leeway): the test decides when
          // tokens expire, so every refresh it sees belongs to one expiry.
          return TokenKeeper.newBuilder(source).name(tenant).store(stores.identity(tenant))
              .refreshAhead(0.01, Duration.ofMillis(1)).leeway(Duration.ZERO)
              .attemptTimeout(Duration.ofSeconds(30)).defaultTimeout(Duration.ofSeconds(60));
        })
        .idleTimeout(idle).maximumSize(identities).build()) {
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      say("ready");
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      for (String command; (command = in.readLine()) != null; ) {
        switch (command) {
          case "sweep" -> {
            long started = System.nanoTime();
            List<Future<?>> calls = new ArrayList<>();
            AtomicLong swept = new AtomicLong();
            AtomicLong failed = new AtomicLong();
            for (int i = 0; i < identities; i++) {
              String tenant = "tenant-" + i;
              calls.add(pool.submit(() -> {
                try {
                  tenants.token(tenant);
                  swept.incrementAndGet();
                } catch (RuntimeException e) {
                  failed.incrementAndGet();
                  firstFailure.compareAndSet(null, tenant + ": " + e);
                }
              }));
            }
            for (Future<?> call : calls) {
              call.get();
            }
            if (firstFailure.get() != null) {
              System.err.println("first failure: " + firstFailure.get());
            }
            say("swept ok=" + swept + " failed=" + failed + " built=" + built + " keepers="
                + tenants.size() + " millis=" + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)
                + " slowestEndpointCall=" + TimeUnit.NANOSECONDS.toMillis(slowestFetch.getAndSet(0))
                + (firstFailure.get() == null ? "" : " first failure: " + firstFailure.get()));
          }
          case "touch" -> {
            tenants.token("tenant-0");
            say("touched keepers=" + tenants.size());
          }
          case "heap" -> {
            System.gc();
            System.gc();
            say("heap used=" + ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed()
                + " keepers=" + tenants.size());
          }
          case "stop" -> {
            pool.shutdown();
            say("result ok=0 reauth=0 failures=0 untyped=0 maxCallMillis=0");
            System.exit(0);
          }
          default -> throw new IllegalArgumentException("unknown command " + command);
        }
      }
    }
    System.exit(0);
  }

  private static void say(String line) {
    KeeperChildCalls.say(line);
  }
}
