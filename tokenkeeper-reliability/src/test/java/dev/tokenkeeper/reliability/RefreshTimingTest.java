package dev.tokenkeeper.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.OAuth2TokenEndpoint;
import dev.tokenkeeper.TokenHttpClient;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenListener;
import dev.tokenkeeper.TokenPolicy;
import dev.tokenkeeper.testing.Fault;
import dev.tokenkeeper.testing.ScriptedApiServer;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Refresh-ahead against real servers on real time: a slow endpoint never makes callers wait, and
 * whole-second {@code exp} does not cause refresh storms. Each runs for its stated time.
 */
class RefreshTimingTest {

  @Test
  void slowEndpoint_2sLatency_5sTokens_50Threads_20s_noCallerWaits_noSkewInvented() throws Exception {
    try (ScriptedTokenServer tokens = ScriptedTokenServer.newBuilder().accessTokenTtl(Duration.ofSeconds(5))
        .build().start()) {
      tokens.failAll(Fault.delay(Duration.ofSeconds(2)));
      OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(tokens.uri()).clientId("test-client")
          .clientSecret("test-secret").build();
      List<Duration> skews = new CopyOnWriteArrayList<>();
      AtomicLong failed = new AtomicLong();
      try (TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.clientCredentials()).build()) {
        keeper.token(); // the first token: the only time anyone may wait
        long waitedBefore = keeper.callersThatWaited();
        ExecutorService workers = Executors.newFixedThreadPool(50);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        for (int i = 0; i < 50; i++) {
          workers.submit(() -> {
            while (System.nanoTime() < end) {
              try {
                keeper.token();
                Duration skew = keeper.clockSkew();
                if (skew != null && skews.size() < 1_000) {
                  skews.add(skew);
                }
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000); // a worker does other things too
              } catch (RuntimeException e) {
                failed.incrementAndGet();
              }
            }
          });
        }
        workers.shutdown();
        assertThat(workers.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        System.out.printf("slow endpoint, 20 s: %d endpoint calls, %d callers waited, largest |skew| %s%n",
            tokens.tokenRequests(), keeper.callersThatWaited() - waitedBefore,
            skews.stream().map(Duration::abs).max(Duration::compareTo).orElse(null));
        assertThat(failed).hasValue(0);
        assertThat(keeper.callersThatWaited() - waitedBefore).as("callers that waited for a refresh").isZero();
        assertThat(skews).allSatisfy(s -> assertThat(s.abs()).isLessThanOrEqualTo(Duration.ofSeconds(1)));
        // About one refresh per 2-3 s: refresh-ahead covers the endpoint's latency, nothing more.
        assertThat(tokens.tokenRequests()).isBetween(6, 14);
      }
    }
  }

  @Test
  void wholeSecondExp_1sTokens_30s_throughTheJdkAdapter_atMost60Calls_noFailedRequest() throws Exception {
    // The server stamps iat in whole seconds and exp = iat + 1 s: a token issued at 12:00:00.900
    // lives 100 ms, and every token issued within that second expires at 12:00:01.
    try (ScriptedTokenServer tokens = ScriptedTokenServer.newBuilder().accessTokenTtl(Duration.ofSeconds(1))
        .build().start();
        ScriptedApiServer api = ScriptedApiServer.start(tokens, InstantSource.system())) {
      OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(tokens.uri()).clientId("test-client")
          .clientSecret("test-secret").build();
      AtomicLong requests = new AtomicLong();
      AtomicLong failed = new AtomicLong();
      AtomicLong noGain = new AtomicLong();
      AtomicLong refreshes = new AtomicLong();
      java.util.concurrent.atomic.AtomicReference<java.time.Instant> lastExpiry = new java.util.concurrent.atomic.AtomicReference<>();
      TokenListener counting = new TokenListener() {
        @Override
        public void onRefreshed(Refreshed event) {
          refreshes.incrementAndGet();
          java.time.Instant previous = lastExpiry.getAndSet(event.expiresAt());
          if (previous != null && !event.expiresAt().isAfter(previous)) {
            noGain.incrementAndGet();
          }
        }
      };
      try (TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.clientCredentials()).listener(counting).build()) {
        HttpClient client = TokenHttpClient.wrap(HttpClient.newHttpClient(), TokenPolicy.of(api.origin(), keeper));
        HttpRequest request = HttpRequest.newBuilder(api.uri("/api/items")).timeout(Duration.ofSeconds(10)).build();
        ExecutorService workers = Executors.newFixedThreadPool(20);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (int i = 0; i < 20; i++) {
          workers.submit(() -> {
            while (System.nanoTime() < end) {
              try {
                int status = client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
                requests.incrementAndGet();
                if (status != 200) {
                  failed.incrementAndGet();
                }
              } catch (Exception e) {
                failed.incrementAndGet();
              }
            }
          });
        }
        workers.shutdown();
        assertThat(workers.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        System.out.printf("whole-second exp, 30 s: %d requests, %d failed, %d endpoint calls, %d refreshes"
            + " with no later expiry, %d callers waited%n", requests.get(), failed.get(),
            tokens.tokenRequests(), noGain.get(), keeper.callersThatWaited());
        assertThat(requests.get()).isGreaterThan(1_000);
        assertThat(failed).hasValue(0);
        assertThat(tokens.tokenRequests()).isLessThanOrEqualTo(60);
      }
    }
  }
}
