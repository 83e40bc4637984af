package dev.tokenkeeper.bench;

import dev.tokenkeeper.OAuth2TokenEndpoint;
import dev.tokenkeeper.RefreshToken;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenRequest;
import dev.tokenkeeper.TokenResponse;
import dev.tokenkeeper.TokenSource;
import dev.tokenkeeper.bench.RefreshStorm.Outcome;
import dev.tokenkeeper.bench.StormEnvironment.Kind;
import dev.tokenkeeper.testing.Fault;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * B2 with rotation: the refresh storm on a {@code refresh_token} grant whose server rotates refresh
 * tokens and detects reuse (a retired refresh token presented again revokes the whole family: the
 * user is logged out). Every contender that can do the grant: Tokenkeeper, Google's {@code
 * UserCredentials}, Spring's manager with its refresh-token provider, and the naive recipe keeping
 * the rotated refresh token. Each storm starts from a new login. <em>Session alive</em>: after
 * the storm the login's family is still active and the server saw no reuse.
 */
final class RotationStorm {
  private RotationStorm() {}

  /** One storm's outcome plus what happened to the session. */
  record Run(Outcome outcome, int reuseDetections, boolean sessionAlive) {}

  static String run(List<Integer> sizes, boolean virtual, int reps) throws Exception {
    List<Kind> kinds = List.of(Kind.TOKENKEEPER, Kind.GOOGLE, Kind.SPRING, Kind.NAIVE);
    Map<Integer, Map<Kind, List<Run>>> results = new LinkedHashMap<>();
    try (ScriptedTokenServer server = ScriptedTokenServer.newBuilder()
        .accessTokenTtl(Duration.ofHours(1))
        .rotateRefreshTokens(true)
        .reuseDetection(true)
        .build()
        .start()) {
      server.failAll(Fault.delay(StormEnvironment.LATENCY));
      OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(server.uri())
          .clientId("test-client").clientSecret("test-secret")
          .httpClient(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
              .connectTimeout(Duration.ofSeconds(60)).followRedirects(HttpClient.Redirect.NEVER).build())
          .timeout(Duration.ofSeconds(60))
          .build();
      for (Kind kind : kinds) {
        once(server, endpoint, kind, 100, virtual); // warm-up
      }
      for (int n : sizes) {
        Map<Kind, List<Run>> byKind = new LinkedHashMap<>();
        for (int rep = 0; rep < reps; rep++) {
          for (Kind kind : kinds) {
            byKind.computeIfAbsent(kind, k -> new ArrayList<>()).add(once(server, endpoint, kind, n, virtual));
          }
        }
        results.put(n, byKind);
      }
    }
    return render(results, virtual);
  }

  private static Run once(ScriptedTokenServer server, OAuth2TokenEndpoint endpoint, Kind kind, int n,
      boolean virtual) throws Exception {
    System.gc();
    String login = server.issueLogin("alice");
    int families = server.activeFamilies();
    int reuse = server.reuseDetections();
    try (Contender contender = contender(server, endpoint, kind, login)) {
      Outcome outcome = RefreshStorm.storm(kind, contender, server, n, virtual);
      int reused = server.reuseDetections() - reuse;
      return new Run(outcome, reused, reused == 0 && server.activeFamilies() >= families);
    }
  }

  private static Contender contender(ScriptedTokenServer server, OAuth2TokenEndpoint endpoint, Kind kind,
      String login) {
    switch (kind) {
      case TOKENKEEPER:
        return new StormEnvironment.KeeperContender(TokenKeeper.newBuilder(endpoint.refreshTokens()),
            TokenResponse.bearer("expired-tokenkeeper").withExpiresIn(Duration.ZERO).withRefreshToken(login));
      case GOOGLE:
        return GooglePeer.justExpired(server.uri(), login);
      case SPRING:
        return SpringPeer.refreshTokenJustExpired(server.uri(), login);
      case NAIVE:
        return new NaiveRotation(endpoint.refreshTokens(), login);
      default:
        throw new IllegalArgumentException(kind.toString());
    }
  }

  /**
   * The naive recipe on a refresh-token grant: on an expired token, refresh on the caller's thread
   * with the refresh token it holds, and keep the answer, rotated refresh token included.
   */
  static final class NaiveRotation implements Contender {
    private final TokenSource endpoint;
    private volatile String access = Jwts.mint(Duration.ofSeconds(-60));
    private volatile Instant expiresAt = Instant.EPOCH;
    private volatile String refresh;

    NaiveRotation(TokenSource endpoint, String refresh) {
      this.endpoint = endpoint;
      this.refresh = refresh;
    }

    @Override
    public String token() throws Exception {
      if (Instant.now().isBefore(expiresAt)) {
        return access;
      }
      TokenResponse answer = endpoint.fetch(new TokenRequest(new RefreshToken(refresh), TokenRequest.Reason.EXPIRED));
      if (answer.refreshToken() != null) {
        refresh = answer.refreshToken();
      }
      access = answer.accessToken();
      expiresAt = Jwts.expiry(access);
      return access;
    }
  }

  private static String render(Map<Integer, Map<Kind, List<Run>>> results, boolean virtual) {
    StringBuilder out = new StringBuilder();
    for (Map.Entry<Integer, Map<Kind, List<Run>>> e : results.entrySet()) {
      out.append("\nB2 with rotation: N = ").append(String.format("%,d", e.getKey())).append(' ')
          .append(virtual ? "virtual" : "platform").append(" threads, refresh_token grant, rotation + reuse")
          .append(" detection, endpoint latency ").append(StormEnvironment.LATENCY.toMillis()).append(" ms\n\n");
      Table table = new Table("contender", "endpoint calls", "callers without a valid token",
          "time until the last caller with a valid token held it (median)", "reuse detected", "session alive afterwards",
          "runs");
      for (Map.Entry<Kind, List<Run>> k : e.getValue().entrySet()) {
        List<Run> runs = k.getValue();
        table.row(k.getKey().label,
            range(runs.stream().mapToInt(r -> r.outcome().endpointCalls()).toArray()),
            range(runs.stream().mapToInt(r -> r.outcome().withoutValidToken()).toArray()),
            Table.ms(Samples.medianOf(runs.stream().mapToLong(r -> r.outcome().nanosToValid()).toArray())) + " ms",
            range(runs.stream().mapToInt(Run::reuseDetections).toArray()),
            runs.stream().filter(Run::sessionAlive).count() + " of " + runs.size(),
            runs.size());
      }
      out.append(table.render());
    }
    return out.toString();
  }

  private static String range(int[] values) {
    int min = java.util.Arrays.stream(values).min().orElse(0);
    int max = java.util.Arrays.stream(values).max().orElse(0);
    return min == max ? String.format("%,d", min) : String.format("%,d–%,d", min, max);
  }
}
