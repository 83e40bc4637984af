package dev.tokenkeeper.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenPolicy;
import dev.tokenkeeper.TokenResponse;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.client.ClientHttpRequestInterceptor;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.web.client.RestClient;

/**
 * Each hop {@link TokenClientHttpRequestInterceptor} sends (the first, a redirect, a retry) starts
 * from the headers the caller gave, whatever interceptors after it do to the request they are
 * handed: an interceptor that adds a header on every send must not find it already there on the
 * next hop (it would go out twice, or, added for one host only, follow a redirect to another).
 * Sending the caller's own request object down the chain with the token set on it, to save a copy,
 * broke this (session 6 review); a real server on loopback records what arrived.
 */
class RestClientHopIsolationTest {
  private HttpServer server;
  private final List<List<String>> traces = new CopyOnWriteArrayList<>();
  private final List<String> authorizations = new CopyOnWriteArrayList<>();
  private TokenKeeper keeper;
  private URI origin;

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", exchange -> {
      traces.add(List.copyOf(exchange.getRequestHeaders().getOrDefault("X-trace", List.of())));
      authorizations.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
      if (exchange.getRequestURI().getPath().equals("/moved")) {
        exchange.getResponseHeaders().add("Location", "/landing");
        exchange.sendResponseHeaders(307, -1);
      } else {
        exchange.sendResponseHeaders(204, -1);
      }
      exchange.close();
    });
    server.start();
    origin = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    keeper = TokenKeeper.newBuilder(request -> {
          throw new IllegalStateException("the test's token never expires");
        })
        .initialTokens(TokenResponse.bearer("hop-token").withExpiresIn(Duration.ofHours(1)))
        .build();
  }

  @AfterEach
  void stop() {
    keeper.close();
    server.stop(0);
  }

  @Test
  void aLaterInterceptorsHeader_isNotCarriedIntoTheRedirectHop() {
    ClientHttpRequestInterceptor tracing = (request, body, execution) -> {
      request.getHeaders().add("X-Trace", "hop");
      return execution.execute(request, body);
    };
    RestClient client = RestClient.builder()
        .requestFactory(new JdkClientHttpRequestFactory(
            HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build()))
        .requestInterceptor(TokenClientHttpRequestInterceptor.of(TokenPolicy.of(origin, keeper)))
        .requestInterceptor(tracing)
        .build();

    client.get().uri(origin.resolve("/moved")).retrieve().toBodilessEntity();

    assertThat(authorizations).containsExactly("Bearer hop-token", "Bearer hop-token");
    assertThat(traces).containsExactly(List.of("hop"), List.of("hop"));
  }
}
