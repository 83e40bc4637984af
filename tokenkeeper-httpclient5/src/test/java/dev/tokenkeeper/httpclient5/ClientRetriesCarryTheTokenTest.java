package dev.tokenkeeper.httpclient5;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.tokenkeeper.OAuth2TokenEndpoint;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenPolicy;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import dev.tokenkeeper.testing.TestClock;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hc.client5.http.async.methods.SimpleRequestBuilder;
import org.apache.hc.client5.http.async.methods.SimpleRequestProducer;
import org.apache.hc.client5.http.async.methods.SimpleResponseConsumer;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Why the handlers sit inside the client's retry handling: HttpClient re-sends a GET answered 503
 * with {@code Retry-After}, and the re-sent request must carry the token too. The classic client
 * rebuilds it from the request the application passed, so it carries the token only when the
 * handler sees it (with the handler first in the chain, the classic test fails). The async client
 * re-sends the request it was given, so its test holds in either position; it guards the behaviour.
 */
class ClientRetriesCarryTheTokenTest {
  private final TestClock clock = new TestClock();
  private final ScriptedTokenServer tokens = ScriptedTokenServer.newBuilder().clock(clock).build().start();
  private final TokenKeeper keeper = TokenKeeper.newBuilder(OAuth2TokenEndpoint.newBuilder(tokens.uri())
          .clientId("test-client").clientSecret("test-secret").build().clientCredentials())
      .clock(clock).scheduler(clock::schedule).build();
  private final List<String> authorizations = new CopyOnWriteArrayList<>();
  private final AtomicInteger requests = new AtomicInteger();
  private final HttpServer server;

  ClientRetriesCarryTheTokenTest() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", exchange -> {
      String authorization = exchange.getRequestHeaders().getFirst("Authorization");
      authorizations.add(authorization == null ? "(none)" : authorization);
      boolean first = requests.incrementAndGet() == 1;
      byte[] body = (first ? "busy" : "ok").getBytes(StandardCharsets.UTF_8);
      if (first) {
        exchange.getResponseHeaders().add("Retry-After", "0");
      }
      exchange.sendResponseHeaders(first ? 503 : 200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
  }

  @AfterEach
  void close() {
    server.stop(0);
    keeper.close();
    tokens.close();
  }

  private URI origin() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  @Test
  void classic_503RetriedByTheClient_bothSendsCarryTheToken() throws Exception {
    try (CloseableHttpClient client =
        TokenExecChainHandler.install(HttpClients.custom(), TokenPolicy.of(origin(), keeper)).build()) {
      int status = client.execute(new HttpGet(origin().resolve("/items")), response -> response.getCode());
      assertThat(status).isEqualTo(200);
    }
    String header = keeper.token().authorizationHeader();
    assertThat(authorizations).containsExactly(header, header);
  }

  @Test
  void async_503RetriedByTheClient_bothSendsCarryTheToken() throws Exception {
    try (CloseableHttpAsyncClient client =
        TokenAsyncExecChainHandler.install(HttpAsyncClients.custom(), TokenPolicy.of(origin(), keeper)).build()) {
      client.start();
      assertThat(client.execute(SimpleRequestProducer.create(SimpleRequestBuilder.get(origin().resolve("/items")).build()),
          SimpleResponseConsumer.create(), null).get(10, TimeUnit.SECONDS).getCode()).isEqualTo(200);
    }
    String header = keeper.token().authorizationHeader();
    assertThat(authorizations).containsExactly(header, header);
  }
}
