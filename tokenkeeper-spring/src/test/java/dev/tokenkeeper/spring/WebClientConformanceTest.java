package dev.tokenkeeper.spring;

import dev.tokenkeeper.TokenIOException;
import dev.tokenkeeper.testing.AdapterConformanceSuite;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.JdkClientHttpConnector;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientRequestException;
import reactor.core.publisher.Sinks;

/**
 * {@link TokenExchangeFilterFunction} in a {@code WebClient} over the JDK's {@code HttpClient}
 * (redirects not followed by the connector: the filter follows them) passes the adapter conformance
 * suite. A one-shot body is a unicast sink, which a second subscription would fail, marked with
 * {@link TokenExchangeFilterFunction#NO_RETRY}.
 */
class WebClientConformanceTest extends AdapterConformanceSuite {

  @Override
  protected AuthenticatedClient connect(Setup setup) {
    Keepers keepers = new Keepers(setup);
    HttpClient jdk = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    WebClient client = WebClient.builder()
        .clientConnector(new JdkClientHttpConnector(jdk))
        .filter(TokenExchangeFilterFunction.of(keepers.policy))
        .build();
    return new Client(client, jdk, keepers);
  }

  @Override
  protected Class<? extends Exception> tokenFailureType() {
    return WebClientRequestException.class;
  }

  @Override
  protected boolean isReauthenticationRequired(Exception failure) {
    return ((TokenIOException) failure.getCause()).isReauthenticationRequired();
  }

  private record Client(WebClient client, HttpClient jdk, Keepers keepers) implements AuthenticatedClient {

    @Override
    public Answer send(Exchange exchange) {
      WebClient.RequestBodySpec request = client.method(HttpMethod.valueOf(exchange.method())).uri(exchange.uri());
      if (exchange.body() != null) {
        request.contentType(MediaType.TEXT_PLAIN);
        if (exchange.replayable()) {
          request.bodyValue(exchange.body());
        } else {
          Sinks.Many<String> once = Sinks.many().unicast().onBackpressureBuffer();
          once.tryEmitNext(exchange.body());
          once.tryEmitComplete();
          request.attribute(TokenExchangeFilterFunction.NO_RETRY, true).body(once.asFlux(), String.class);
        }
      }
      return request.exchangeToMono(response -> response.bodyToMono(String.class).defaultIfEmpty("")
              .map(body -> new Answer(response.statusCode().value(), body)))
          .block(Duration.ofSeconds(30));
    }

    @Override
    public String authorization(URI origin) {
      return keepers.authorization(origin);
    }

    @Override
    public void invalidate(URI origin) {
      keepers.invalidate(origin);
    }

    @Override
    public void closeKeepers() {
      keepers.close();
    }

    @Override
    public void close() {
      keepers.close();
    }
  }
}
