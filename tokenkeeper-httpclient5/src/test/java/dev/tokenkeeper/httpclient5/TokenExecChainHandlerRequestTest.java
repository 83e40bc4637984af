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
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hc.client5.http.classic.ExecChainHandler;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.http.io.entity.StringEntity;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The classic handler sets the token on the request the chain handed it instead of copying it
 * (B3, issue 15). What that must not change: the application's request never carries the token; an
 * exec handler above ours finds the request it passed down without the token once the call
 * returns; and a second send (the retry after a rejection) starts from the hop's own headers, not
 * from those the chain below added on the first send (HttpClient's {@code RequestContent} refuses
 * a request that already has {@code Content-Length}). Real client, real loopback server.
 */
class TokenExecChainHandlerRequestTest {
  private final TestClock clock = new TestClock();
  private final ScriptedTokenServer tokens = ScriptedTokenServer.newBuilder().clock(clock).build().start();
  private final TokenKeeper keeper = TokenKeeper.newBuilder(OAuth2TokenEndpoint.newBuilder(tokens.uri())
          .clientId("test-client").clientSecret("test-secret").build().clientCredentials())
      .clock(clock).scheduler(clock::schedule).build();
  /** Per request received: Authorization, the number of Content-Length fields, X-Mine, the body. */
  private final List<String> received = new CopyOnWriteArrayList<>();
  private final AtomicInteger rejectFirst = new AtomicInteger();
  private final HttpServer server;

  TokenExecChainHandlerRequestTest() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", exchange -> {
      byte[] in = exchange.getRequestBody().readAllBytes();
      List<String> lengths = exchange.getRequestHeaders().get("Content-Length");
      received.add(exchange.getRequestHeaders().getFirst("Authorization") + " | " + (lengths == null ? 0 : lengths.size())
          + " | " + exchange.getRequestHeaders().getFirst("X-Mine") + " | " + new String(in, StandardCharsets.UTF_8));
      boolean reject = rejectFirst.getAndDecrement() > 0;
      if (reject) {
        exchange.getResponseHeaders().add("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      }
      byte[] body = (reject ? "no" : "ok").getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(reject ? 401 : 200, body.length);
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
  void rejectedPost_isSentAgainWithTheNewToken_fromTheHopsOwnHeaders() throws Exception {
    rejectFirst.set(1);
    String first = keeper.token().authorizationHeader();
    try (CloseableHttpClient client =
        TokenExecChainHandler.install(HttpClients.custom(), TokenPolicy.of(origin(), keeper)).build()) {
      HttpPost post = new HttpPost(origin().resolve("/items"));
      post.setHeader("X-Mine", "kept");
      post.setEntity(new StringEntity("payload", ContentType.TEXT_PLAIN));
      String body = client.execute(post, response -> response.getCode() + " " + EntityUtils.toString(response.getEntity()));
      assertThat(body).isEqualTo("200 ok");
      assertThat(post.containsHeader("Authorization")).isFalse();
    }
    String second = keeper.token().authorizationHeader();
    assertThat(second).isNotEqualTo(first);
    assertThat(received).containsExactly(first + " | 1 | kept | payload", second + " | 1 | kept | payload");
  }

  @Test
  void neitherTheCallersRequest_northeRequestAboveTheHandler_keepsTheToken() throws Exception {
    List<String> seenAbove = new CopyOnWriteArrayList<>();
    ExecChainHandler spy = (request, scope, chain) -> {
      try {
        return chain.proceed(request, scope);
      } finally {
        seenAbove.add(describe(request));
      }
    };
    try (CloseableHttpClient client = TokenExecChainHandler.install(HttpClients.custom(), TokenPolicy.of(origin(), keeper))
        .addExecInterceptorFirst("spy", spy).build()) {
      HttpGet get = new HttpGet(origin().resolve("/items"));
      get.setHeader("X-Mine", "kept");
      int status = client.execute(get, response -> response.getCode());
      assertThat(status).isEqualTo(200);
      assertThat(describe(get)).isEqualTo("X-Mine: kept");
    }
    // ContentCompressionExec, between the spy and our handler, adds its Accept-Encoding to the same request.
    assertThat(seenAbove).singleElement().satisfies(headers -> assertThat(headers)
        .startsWith("X-Mine: kept").doesNotContain("Authorization").doesNotContain("Bearer"));
    assertThat(received).containsExactly(keeper.token().authorizationHeader() + " | 0 | kept | ");
  }

  private static String describe(ClassicHttpRequest request) {
    StringBuilder out = new StringBuilder();
    for (org.apache.hc.core5.http.Header h : request.getHeaders()) {
      out.append(out.length() == 0 ? "" : ", ").append(h.getName()).append(": ").append(h.getValue());
    }
    return out.toString();
  }
}
