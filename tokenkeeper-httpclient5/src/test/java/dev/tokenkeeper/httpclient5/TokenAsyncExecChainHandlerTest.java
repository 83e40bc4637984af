package dev.tokenkeeper.httpclient5;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.OAuth2TokenEndpoint;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenPolicy;
import dev.tokenkeeper.testing.Fault;
import dev.tokenkeeper.testing.ScriptedApiServer;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import dev.tokenkeeper.testing.TestClock;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.hc.client5.http.async.methods.SimpleHttpResponse;
import org.apache.hc.client5.http.async.methods.SimpleRequestBuilder;
import org.apache.hc.client5.http.async.methods.SimpleRequestProducer;
import org.apache.hc.client5.http.async.methods.SimpleResponseConsumer;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.core5.reactor.IOReactorConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What only the async handler promises: no thread waits for a refresh. The client has one I/O
 * reactor thread, so a handler that blocked it would stop every other call of the client.
 */
class TokenAsyncExecChainHandlerTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final TestClock clock = new TestClock();
  private final ScriptedTokenServer tokens = ScriptedTokenServer.newBuilder().clock(clock).build().start();
  private final ScriptedApiServer api = ScriptedApiServer.start(tokens, clock);
  private final ScriptedApiServer other = ScriptedApiServer.startOther();
  private final TokenKeeper keeper = TokenKeeper.newBuilder(OAuth2TokenEndpoint.newBuilder(tokens.uri())
          .clientId("test-client").clientSecret("test-secret").build().clientCredentials())
      .clock(clock).scheduler(clock::schedule).build();
  private final CloseableHttpAsyncClient client = TokenAsyncExecChainHandler.install(HttpAsyncClients.custom()
          .setIOReactorConfig(IOReactorConfig.custom().setIoThreadCount(1).build()),
      TokenPolicy.of(api.origin(), keeper)).build();
  private final CountDownLatch release = new CountDownLatch(1);
  private final ExecutorService caller = Executors.newSingleThreadExecutor();

  TokenAsyncExecChainHandlerTest() {
    client.start();
  }

  @AfterEach
  void close() throws Exception {
    release.countDown();
    caller.shutdownNow();
    client.close();
    keeper.close();
    api.close();
    other.close();
    tokens.close();
  }

  @Test
  void refreshAfterA401_heldAtTheEndpoint_theOnlyReactorThreadServesOtherCallsMeanwhile() throws Exception {
    api.revoke(keeper.token().value());
    tokens.enqueue(Fault.hold(release));
    Future<SimpleHttpResponse> rejected = execute(api.uri("/api/items"));
    // The 401 arrived on the reactor thread, which asked for a new token: the refresh is now held.
    assertThat(tokens.awaitTokenRequests(2, WAIT)).isTrue();

    assertThat(execute(other.uri("/elsewhere")).get(WAIT.toSeconds(), TimeUnit.SECONDS).getBodyText())
        .isEqualTo("open");
    assertThat(rejected).isNotDone();

    release.countDown();
    SimpleHttpResponse retried = rejected.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(retried.getCode()).isEqualTo(200);
    assertThat(retried.getBodyText()).isEqualTo("ok test-client 0");
    assertThat(tokens.tokenRequests()).isEqualTo(2);
    assertThat(api.requests()).isEqualTo(2);
  }

  @Test
  void firstTokenHeldAtTheEndpoint_executeReturnsAtOnce_andTheCallCompletesWhenTheTokenArrives() throws Exception {
    tokens.enqueue(Fault.hold(release));
    // On another thread, so that a handler that blocked its caller fails this test instead of hanging it.
    Future<Future<SimpleHttpResponse>> submitted = caller.submit(() -> execute(api.uri("/api/items")));
    Future<SimpleHttpResponse> call = submitted.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(tokens.awaitTokenRequests(1, WAIT)).isTrue();
    assertThat(call).isNotDone();

    release.countDown();
    assertThat(call.get(WAIT.toSeconds(), TimeUnit.SECONDS).getBodyText()).isEqualTo("ok test-client 0");
    assertThat(tokens.tokenRequests()).isEqualTo(1);
  }

  private Future<SimpleHttpResponse> execute(URI uri) {
    return client.execute(SimpleRequestProducer.create(SimpleRequestBuilder.get(uri).build()),
        SimpleResponseConsumer.create(), null);
  }
}
