package dev.tokenkeeper.bench;

import dev.tokenkeeper.AccessToken;
import dev.tokenkeeper.DPoP;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenResponse;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
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

/**
 * B1 with DPoP (RFC 9449): what a request costs its sender when the token is fresh. With Bearer,
 * the adapters take {@code token().authorizationHeader()} (B1's header row). With DPoP they take
 * the same header plus a new proof signed for the request ({@link DPoP#proof}): a fresh {@code
 * jti}, {@code iat}, {@code htm}, {@code htu}, {@code ath} (hashed once per token) and one
 * signature. Rows: the Bearer header, the DPoP header and proof with ES256 (the default), and with
 * RS256 for comparison. Same JWT kind as B1 (RS256, about 750 characters), valid for an hour.
 *
 * <p>Run: {@code java -jar benchmarks.jar jmh DPoPBenchmark -f 1 -wi 3 -i 5 -prof gc}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class DPoPBenchmark {
  private static final URI API = URI.create("https://api.example.com/orders/42?page=2");

  TokenKeeper bearer;
  TokenKeeper es256;
  TokenKeeper rs256;
  String jwt;

  @Setup(Level.Trial)
  public void setUp() {
    jwt = Jwts.mint(Duration.ofHours(1));
    Duration ttl = Duration.between(Instant.now(), Jwts.expiry(jwt));
    bearer = keeper(TokenResponse.bearer(jwt).withExpiresIn(ttl), null);
    TokenResponse bound = new TokenResponse(jwt, "DPoP", ttl, null, null, null);
    es256 = keeper(bound, DPoP.es256());
    rs256 = keeper(bound, DPoP.rs256());
  }

  private static TokenKeeper keeper(TokenResponse tokens, DPoP dpop) {
    TokenKeeper.Builder builder = TokenKeeper.newBuilder(request -> {
      throw new IllegalStateException("B1 must never refresh");
    }).initialTokens(tokens);
    return (dpop == null ? builder : builder.dpop(dpop)).build();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    for (TokenKeeper keeper : new TokenKeeper[] {bearer, es256, rs256}) {
      if (!keeper.token().value().equals(jwt)) {
        throw new IllegalStateException("a keeper refreshed during the benchmark");
      }
      keeper.close();
    }
  }

  /** B1's header row: what a Bearer request costs. */
  @Benchmark
  public String bearerHeader() {
    return bearer.token().authorizationHeader();
  }

  /** The header and a new ES256 proof: what a DPoP request costs with the default key. */
  @Benchmark
  public String dpopEs256HeaderAndProof() {
    AccessToken token = es256.token();
    return es256.dpop().proof("GET", API, token).length() > 0 ? token.authorizationHeader() : "";
  }

  /** The same with an RSA key (RS256), for servers that take no EC key. */
  @Benchmark
  public String dpopRs256HeaderAndProof() {
    AccessToken token = rs256.token();
    return rs256.dpop().proof("GET", API, token).length() > 0 ? token.authorizationHeader() : "";
  }
}
