package dev.tokenkeeper.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.OAuth2TokenEndpoint;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenPolicy;
import dev.tokenkeeper.testing.ScriptedApiServer;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import dev.tokenkeeper.testing.TestClock;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.http.client.reactive.JdkClientHttpConnector;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestTemplate;
import org.springframework.web.client.support.RestClientAdapter;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.support.WebClientAdapter;
import org.springframework.web.service.annotation.GetExchange;
import org.springframework.web.service.annotation.HttpExchange;
import org.springframework.web.service.annotation.PostExchange;
import org.springframework.web.service.invoker.HttpServiceProxyFactory;
import reactor.core.publisher.Mono;

/**
 * HTTP interface clients ({@code @HttpExchange}) on a {@code RestClient} or a {@code WebClient}
 * carry the token and retry a rejected GET and POST once, through the adapters alone; so does a
 * {@code RestTemplate}.
 */
class HttpInterfaceClientsTest {
  private final TestClock clock = new TestClock();
  private final ScriptedTokenServer tokens =
      ScriptedTokenServer.newBuilder().clock(clock).accessTokenTtl(Duration.ofMinutes(5)).build().start();
  private final ScriptedApiServer api = ScriptedApiServer.start(tokens, clock);
  private final TokenKeeper keeper = TokenKeeper.newBuilder(OAuth2TokenEndpoint.newBuilder(tokens.uri())
          .clientId("test-client").clientSecret("test-secret").build().clientCredentials())
      .clock(clock).scheduler(clock::schedule).build();
  private final TokenPolicy policy = TokenPolicy.of(api.origin(), keeper);

  @HttpExchange("/api")
  interface Items {
    @GetExchange("/items")
    String list();

    @PostExchange("/items")
    String create(@RequestBody String item);
  }

  @HttpExchange("/api")
  interface ReactiveItems {
    @GetExchange("/items")
    Mono<String> list();

    @PostExchange("/items")
    Mono<String> create(@RequestBody String item);
  }

  @AfterEach
  void close() {
    keeper.close();
    api.close();
    tokens.close();
  }

  @Test
  void httpInterfaceOnRestClient_revokedToken_getAndPostRetriedOnceWithTheNewToken() {
    RestClient restClient = RestClient.builder()
        .baseUrl(api.origin().toString())
        .requestFactory(new JdkClientHttpRequestFactory(HttpClient.newHttpClient()))
        .requestInterceptor(TokenClientHttpRequestInterceptor.of(policy))
        .build();
    Items items = HttpServiceProxyFactory.builderFor(RestClientAdapter.create(restClient)).build()
        .createClient(Items.class);

    assertThat(items.list()).isEqualTo("ok test-client 0");
    revokeCurrent();
    assertThat(items.create("twelve bytes")).isEqualTo("ok test-client 12");
    revokeCurrent();
    assertThat(items.list()).isEqualTo("ok test-client 0");

    assertRetriedOncePerRevocation();
  }

  @Test
  void httpInterfaceOnWebClient_revokedToken_getAndPostRetriedOnceWithTheNewToken() {
    WebClient webClient = WebClient.builder()
        .baseUrl(api.origin().toString())
        .clientConnector(new JdkClientHttpConnector(HttpClient.newHttpClient()))
        .filter(TokenExchangeFilterFunction.of(policy))
        .build();
    ReactiveItems items = HttpServiceProxyFactory.builderFor(WebClientAdapter.create(webClient)).build()
        .createClient(ReactiveItems.class);

    assertThat(items.list().block(Duration.ofSeconds(30))).isEqualTo("ok test-client 0");
    revokeCurrent();
    assertThat(items.create("twelve bytes").block(Duration.ofSeconds(30))).isEqualTo("ok test-client 12");
    revokeCurrent();
    assertThat(items.list().block(Duration.ofSeconds(30))).isEqualTo("ok test-client 0");

    assertRetriedOncePerRevocation();
  }

  @Test
  void restTemplate_revokedToken_postRetriedOnceWithItsBody() {
    RestTemplate restTemplate = new RestTemplate(new JdkClientHttpRequestFactory(HttpClient.newHttpClient()));
    restTemplate.getInterceptors().add(TokenClientHttpRequestInterceptor.of(policy));

    assertThat(restTemplate.getForObject(api.uri("/api/items"), String.class)).isEqualTo("ok test-client 0");
    revokeCurrent();
    assertThat(restTemplate.postForObject(api.uri("/api/items"), "twelve bytes", String.class))
        .isEqualTo("ok test-client 12");
    revokeCurrent();
    assertThat(restTemplate.getForObject(api.uri("/api/items"), String.class)).isEqualTo("ok test-client 0");

    assertRetriedOncePerRevocation();
  }

  private void revokeCurrent() {
    api.revoke(keeper.token().value());
  }

  /** Three calls, two revocations: five requests, three tokens, each token sent exactly as often as expected. */
  private void assertRetriedOncePerRevocation() {
    assertThat(api.requests()).isEqualTo(5);
    assertThat(api.rejected()).isEqualTo(2);
    assertThat(tokens.tokenRequests()).isEqualTo(3);
    List<String> sent = api.authorizations();
    assertThat(sent.get(1)).isEqualTo(sent.get(0));
    assertThat(sent.get(2)).isNotEqualTo(sent.get(1)).isEqualTo(sent.get(3));
    assertThat(sent.get(4)).isNotEqualTo(sent.get(3));
  }
}
