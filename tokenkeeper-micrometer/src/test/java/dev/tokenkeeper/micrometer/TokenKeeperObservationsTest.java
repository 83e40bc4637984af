package dev.tokenkeeper.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.OAuth2TokenEndpoint;
import dev.tokenkeeper.ReauthenticationRequiredException;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenRefreshException;
import dev.tokenkeeper.TokenSource;
import dev.tokenkeeper.testing.Fault;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import dev.tokenkeeper.testing.TestClock;
import io.micrometer.common.KeyValue;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Observations around a real keeper's calls to a real (scripted) token endpoint, on a test clock. */
@Timeout(60)
class TokenKeeperObservationsTest {
  private static final Duration TTL = Duration.ofMinutes(5);
  private final TestClock clock = new TestClock();
  private final ScriptedTokenServer tokens = ScriptedTokenServer.newBuilder().clock(clock)
      .accessTokenTtl(TTL).rotateRefreshTokens(true).reuseDetection(true).build().start();
  private final OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(tokens.uri())
      .clientId("test-client").clientSecret("test-secret").build();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final ObservationRegistry observations = ObservationRegistry.create();
  private final List<Observation.Context> stopped = new CopyOnWriteArrayList<>();

  TokenKeeperObservationsTest() {
    observations.observationConfig().observationHandler(new DefaultMeterObservationHandler(meters));
    observations.observationConfig().observationHandler(new ObservationHandler<>() {
      @Override
      public boolean supportsContext(Observation.Context context) {
        return true;
      }

      @Override
      public void onStop(Observation.Context context) {
        stopped.add(context);
      }
    });
  }

  @AfterEach
  void close() {
    tokens.close();
  }

  private static Map<String, String> keys(Observation.Context context) {
    Map<String, String> keys = new TreeMap<>();
    for (KeyValue kv : context.getLowCardinalityKeyValues()) {
      keys.put(kv.getKey(), kv.getValue());
    }
    assertThat(context.getHighCardinalityKeyValues()).isEmpty();
    return keys;
  }

  @Test
  void everyEndpointCall_isOneObservation_withReasonAndOutcome_andATimer() throws Exception {
    TokenSource observed = TokenKeeperObservations.observe(endpoint.refreshTokens(), observations, "crm");
    try (TokenKeeper keeper = TokenKeeper.newBuilder(observed).name("crm").clock(clock)
        .scheduler(clock::schedule).executor(Runnable::run).build()) {
      keeper.signIn(endpoint.password("alice", "wonderland".toCharArray()));
      keeper.token();
      assertThat(stopped).as("signIn calls the endpoint itself, not the keeper's source").isEmpty();

      clock.advance(TTL);
      String token = keeper.token().value();
      assertThat(stopped).hasSize(1);
      assertThat(keys(stopped.get(0))).isEqualTo(Map.of("keeper", "crm", "reason", "expired", "outcome", "success"));
      assertThat(stopped.get(0).getError()).isNull();

      tokens.enqueue(Fault.status(503));
      clock.advance(TTL);
      assertThatThrownBy(() -> keeper.token(Duration.ZERO)).isInstanceOf(TokenRefreshException.class);
      assertThat(stopped).hasSize(2);
      assertThat(keys(stopped.get(1))).containsEntry("outcome", "failure").containsEntry("reason", "expired");
      assertThat(stopped.get(1).getError()).isNotNull();

      tokens.enqueue(Fault.invalidGrant());
      clock.advance(Duration.ofMinutes(1)); // past the backoff
      assertThatThrownBy(() -> keeper.token(Duration.ZERO)).isInstanceOf(ReauthenticationRequiredException.class);
      assertThat(stopped).hasSize(3);
      assertThat(keys(stopped.get(2))).containsEntry("outcome", "refused");

      Timer success = meters.get(TokenKeeperObservations.NAME)
          .tags("keeper", "crm", "reason", "expired", "outcome", "success", "error", "none").timer();
      assertThat(success.count()).isEqualTo(1);
      assertThat(meters.get(TokenKeeperObservations.NAME).tags("outcome", "failure").timer().count()).isEqualTo(1);
      assertThat(meters.get(TokenKeeperObservations.NAME).tags("outcome", "refused").timer().count()).isEqualTo(1);
      for (var meter : meters.getMeters()) {
        for (Tag tag : meter.getId().getTags()) {
          assertThat(tag.getValue()).doesNotContain(token).doesNotContain("test-secret");
        }
      }
    }
  }

  @Test
  void theEndpointCallRuns_insideTheObservationsScope() throws Exception {
    List<Observation> seen = new CopyOnWriteArrayList<>();
    TokenSource source = request -> {
      seen.add(observations.getCurrentObservation());
      return endpoint.clientCredentials().fetch(request);
    };
    TokenSource observed = TokenKeeperObservations.observe(TokenSource.usingConfiguredCredentials(source),
        observations, "orders");
    assertThat(observed.usesConfiguredCredentials()).isTrue();
    try (TokenKeeper keeper = TokenKeeper.newBuilder(observed).name("orders").clock(clock)
        .scheduler(clock::schedule).executor(Runnable::run).build()) {
      keeper.token();
    }
    assertThat(seen).hasSize(1);
    assertThat(seen.get(0)).isNotNull();
    assertThat(seen.get(0).getContext().getName()).isEqualTo(TokenKeeperObservations.NAME);
    assertThat(keys(stopped.get(0))).containsEntry("reason", "initial").containsEntry("keeper", "orders");
    assertThat(observations.getCurrentObservation()).as("the scope is closed after the call").isNull();
  }

  @Test
  void badArguments_areRefused_withTheFix() {
    TokenSource source = endpoint.clientCredentials();
    assertThatThrownBy(() -> TokenKeeperObservations.observe(source, observations, " "))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("keeper");
    assertThatThrownBy(() -> TokenKeeperObservations.observe(null, observations, "k"))
        .isInstanceOf(NullPointerException.class).hasMessageContaining("source");
  }

  @Test
  void readmeRecipe_observations() throws Exception {
    ObservationRegistry observationRegistry = observations;
    // --- README: micrometer-observations ---
    TokenSource observed = TokenKeeperObservations.observe(
        endpoint.clientCredentials(), observationRegistry, "orders");
    TokenKeeper keeper = TokenKeeper.newBuilder(observed).name("orders").build();
    // --- end ---
    try (keeper) {
      keeper.token();
    }
    assertThat(stopped).hasSize(1);
    assertThat(keys(stopped.get(0))).containsEntry("outcome", "success");
  }
}
