package dev.tokenkeeper.spring;

import dev.tokenkeeper.TokenIOException;
import dev.tokenkeeper.testing.AdapterConformanceSuite;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.web.client.ResourceAccessException;
import org.springframework.web.client.RestClient;

/**
 * {@link TokenClientHttpRequestInterceptor} in a {@code RestClient} over the JDK's {@code HttpClient}
 * (redirects not followed by the client: the interceptor follows them) passes the adapter
 * conformance suite. A body the suite calls one-shot is marked with {@link
 * TokenClientHttpRequestInterceptor#NO_RETRY}: Spring buffers every body into a {@code byte[]}
 * before interceptors see it, so the attribute is the only way a request says "do not send me twice".
 */
class RestClientConformanceTest extends AdapterConformanceSuite {

  @Override
  protected AuthenticatedClient connect(Setup setup) {
    Keepers keepers = new Keepers(setup);
    HttpClient jdk = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    RestClient client = RestClient.builder()
        .requestFactory(new JdkClientHttpRequestFactory(jdk))
        .requestInterceptor(TokenClientHttpRequestInterceptor.of(keepers.policy))
        .build();
    return new Client(client, jdk, keepers);
  }

  @Override
  protected Class<? extends Exception> tokenFailureType() {
    return ResourceAccessException.class;
  }

  @Override
  protected boolean isReauthenticationRequired(Exception failure) {
    return ((TokenIOException) failure.getCause()).isReauthenticationRequired();
  }

  private record Client(RestClient client, HttpClient jdk, Keepers keepers) implements AuthenticatedClient {

    @Override
    public Answer send(Exchange exchange) {
      RestClient.RequestBodySpec request = client.method(HttpMethod.valueOf(exchange.method())).uri(exchange.uri());
      if (exchange.body() != null) {
        request.contentType(MediaType.TEXT_PLAIN).body(exchange.body());
        if (!exchange.replayable()) {
          request.attribute(TokenClientHttpRequestInterceptor.NO_RETRY, true);
        }
      }
      return request.exchange((req, response) -> new Answer(response.getStatusCode().value(),
          new String(response.getBody().readAllBytes(), StandardCharsets.UTF_8)));
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
