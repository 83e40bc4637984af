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
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpRequest;
import org.springframework.http.client.ClientHttpRequestInterceptor;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.http.client.support.HttpRequestWrapper;
import org.springframework.web.client.RestClient;

/**
 * Where {@link TokenClientHttpRequestInterceptor} puts the token on a request's first send: on the
 * request's own headers for the length of the call (no copy of every header), taken off again when
 * the call returns, and on a copy when an earlier interceptor passed read-only headers. A real
 * server on loopback records what arrived.
 */
class RestClientTokenPlacementTest {
  private static final String TOKEN = "placement-token";

  private HttpServer server;
  private final List<String> arrived = new CopyOnWriteArrayList<>();
  private TokenKeeper keeper;
  private TokenPolicy policy;
  private URI origin;

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", exchange -> {
      arrived.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
      exchange.sendResponseHeaders(204, -1);
      exchange.close();
    });
    server.start();
    origin = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    keeper = TokenKeeper.newBuilder(request -> {
          throw new IllegalStateException("the test's token never expires");
        })
        .initialTokens(TokenResponse.bearer(TOKEN).withExpiresIn(Duration.ofHours(1)))
        .build();
    policy = TokenPolicy.of(origin, keeper);
  }

  @AfterEach
  void stop() {
    keeper.close();
    server.stop(0);
  }

  @Test
  void firstSend_theTokenIsOnTheRequestDuringTheCall_andOffItWhenTheCallReturns() {
    List<HttpRequest> passedDown = new CopyOnWriteArrayList<>();
    List<String> seenDuringTheCall = new CopyOnWriteArrayList<>();
    ClientHttpRequestInterceptor after = (request, body, execution) -> {
      passedDown.add(request);
      seenDuringTheCall.add(String.valueOf(request.getHeaders().getFirst(HttpHeaders.AUTHORIZATION)));
      return execution.execute(request, body);
    };
    RestClient client = client(TokenClientHttpRequestInterceptor.of(policy), after);

    for (int i = 0; i < 3; i++) {
      client.get().uri(origin.resolve("/items")).retrieve().toBodilessEntity();
    }

    assertThat(arrived).containsExactly("Bearer " + TOKEN, "Bearer " + TOKEN, "Bearer " + TOKEN);
    assertThat(seenDuringTheCall).containsOnly("Bearer " + TOKEN).hasSize(3);
    assertThat(passedDown).hasSize(3).allSatisfy(request ->
        assertThat(request.getHeaders().containsHeader(HttpHeaders.AUTHORIZATION)).isFalse());
  }

  @Test
  void readOnlyHeadersFromAnEarlierInterceptor_theTokenGoesOnACopy() {
    ClientHttpRequestInterceptor readOnly = (request, body, execution) ->
        execution.execute(new HttpRequestWrapper(request) {
          @Override
          public HttpHeaders getHeaders() {
            return HttpHeaders.readOnlyHttpHeaders(super.getHeaders());
          }
        }, body);
    RestClient client = client(readOnly, TokenClientHttpRequestInterceptor.of(policy));

    client.get().uri(origin.resolve("/items")).retrieve().toBodilessEntity();

    assertThat(arrived).containsExactly("Bearer " + TOKEN);
  }

  private static RestClient client(ClientHttpRequestInterceptor first, ClientHttpRequestInterceptor second) {
    HttpClient jdk = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    return RestClient.builder()
        .requestFactory(new JdkClientHttpRequestFactory(jdk))
        .requestInterceptor(first)
        .requestInterceptor(second)
        .build();
  }
}
