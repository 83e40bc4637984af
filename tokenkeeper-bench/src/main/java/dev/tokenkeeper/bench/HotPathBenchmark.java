package dev.tokenkeeper.bench;

import com.azure.core.credential.AccessTokenCache;
import com.google.auth.oauth2.UserCredentials;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenResponse;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;
import software.amazon.awssdk.utils.cache.CachedSupplier;

/**
 * B1, the hot path: what it costs to obtain a valid token when the cached one is fresh, which is
 * what every request pays. Each benchmark returns the token value an application would put into
 * its {@code Authorization} header (Google hands out the whole header value, precomputed).
 *
 * <p>Each contender holds an RS256 JWT like the scripted server issues, valid for an hour, so
 * nobody refreshes during a run; {@link #checkNoRefresh} fails the trial if anyone did.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class HotPathBenchmark {
  /**
   * The JWT to use, passed down by {@link HotPath} so that each fork need not generate an RSA key
   * (half a second on a busy machine); a fork without it mints its own.
   */
  static final String JWT_PROPERTY = "tokenkeeper.bench.jwt";

  String jwt;
  Floor floor;
  Floor.NoClock noClock;
  @Nullable TokenKeeper keeper;
  @Nullable UserCredentials google;
  @Nullable SpringPeer spring;
  @Nullable CachedSupplier<String> aws;
  @Nullable AccessTokenCache azure;
  @Nullable NaiveRecipe naive;

  /** Sets up only the contender the running benchmark measures: forks start faster. */
  @Setup(Level.Trial)
  public void setUp(BenchmarkParams params) {
    String benchmark = params.getBenchmark();
    setUp(benchmark.substring(benchmark.lastIndexOf('.') + 1));
  }

  /** Sets up the contender that benchmark {@code method} measures, or all of them for {@code "*"}. */
  void setUp(String method) {
    String given = System.getProperty(JWT_PROPERTY);
    jwt = given != null ? given : Jwts.mint(Duration.ofHours(1));
    Instant expiresAt = Jwts.expiry(jwt);
    Duration ttl = Duration.between(Instant.now(), expiresAt);
    boolean all = method.equals("*");
    floor = new Floor(jwt, expiresAt.toEpochMilli());
    noClock = new Floor.NoClock(jwt);
    if (all || method.startsWith("tokenkeeper")) {
      keeper = TokenKeeper.newBuilder(request -> {
            throw new IllegalStateException("B1 must never refresh");
          })
          .initialTokens(TokenResponse.bearer(jwt).withExpiresIn(ttl))
          .build();
    }
    if (all || method.equals("google")) {
      google = GooglePeer.withFreshToken(jwt, expiresAt);
    }
    if (all || method.equals("spring")) {
      spring = SpringPeer.withFreshToken(jwt, expiresAt);
    }
    if (all || method.equals("aws")) {
      aws = AwsPeer.withFreshToken(jwt, expiresAt);
    }
    if (all || method.equals("azure")) {
      azure = AzurePeer.withFreshToken(jwt, expiresAt.atOffset(ZoneOffset.UTC));
    }
    if (all || method.equals("naive")) {
      naive = new NaiveRecipe(request -> {
        throw new IllegalStateException("B1 must never refresh");
      }, jwt);
    }
  }

  @TearDown(Level.Trial)
  public void checkNoRefresh() throws Exception {
    // Every contender must still be serving the token it started with: a refresh would mean the
    // benchmark measured something other than the fresh path.
    List<String> served = new ArrayList<>(List.of(floor(), volatileOnly()));
    if (keeper != null) {
      served.add(tokenkeeper());
      keeper.close();
    }
    if (google != null) {
      served.add(google().substring("Bearer ".length()));
    }
    if (spring != null) {
      served.add(spring());
    }
    if (aws != null) {
      served.add(aws());
      aws.close();
    }
    if (azure != null) {
      served.add(azure());
    }
    if (naive != null) {
      served.add(naive());
    }
    for (String s : served) {
      if (!s.equals(jwt)) {
        throw new IllegalStateException("a contender refreshed during B1");
      }
    }
  }

  /** One volatile read and one clock compare: nobody can do less. */
  @Benchmark
  public String floor() {
    return floor.token();
  }

  /** Hypothetical: one volatile read and no clock, as if a timer marked the token stale. */
  @Benchmark
  public String volatileOnly() {
    return noClock.token();
  }

  @Benchmark
  public String tokenkeeper() {
    return keeper.token().value();
  }

  /** What Tokenkeeper's HTTP adapters call per request: the token plus building its header value. */
  @Benchmark
  public String tokenkeeperHeader() {
    return keeper.token().authorizationHeader();
  }

  @Benchmark
  public String google() throws IOException {
    return GooglePeer.authorization(google);
  }

  @Benchmark
  public String spring() {
    return spring.token();
  }

  @Benchmark
  public String aws() {
    return aws.get();
  }

  @Benchmark
  public String azure() {
    return azure.getTokenSync(AzurePeer.CONTEXT, false).getToken();
  }

  @Benchmark
  public String naive() throws Exception {
    return naive.token();
  }
}
