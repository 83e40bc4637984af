package dev.tokenkeeper.spring.boot;

import java.util.Map;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * When Tokenkeeper clients are configured, makes Boot's HTTP clients leave redirects to the
 * adapters ({@code spring.http.clients.redirects=dont-follow}, and the same for reactive clients)
 * unless the application set it: the adapters follow redirects themselves, deciding for each hop
 * whether it may carry the token, while a client that follows them itself may forward {@code
 * Authorization} to another origin (the JDK's does). The lowest-priority default: any value the
 * application sets wins.
 */
public final class RedirectsEnvironmentPostProcessor implements EnvironmentPostProcessor {
  static final String SOURCE = "tokenkeeperRedirectDefaults";

  /** Creates the post-processor; Spring Boot does, from {@code META-INF/spring.factories}. */
  public RedirectsEnvironmentPostProcessor() {}

  @Override
  public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
    boolean configured = environment.getPropertySources().stream()
        .filter(s -> s instanceof org.springframework.core.env.EnumerablePropertySource<?>)
        .flatMap(s -> java.util.Arrays.stream(((org.springframework.core.env.EnumerablePropertySource<?>) s).getPropertyNames()))
        .anyMatch(n -> n.startsWith("tokenkeeper.clients.") || n.equals("tokenkeeper.from-spring-security"));
    if (configured) {
      environment.getPropertySources().addLast(new MapPropertySource(SOURCE, Map.of(
          "spring.http.clients.redirects", "dont-follow",
          "spring.http.reactiveclient.redirects", "dont-follow")));
    }
  }
}
