package dev.tokenkeeper.spring.boot;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenListener;
import dev.tokenkeeper.TokenPolicy;
import dev.tokenkeeper.micrometer.TokenKeeperMetrics;
import dev.tokenkeeper.spring.TokenClientHttpRequestInterceptor;
import dev.tokenkeeper.spring.TokenExchangeFilterFunction;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.AutowireCandidateQualifier;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.BeanDefinitionRegistryPostProcessor;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.restclient.RestClientCustomizer;
import org.springframework.boot.webclient.WebClientCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Auto-configuration of Tokenkeeper from {@code tokenkeeper.clients.*}: a {@link TokenKeeperClients}
 * bean holding one {@link TokenKeeper} per client, each also a bean of its own named {@code
 * <name>TokenKeeper} and qualified by the client name ({@code @Qualifier("orders") TokenKeeper
 * keeper}); a {@link RestClientCustomizer} and a {@link WebClientCustomizer} that add the adapters
 * of {@code tokenkeeper-spring} for the configured origins to every builder Boot hands out; an
 * Actuator health contributor {@code tokenkeeper} with one entry per client; Micrometer meters
 * ({@link TokenKeeperMetrics}) when a {@link MeterRegistry} exists. Every part backs off when the
 * application defines the bean itself, and each optional part runs only when its library is there.
 */
@AutoConfiguration
@EnableConfigurationProperties(TokenKeeperProperties.class)
public class TokenKeeperAutoConfiguration {

  /** Creates the auto-configuration; Spring does. */
  public TokenKeeperAutoConfiguration() {}

  /**
   * The keepers of every configured client, checked at startup.
   *
   * @throws org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException
   *     naming the property that is missing or wrong
   */
  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  public TokenKeeperClients tokenKeeperClients(TokenKeeperProperties properties, Environment environment,
      ObjectProvider<KeeperObserver> observers) {
    // With from-spring-security, the registrations of spring.security.oauth2.client join the
    // clients bound from tokenkeeper.clients (which win, key by key).
    TokenKeeperProperties effective = properties.fromSpringSecurity()
        ? SpringSecurityRegistrations.bind(environment) : properties;
    return new TokenKeeperClients(effective, observers.orderedStream().toList());
  }

  /** Registers one {@link TokenKeeper} bean per configured client, qualified by its name. */
  @Bean
  public static BeanDefinitionRegistryPostProcessor tokenKeeperBeans(Environment environment) {
    return new BeanDefinitionRegistryPostProcessor() {
      @Override
      public void postProcessBeanDefinitionRegistry(BeanDefinitionRegistry registry) {
        BeanFactory beanFactory = (BeanFactory) registry;
        for (String name : SpringSecurityRegistrations.names(environment)) {
          RootBeanDefinition definition = new RootBeanDefinition(TokenKeeper.class,
              () -> beanFactory.getBean(TokenKeeperClients.class).keeper(name));
          definition.addQualifier(new AutowireCandidateQualifier(Qualifier.class, name));
          // TokenKeeperClients closes it.
          definition.setDestroyMethodName(null);
          registry.registerBeanDefinition(name + "TokenKeeper", definition);
        }
      }

      @Override
      public void postProcessBeanFactory(ConfigurableListableBeanFactory beanFactory) {}
    };
  }

  /** Adds the RestClient/RestTemplate interceptor for the configured origins. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass({RestClientCustomizer.class, TokenClientHttpRequestInterceptor.class})
  static class RestClientConfiguration {
    @Bean
    RestClientCustomizer tokenKeeperRestClientCustomizer(TokenKeeperClients clients) {
      return builder -> {
        TokenPolicy policy = clients.policy();
        if (policy != null) {
          builder.requestInterceptor(TokenClientHttpRequestInterceptor.of(policy));
        }
      };
    }
  }

  /** Adds the WebClient filter for the configured origins. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = {"org.springframework.boot.webclient.WebClientCustomizer",
      "org.springframework.web.reactive.function.client.WebClient"})
  static class WebClientConfiguration {
    @Bean
    WebClientCustomizer tokenKeeperWebClientCustomizer(TokenKeeperClients clients) {
      return builder -> {
        TokenPolicy policy = clients.policy();
        if (policy != null) {
          builder.filter(TokenExchangeFilterFunction.of(policy));
        }
      };
    }
  }

  /** The health contributor {@code tokenkeeper}: one indicator per client. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
  static class HealthConfiguration {
    @Bean
    @ConditionalOnMissingBean(name = "tokenkeeperHealthContributor")
    CompositeHealthContributor tokenkeeperHealthContributor(TokenKeeperClients clients) {
      Map<String, HealthIndicator> indicators = new LinkedHashMap<>();
      clients.keepers().keySet().forEach(name -> indicators.put(name, new KeeperHealthIndicator(clients, name)));
      return CompositeHealthContributor.fromMap(indicators);
    }
  }

  /** Micrometer meters for every keeper, when the application has a registry. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "io.micrometer.core.instrument.MeterRegistry")
  static class MetricsConfiguration {
    @Bean
    KeeperObserver tokenKeeperMetricsObserver(ObjectProvider<MeterRegistry> registries) {
      return new KeeperObserver() {
        private final Map<String, TokenKeeperMetrics> metrics = new java.util.concurrent.ConcurrentHashMap<>();

        @Override
        public TokenListener listener(String name) {
          MeterRegistry registry = registries.getIfUnique();
          if (registry == null) {
            return TokenListener.NONE;
          }
          TokenKeeperMetrics m = TokenKeeperMetrics.of(registry, name);
          metrics.put(name, m);
          return m;
        }

        @Override
        public void built(String name, TokenKeeper keeper) {
          TokenKeeperMetrics m = metrics.get(name);
          if (m != null) {
            m.monitor(keeper);
          }
        }
      };
    }
  }

  /**
   * An Observation per token endpoint call ({@link dev.tokenkeeper.micrometer.TokenKeeperObservations}),
   * when the application has an {@code ObservationRegistry} (Boot's actuator makes one, and with a
   * tracing bridge each call is a span).
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "io.micrometer.observation.ObservationRegistry")
  static class ObservationsConfiguration {
    @Bean
    KeeperObserver tokenKeeperObservationsObserver(
        ObjectProvider<io.micrometer.observation.ObservationRegistry> registries) {
      return new KeeperObserver() {
        @Override
        public TokenListener listener(String name) {
          return TokenListener.NONE;
        }

        @Override
        public dev.tokenkeeper.TokenSource source(String name, dev.tokenkeeper.TokenSource source) {
          io.micrometer.observation.ObservationRegistry registry = registries.getIfUnique();
          return registry == null || registry.isNoop() ? source
              : dev.tokenkeeper.micrometer.TokenKeeperObservations.observe(source, registry, name);
        }

        @Override
        public void built(String name, TokenKeeper keeper) {}
      };
    }
  }
}
