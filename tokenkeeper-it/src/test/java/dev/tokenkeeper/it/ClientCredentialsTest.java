package dev.tokenkeeper.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jwt.SignedJWT;
import dev.tokenkeeper.OAuth2TokenEndpoint;
import dev.tokenkeeper.TokenHttpClient;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenListener;
import dev.tokenkeeper.TokenPolicy;
import dev.tokenkeeper.TokenRequest;
import dev.tokenkeeper.okhttp.TokenInterceptor;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.LongSummaryStatistics;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;

/**
 * One client_credentials keeper shared by 50 workers, half through the JDK adapter and half
 * through OkHttp, against Spring Authorization Server issuing 2-second JWTs to an API that
 * verifies each one, for at least ten token lifetimes of real time.
 *
 * <h2>What the count should be</h2>
 * Spring announces {@code expires_in} as the time left when it writes the answer, rounded down:
 * a 2-second token arrives with {@code expires_in: 1}. The keeper trusts the earliest estimate, so
 * each token gets a lifetime L of 1 s on the keeper's clock, counted from when the request was
 * sent. The keeper stops handing it out at {@code 0.9 L} (leeway: a tenth of L) and turns it stale
 * a quarter of L before that, minus a random 0 to 5 % of L (jitter): between {@code 0.6 L} and
 * {@code 0.65 L}. The first request after that starts the one refresh. So a run of D seconds should
 * cost {@code 1 + D / 0.625 L} endpoint calls: the first, then one per token lifetime crossed.
 *
 * <h2>Tolerance</h2>
 * Real time cannot make that exact: jitter moves each refresh by up to 5 % of L, and the next
 * request, the refresh thread and the endpoint's answer take from milliseconds to hundreds of
 * milliseconds on a busy two-core machine. So the test checks the keeper's rules token by token,
 * with L taken from the server's word, not the keeper's: the JWT's {@code exp}, counted from when
 * the answer arrived ({@code exp - arrival}; the keeper's L, counted from the request, is at least
 * that, as {@code expires_in + 1 s} and {@code exp - sent} both are). A keeper that misjudged
 * lifetimes would fail it.
 * <ul>
 *   <li>no call before the previous token's earliest stale point, {@code 0.6 L} after it was
 *       requested. This is exact whatever the machine does, as delays only make calls later, and
 *       it caps the count at {@code 1 + D / 0.6 L}: a refresh per worker (50 times the count), two
 *       racing refreshes (twice it), a refresh per 401 would all break it;
 *   <li>a call because the API rejected the token ({@code REJECTED}) only once that token's
 *       {@code exp} had passed. The API allows no clock skew, so on a stalled machine a request
 *       that left in time can arrive after {@code exp}; if the keeper has not replaced the token
 *       yet, that 401 starts its one refresh (in place of the proactive one, not in addition: the
 *       rule above still holds), and the adapter retries the request. A 401 for a token the keeper
 *       had already replaced refreshes nothing;
 *   <li>the refresh starts before the token expires ({@code PROACTIVE}, so no worker ever waits)
 *       for at least 90 % of the calls. On an idle machine all of them do; a machine stalled for a
 *       quarter of a second (other processes, a GC pause) can start one at expiry ({@code
 *       EXPIRED}) or after a 401 ({@code REJECTED}) instead, which costs no extra call, only a
 *       wait. Without such stalls the count is at least {@code 1 + D / 0.9 L}.
 * </ul>
 */
class ClientCredentialsTest extends AgainstSpringAuthorizationServer {
  private static final int WORKERS = 50;
  /** Every 50 ms, each worker sends one request: up to 1,000 requests a second in bursts of 50. */
  private static final Duration ROUND = Duration.ofMillis(50);
  private static final int LIFETIMES = 10;

