package dev.tokenkeeper.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenkeeper.AccessToken;
import dev.tokenkeeper.OAuth2TokenEndpoint;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenResponse;
import dev.tokenkeeper.testing.Fault;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import dev.tokenkeeper.testing.TestClock;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The meters follow a real keeper talking to a real (scripted) token endpoint, on a test clock. */
@Timeout(60)
class TokenKeeperMetricsTest {
  private static final Duration TTL = Duration.ofMinutes(5);
  private final TestClock clock = new TestClock();
  private final ScriptedTokenServer tokens =
      ScriptedTokenServer.newBuilder().clock(clock).accessTokenTtl(TTL).build().start();
  private final OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(tokens.uri())
      .clientId("test-client").clientSecret("test-secret").build();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<TokenKeeper> keepers = new ArrayList<>();

  @AfterEach
  void close() {
    keepers.forEach(TokenKeeper::close);
    tokens.close();
  }

  private TokenKeeper keeper(String name, TokenKeeper.Builder builder) {
    TokenKeeperMetrics metrics = TokenKeeperMetrics.of(registry, name, clock);
    TokenKeeper keeper = builder.name(name).clock(clock).scheduler(clock::schedule).listener(metrics).build();
    keepers.add(keeper);
    metrics.monitor(keeper);
    return keeper;
  }

  private double count(String name, String... tags) {
    Meter meter = registry.find(name).tags(tags).meter();
    assertThat(meter).as(name + " " + List.of(tags)).isNotNull();
    double total = 0;
    for (var m : meter.measure()) {
      if (m.getStatistic().name().equals("COUNT")) {
        total += m.getValue();
      }
    }
    return total;
  }

  /** Listeners hear an event after the callers were released: wait for the meter to show it. */
  private void awaitCount(double expected, String name, String... tags) {
    await().untilAsserted(() -> assertThat(count(name, tags)).isEqualTo(expected));
  }

  private double gauge(String name, String keeper) {
    return registry.get(name).tag("keeper", keeper).gauge().value();
  }

  @Test
  void refreshes_rejections_andExpiry_areMetered_perKeeper() {
    TokenKeeper keeper = keeper("orders", TokenKeeper.newBuilder(endpoint.clientCredentials()));
    assertThat(gauge("tokenkeeper.token.expiry", "orders")).isNaN();

    AccessToken first = keeper.token();
    awaitCount(1, "tokenkeeper.refresh", "keeper", "orders", "outcome", "success", "reason", "initial");
    assertThat(gauge("tokenkeeper.token.expiry", "orders")).isEqualTo(TTL.toSeconds());
    clock.advance(Duration.ofSeconds(60));
    assertThat(gauge("tokenkeeper.token.expiry", "orders")).isEqualTo(TTL.toSeconds() - 60);

    keeper.invalidate(first);
    AccessToken second = keeper.token();
    awaitCount(1, "tokenkeeper.refresh", "keeper", "orders", "outcome", "success", "reason", "rejected");
    assertThat(count("tokenkeeper.rejections", "keeper", "orders")).isEqualTo(1);
    // A late 401 for the replaced token refreshes nothing, and is no rejection of the current one.
    keeper.invalidate(first);
    keeper.token();
    assertThat(count("tokenkeeper.rejections", "keeper", "orders")).isEqualTo(1);

    keeper.reportRejectedAfterRefresh(second);
    awaitCount(1, "tokenkeeper.rejections.after.refresh", "keeper", "orders");
    assertThat(count("tokenkeeper.callers.waited", "keeper", "orders")).isEqualTo(2);
    assertThat(tokens.tokenRequests()).isEqualTo(2);
  }

  @Test
  void endpointFailure_isATimedFailureWithItsReason_andTheFailureCounterGrows() {
    TokenKeeper keeper = keeper("billing", TokenKeeper.newBuilder(endpoint.clientCredentials()));
    AccessToken first = keeper.token();
    tokens.enqueue(Fault.status(503));
    keeper.invalidate(first);
    await().untilAsserted(() -> {
      assertThat(count("tokenkeeper.refresh.failures", "keeper", "billing", "reason", "endpoint_failing")).isEqualTo(1);
      assertThat(count("tokenkeeper.refresh", "keeper", "billing", "outcome", "failure", "reason", "endpoint_failing"))
          .isEqualTo(1);
    });
  }

  @Test
  void sessionOver_countsOneReauthenticationRequiredFailure() {
    TokenKeeper keeper = keeper("user", TokenKeeper.newBuilder(endpoint.refreshTokens())
        .initialTokens(TokenResponse.bearer("expired").withExpiresIn(Duration.ZERO).withRefreshToken("never-issued")));
    keeper.tokenAsync();
    await().untilAsserted(() ->
        assertThat(count("tokenkeeper.refresh.failures", "keeper", "user", "reason", "reauthentication_required"))
            .isEqualTo(1));
  }

  @Test
  void waitingCallersGauge_countsCallersHeldByARefreshInFlight() throws Exception {
    TokenKeeper keeper = keeper("held", TokenKeeper.newBuilder(endpoint.clientCredentials()));
    CountDownLatch release = new CountDownLatch(1);
    tokens.enqueue(Fault.hold(release));
    ExecutorService callers = Executors.newFixedThreadPool(8);
    try {
      List<Future<AccessToken>> waiting = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        waiting.add(callers.submit(() -> keeper.token(Duration.ofSeconds(30))));
      }
      await().untilAsserted(() -> assertThat(gauge("tokenkeeper.callers.waiting", "held")).isEqualTo(8));
      release.countDown();
      for (Future<AccessToken> f : waiting) {
        f.get(30, TimeUnit.SECONDS);
      }
      assertThat(gauge("tokenkeeper.callers.waiting", "held")).isZero();
      assertThat(count("tokenkeeper.callers.waited", "keeper", "held")).isEqualTo(8);
      assertThat(tokens.tokenRequests()).isEqualTo(1);
    } finally {
      release.countDown();
      callers.shutdownNow();
    }
  }

  @Test
  void noMeterNameOrTagHoldsATokenOrASecret() {
    TokenKeeper keeper = keeper("orders", TokenKeeper.newBuilder(endpoint.clientCredentials()));
    AccessToken token = keeper.token();
    keeper.invalidate(token);
    keeper.token();
    assertThat(registry.getMeters()).isNotEmpty();
    for (Meter meter : registry.getMeters()) {
      assertThat(meter.getId().getName()).startsWith("tokenkeeper.");
      for (Tag tag : meter.getId().getTags()) {
        assertThat(List.of("keeper", "outcome", "reason")).contains(tag.getKey());
        assertThat(tag.getValue()).doesNotContain(token.value()).doesNotContain(token.fingerprint())
            .doesNotContain("test-secret");
      }
    }
  }

  @Test
  void readmeRecipe_metricsWithoutSpring() {
    MeterRegistry registry = this.registry;
    // --- README: micrometer ---
    TokenKeeperMetrics metrics = TokenKeeperMetrics.of(registry, "orders");
    TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.clientCredentials())
        .name("orders")
        .listener(metrics)
        .build();
    metrics.monitor(keeper);
    // --- end ---
    keepers.add(keeper);
    keeper.token();
    awaitCount(1, "tokenkeeper.refresh", "keeper", "orders", "outcome", "success", "reason", "initial");
    assertThat(gauge("tokenkeeper.callers.waiting", "orders")).isZero();
  }
}
