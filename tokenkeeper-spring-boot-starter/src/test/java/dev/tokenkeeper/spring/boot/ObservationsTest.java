package dev.tokenkeeper.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.micrometer.TokenKeeperObservations;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import io.micrometer.common.KeyValue;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** With an ObservationRegistry in the application, every configured keeper's endpoint calls are observed. */
class ObservationsTest {
  private static final String C = "tokenkeeper.clients.orders.";
  private final ScriptedTokenServer tokens = ScriptedTokenServer.newBuilder().build().start();
  private final List<Observation.Context> stopped = new CopyOnWriteArrayList<>();
  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(TokenKeeperAutoConfiguration.class))
      .withPropertyValues(
          C + "token-uri=" + tokens.uri(),
          C + "client-id=test-client",
          C + "client-secret=test-secret",
          C + "origins=http://127.0.0.1:1");

  @AfterEach
  void stop() {
    tokens.close();
  }

  private ObservationRegistry recording() {
    ObservationRegistry registry = ObservationRegistry.create();
    registry.observationConfig().observationHandler(new ObservationHandler<>() {
      @Override
      public boolean supportsContext(Observation.Context context) {
        return true;
      }

      @Override
      public void onStop(Observation.Context context) {
        stopped.add(context);
      }
    });
    return registry;
  }

  @Test
  void anObservationRegistryBean_observesEachTokenEndpointCall_namedAfterTheClient() {
    runner.withBean(ObservationRegistry.class, this::recording).run(context -> {
      assertThat(context).hasNotFailed();
      context.getBean("ordersTokenKeeper", TokenKeeper.class).token();
      assertThat(stopped).hasSize(1);
      assertThat(stopped.get(0).getName()).isEqualTo(TokenKeeperObservations.NAME);
      Map<String, String> keys = new TreeMap<>();
      for (KeyValue kv : stopped.get(0).getLowCardinalityKeyValues()) {
        keys.put(kv.getKey(), kv.getValue());
      }
      assertThat(keys).isEqualTo(Map.of("keeper", "orders", "reason", "initial", "outcome", "success"));
    });
  }

  @Test
  void withoutARegistry_nothingIsObserved_andTheKeeperWorks() {
    runner.run(context -> {
      assertThat(context).hasNotFailed();
      assertThat(context.getBean("ordersTokenKeeper", TokenKeeper.class).token().value()).isNotBlank();
      assertThat(stopped).isEmpty();
    });
  }
}
