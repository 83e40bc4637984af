package dev.tokenkeeper.httpclient5;

import dev.tokenkeeper.TokenIOException;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenPolicy;
import java.io.IOException;
import java.net.URI;
import java.util.concurrent.ExecutionException;
import org.apache.hc.client5.http.async.methods.SimpleHttpResponse;
import org.apache.hc.client5.http.async.methods.SimpleRequestBuilder;
import org.apache.hc.client5.http.async.methods.SimpleRequestProducer;
import org.apache.hc.client5.http.async.methods.SimpleResponseConsumer;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.core5.http.io.entity.EntityUtils;

/**
 * The README's Apache HttpClient 5 recipes, compiled with the tests and run by {@link RecipesTest}
 * so they cannot rot. The lines between {@code // --- README: <name> ---} and {@code // --- end ---} are what the README
 * shows; {@code keeper} is the one built in the README's quick start.
 */
final class Recipes {
  private Recipes() {}

  /** README, "Apache HttpClient 5", classic. */
  static String classic(TokenKeeper keeper, URI apiOrigin) throws IOException {
    // --- README: httpclient5 ---
    TokenPolicy policy = TokenPolicy.of(apiOrigin, keeper); // only this origin gets the token
    try (CloseableHttpClient client = TokenExecChainHandler.install(HttpClients.custom(), policy).build()) {
      return client.execute(new HttpGet(apiOrigin.resolve("/api/items")),
          response -> EntityUtils.toString(response.getEntity()));
    } catch (TokenIOException e) {
      if (e.isReauthenticationRequired()) {
        // the session is over: sign in again
      }
      throw e; // otherwise temporary: no token could be obtained in time
    }
    // --- end ---
  }

  /** README, "Apache HttpClient 5", async. */
  static String async(TokenKeeper keeper, URI apiOrigin) throws IOException, InterruptedException, ExecutionException {
    // --- README: httpclient5-async ---
    TokenPolicy policy = TokenPolicy.of(apiOrigin, keeper);
    try (CloseableHttpAsyncClient client =
        TokenAsyncExecChainHandler.install(HttpAsyncClients.custom(), policy).build()) {
      client.start();
      SimpleHttpResponse response = client.execute(
          SimpleRequestProducer.create(SimpleRequestBuilder.get(apiOrigin.resolve("/api/items")).build()),
          SimpleResponseConsumer.create(), null) // or a FutureCallback
          .get(); // a TokenIOException arrives as the ExecutionException's cause
      return response.getBodyText();
    }
    // --- end ---
  }
}