  @Test
  void fiftyWorkersThroughBothAdapters_noFailure_oneEndpointCallPerTokenLifetime() throws Exception {
    OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(server.tokenEndpoint())
        .clientId(SpringAuthorizationServer.SERVICE_ID)
        .clientSecret(SpringAuthorizationServer.SERVICE_SECRET)
        .build();
    RecordingSource source = new RecordingSource(endpoint.clientCredentials());
    CountingListener listener = new CountingListener();
    Workers workers;
    // The documented defaults, written out: the expected count is computed from them.
    try (TokenKeeper keeper = TokenKeeper.newBuilder(source).name("orders-service").listener(listener)
        .refreshAhead(0.25, Duration.ofMinutes(5)).jitter(0.2).leeway(Duration.ofSeconds(5)).build()) {
      TokenPolicy policy = TokenPolicy.of(server.origin(), keeper);
      HttpClient jdk = TokenHttpClient.wrap(HttpClient.newHttpClient(), policy);
      OkHttpClient okHttp = TokenInterceptor.install(new OkHttpClient.Builder(), policy).build();

      workers = Workers.start("client-credentials",
          ApiCalls.alternating(WORKERS, jdk, okHttp, server.api(), SpringAuthorizationServer.SERVICE_ID), ROUND);
      // Until the API has accepted a token issued ten lifetimes after the first one it accepted
      // (one second more, as iat counts whole seconds), or something failed.
      Duration span = TTL.multipliedBy(LIFETIMES).plusSeconds(1);
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100))
          .until(() -> acceptedSpan().compareTo(span) >= 0 || workers.failures() > 0);
      workers.stop(Duration.ofSeconds(30));
      // A refresh started by the last requests may still be running: let it finish before counting.
      await().atMost(Duration.ofSeconds(15)).until(source::idle);
      // Its event reaches the listener just after the callers it served were released.
      await().atMost(Duration.ofSeconds(15)).until(() -> listener.refreshes.size() >= source.calls().size());
      okHttp.dispatcher().executorService().shutdown();
      okHttp.connectionPool().evictAll();
    }

    List<RecordingSource.Call> calls = source.calls();
    List<TokenListener.Refreshed> refreshes = new ArrayList<>(listener.refreshes);
    double runSeconds = (calls.get(calls.size() - 1).startNanos() - calls.get(0).startNanos()) / 1e9;
    LongSummaryStatistics lifetimes = new LongSummaryStatistics();
    LongSummaryStatistics gaps = new LongSummaryStatistics();
    LongSummaryStatistics took = new LongSummaryStatistics();
    List<String> early = new ArrayList<>();
    List<String> rejectedTooSoon = new ArrayList<>();
    for (int i = 0; i < calls.size(); i++) {
      RecordingSource.Call call = calls.get(i);
      took.accept((call.endNanos() - call.startNanos()) / 1_000_000);
      if (i < refreshes.size() && refreshes.get(i).expiresAt() != null) {
        lifetimes.accept(Duration.between(call.started(), refreshes.get(i).expiresAt()).toMillis());
      }
      if (i > 0 && i <= refreshes.size()) {
        RecordingSource.Call previous = calls.get(i - 1);
        long gap = (call.startNanos() - previous.startNanos()) / 1_000_000;
        gaps.accept(gap);
        Instant exp = jwtExpiry(previous);
        Instant arrived = previous.started().plusNanos(previous.endNanos() - previous.startNanos());
        long lifetime = Duration.between(arrived, exp).toMillis();
        // The keeper refreshes when 25 % (+ up to 20 % jitter) of the lifetime is left, or earlier
        // when its endpoint is slow: twice the longest of its last four refresh durations (+ jitter).
        // (The durations as the keeper measured them: its listener hears each one.)
        long slowest = 0;
        for (int j = Math.max(0, i - 4); j < i && j < refreshes.size(); j++) {
          slowest = Math.max(slowest, refreshes.get(j).duration().toMillis());
        }
        long leeway = Math.min(5_000, lifetime / 10);
        double earliest = Math.min(0.6 * lifetime, lifetime - leeway - 1.2 * 2 * slowest);
        if (gap < earliest - 2) { // 2 ms: wall-clock and nanoTime readings differ by up to 1 ms
          early.add("call " + i + " came " + gap + " ms after the previous one, whose token had "
              + lifetime + " ms left by its exp when it arrived (refreshes took up to " + slowest + " ms)");
        }
        if (call.reason() == TokenRequest.Reason.REJECTED && call.started().isBefore(exp.minusMillis(2))) {
          rejectedTooSoon.add("call " + i + " (REJECTED) started " + Duration.between(call.started(), exp).toMillis()
              + " ms before the rejected token's exp");
        }
      }
    }
    double l = lifetimes.getAverage() / 1000;
    long late = calls.stream().filter(c -> c.reason() == TokenRequest.Reason.EXPIRED
        || c.reason() == TokenRequest.Reason.REJECTED).count();
    System.out.printf("client_credentials: %d workers (JDK %d, OkHttp %d); requests %d (JDK %d, OkHttp %d),"
            + " failures %d, API 401 (late, retried) %d; run %.1f s = %.1f token lifetimes of %d s; keeper lifetime ms"
            + " min/max %d/%d; endpoint calls %d (server %d; at expiry or after a 401 %d), expected %.1f, bounds %.1f to %.1f; ms between"
            + " calls min/avg/max %d/%.0f/%d; ms per call min/avg/max %d/%.0f/%d; tokens accepted %d"
            + " (JDK %d, OkHttp %d)%n",
        WORKERS, (WORKERS + 1) / 2, WORKERS / 2, workers.requests(), ledger.acceptedRequests("Java-http-client"),
        ledger.acceptedRequests("okhttp"), workers.failures(), ledger.apiAnswers(401), runSeconds,
        runSeconds / TTL.toSeconds(), TTL.toSeconds(), lifetimes.getMin(), lifetimes.getMax(), calls.size(),
        ledger.tokenCalls("client_credentials"), late, 1 + runSeconds / (0.625 * l), 1 + runSeconds / (0.9 * l),
        1 + runSeconds / (0.6 * l), gaps.getMin(), gaps.getAverage(), gaps.getMax(), took.getMin(),
        took.getAverage(), took.getMax(), ledger.acceptedTokens(), ledger.acceptedTokens("Java-http-client"),
        ledger.acceptedTokens("okhttp"));

    // 0 failures: every request of every worker ended with 200 from the API (a late 401 was retried).
    assertThat(workers.firstFailures()).isEmpty();
    assertThat(workers.failures()).isZero();
    assertThat(ledger.apiAnswers(200)).isEqualTo(workers.requests());
    assertThat(ledger.apiAnswers()).isEqualTo(workers.requests() + ledger.apiAnswers(401));
    assertThat(listener.failures).isEmpty();
    assertThat(listener.rejectedAfterRefresh.sum()).isZero();

    // At least ten lifetimes, through both adapters.
    assertThat(runSeconds).isGreaterThanOrEqualTo(LIFETIMES * TTL.toSeconds());
    assertThat(ledger.acceptedTokens("Java-http-client")).isGreaterThanOrEqualTo(LIFETIMES);
    assertThat(ledger.acceptedTokens("okhttp")).isGreaterThanOrEqualTo(LIFETIMES);

    // Endpoint calls = lifetimes crossed: the same count for the keeper, the listener and the
    // server; one INITIAL call, then one call per token, none before the previous token turned
    // stale by its JWT exp, none for a 401 before that exp, and (but for a stalled machine) each
    // before the previous token expired.
    assertThat(ledger.tokenCalls("client_credentials", 200)).isEqualTo(ledger.tokenCalls("client_credentials"))
        .isEqualTo(calls.size()).isEqualTo(refreshes.size());
    assertThat(calls.get(0).reason()).isEqualTo(TokenRequest.Reason.INITIAL);
    List<TokenRequest.Reason> reasons = calls.subList(1, calls.size()).stream().map(RecordingSource.Call::reason).toList();
    assertThat(early).isEmpty();
    assertThat(reasons).isSubsetOf(TokenRequest.Reason.PROACTIVE, TokenRequest.Reason.EXPIRED,
        TokenRequest.Reason.REJECTED);
    assertThat(rejectedTooSoon).isEmpty();
    assertThat(reasons.stream().filter(r -> r == TokenRequest.Reason.PROACTIVE).count())
        .isGreaterThanOrEqualTo((long) Math.ceil(0.9 * reasons.size()));
    // Every token fetched was used (the last may have arrived after the workers stopped).
    assertThat((long) ledger.acceptedTokens()).isBetween(calls.size() - 1L, (long) calls.size());
  }

  /** The {@code exp} of the access token {@code call} returned. */
  private static Instant jwtExpiry(RecordingSource.Call call) throws java.text.ParseException {
    assertThat(call.response()).as("call answered").isNotNull();
    java.util.Date exp = SignedJWT.parse(call.response().accessToken()).getJWTClaimsSet().getExpirationTime();
    assertThat(exp).as("exp of the token").isNotNull();
    return exp.toInstant();
  }

  /** How far apart the issue times of the first and the newest tokens the API accepted are. */
  private Duration acceptedSpan() {
    Instant oldest = ledger.oldestAcceptedIssuedAt();
    return oldest == null ? Duration.ZERO : Duration.between(oldest, ledger.newestAcceptedIssuedAt());
  }
}
