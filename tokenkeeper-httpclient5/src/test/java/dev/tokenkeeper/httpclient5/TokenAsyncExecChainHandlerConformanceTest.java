package dev.tokenkeeper.httpclient5;

import dev.tokenkeeper.TokenIOException;
import dev.tokenkeeper.testing.AdapterConformanceSuite;
import java.net.URI;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.hc.client5.http.async.methods.SimpleHttpResponse;
import org.apache.hc.client5.http.async.methods.SimpleResponseConsumer;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.nio.entity.AsyncEntityProducers;
import org.apache.hc.core5.http.nio.support.AsyncRequestBuilder;

/** {@link TokenAsyncExecChainHandler}, installed in an async client, passes the adapter conformance suite. */
class TokenAsyncExecChainHandlerConformanceTest extends AdapterConformanceSuite {

  @Override
  protected AuthenticatedClient connect(Setup setup) {
    Keepers keepers = new Keepers(setup);
    CloseableHttpAsyncClient client =
        TokenAsyncExecChainHandler.install(HttpAsyncClients.custom(), keepers.policy).build();
    client.start();
    return new Async(client, keepers);
  }

  @Override
  protected Class<? extends Exception> tokenFailureType() {
    return TokenIOException.class;
  }

  @Override
  protected boolean isReauthenticationRequired(Exception failure) {
    return ((TokenIOException) failure).isReauthenticationRequired();
  }

  /** Sends through {@code execute} and waits for the future, as a caller of the async client would. */
  private record Async(CloseableHttpAsyncClient client, Keepers keepers) implements AuthenticatedClient {

    @Override
    public Answer send(Exchange exchange) throws Exception {
      AsyncRequestBuilder request = AsyncRequestBuilder.create(exchange.method()).setUri(exchange.uri());
      if (exchange.body() != null) {
        request.setEntity(exchange.replayable()
            ? AsyncEntityProducers.create(exchange.body(), ContentType.TEXT_PLAIN)
            : new OneShotProducer(exchange.body()));
      }
      SimpleHttpResponse response;
      try {
        response = client.execute(request.build(), SimpleResponseConsumer.create(), null).get(10, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        throw (Exception) e.getCause();
      }
      return new Answer(response.getCode(), response.getBodyText() == null ? "" : response.getBodyText());
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
    public void close() throws Exception {
      keepers.close();
      client.close();
    }
  }
}
