package dev.tokenkeeper.httpclient5;

import dev.tokenkeeper.TokenIOException;
import dev.tokenkeeper.testing.AdapterConformanceSuite;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.http.io.entity.InputStreamEntity;
import org.apache.hc.core5.http.io.entity.StringEntity;
import org.apache.hc.core5.http.io.support.ClassicRequestBuilder;

/** {@link TokenExecChainHandler}, installed in a classic client, passes the adapter conformance suite. */
class TokenExecChainHandlerConformanceTest extends AdapterConformanceSuite {

  @Override
  protected AuthenticatedClient connect(Setup setup) {
    Keepers keepers = new Keepers(setup);
    return new Classic(TokenExecChainHandler.install(HttpClients.custom(), keepers.policy).build(), keepers);
  }

  @Override
  protected Class<? extends Exception> tokenFailureType() {
    return TokenIOException.class;
  }

  @Override
  protected boolean isReauthenticationRequired(Exception failure) {
    return ((TokenIOException) failure).isReauthenticationRequired();
  }

  private record Classic(CloseableHttpClient client, Keepers keepers) implements AuthenticatedClient {

    @Override
    public Answer send(Exchange exchange) throws Exception {
      ClassicRequestBuilder request = ClassicRequestBuilder.create(exchange.method()).setUri(exchange.uri());
      if (exchange.body() != null) {
        byte[] bytes = exchange.body().getBytes(StandardCharsets.UTF_8);
        request.setEntity(exchange.replayable()
            ? new StringEntity(exchange.body(), ContentType.TEXT_PLAIN)
            : new InputStreamEntity(new ByteArrayInputStream(bytes), bytes.length, ContentType.TEXT_PLAIN));
      }
      return client.execute(request.build(), response -> new Answer(response.getCode(),
          response.getEntity() == null ? "" : EntityUtils.toString(response.getEntity())));
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
