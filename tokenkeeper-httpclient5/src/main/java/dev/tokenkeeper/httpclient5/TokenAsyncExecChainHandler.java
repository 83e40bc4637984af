package dev.tokenkeeper.httpclient5;

import dev.tokenkeeper.AccessToken;
import dev.tokenkeeper.TokenIOException;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenPolicy;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.apache.hc.client5.http.async.AsyncExecCallback;
import org.apache.hc.client5.http.async.AsyncExecChain;
import org.apache.hc.client5.http.async.AsyncExecChainHandler;
import org.apache.hc.client5.http.impl.ChainElement;
import org.apache.hc.client5.http.impl.async.HttpAsyncClientBuilder;
import org.apache.hc.core5.http.EntityDetails;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.nio.AsyncDataConsumer;
import org.apache.hc.core5.http.nio.AsyncEntityProducer;
import org.apache.hc.core5.http.support.BasicRequestBuilder;
import org.jspecify.annotations.Nullable;

/**
 * An Apache HttpClient 5 async exec-chain handler that sends every request to an allowed origin
 * with a valid token from its {@link TokenKeeper}, and refreshes and retries once when the server
 * rejects it, following the shared {@link TokenPolicy}; it never blocks a thread.
 *
 * <pre>{@code
 * TokenPolicy policy = TokenPolicy.of(URI.create("https://api.example.com"), keeper);
 * CloseableHttpAsyncClient client = TokenAsyncExecChainHandler.install(HttpAsyncClients.custom(), policy).build();
 * client.start();
 * client.execute(SimpleRequestBuilder.get("https://api.example.com/orders").build(), callback);
 * }</pre>
 *
 * <p>It follows the same rules, from the same place in the chain (just before {@link
 * ChainElement#PROTOCOL}, inside redirect and retry handling, so that every hop is checked), as
 * {@link TokenExecChainHandler}, whose Javadoc explains them. What differs:
 *
 * <ul>
 *   <li><b>No blocking.</b> The token comes from {@link TokenKeeper#tokenAsync()}; the hop is sent
 *       when that future completes: at once when the token is fresh, else on the keeper's executor
 *       once the refresh is done. An I/O reactor thread never waits for a refresh, so calls that
 *       need no refresh (other origins, other keepers) keep flowing meanwhile.
 *   <li><b>Rejections.</b> The body of a 401 that will be retried is discarded, the entity producer
 *       released, and the hop sent once more when the current token is at hand. An entity producer
 *       that is not {@linkplain AsyncEntityProducer#isRepeatable() repeatable} is never sent twice:
 *       its 401 goes to the caller (the keeper is still invalidated).
 *   <li><b>Failures</b> reach the caller's callback or future: {@link TokenIOException} when no
 *       token can be had, the keeper being closed included (the hop is not sent); an {@link
 *       InterruptedIOException} when the exchange was cancelled while it waited for a token.
 * </ul>
 *
 * <p>Immutable and thread-safe: share one instance, as the client is shared.
 */
public final class TokenAsyncExecChainHandler implements AsyncExecChainHandler {
  /** The name {@link #install} gives the handler in the exec chain. */
  public static final String NAME = "tokenkeeper";

  private final TokenPolicy policy;

  private TokenAsyncExecChainHandler(TokenPolicy policy) {
    this.policy = policy;
  }

  /**
   * Returns a handler applying {@code policy}. Prefer {@link #install}; to place it yourself, add it
   * with {@code addExecInterceptorBefore(ChainElement.PROTOCOL.name(), NAME, handler)}: anywhere
   * outside the client's redirect and retry handling it sees only the first hop.
   *
   * @param policy which origins get which keeper's token
   * @return a new handler; immutable and thread-safe
   * @throws NullPointerException if {@code policy} is null
   */
  public static TokenAsyncExecChainHandler of(TokenPolicy policy) {
    return new TokenAsyncExecChainHandler(Objects.requireNonNull(policy, "policy"));
  }

  /**
   * Adds a handler applying {@code policy} to {@code builder}, just before {@link
   * ChainElement#PROTOCOL}, where it sees every hop (redirects and the client's retries included).
   *
   * @param builder the application's client builder, with its own I/O reactor, pool, proxy and so on
   * @param policy which origins get which keeper's token
   * @return {@code builder}, for chaining
   * @throws NullPointerException if an argument is null
   */
  public static HttpAsyncClientBuilder install(HttpAsyncClientBuilder builder, TokenPolicy policy) {
    Objects.requireNonNull(builder, "builder");
    return builder.addExecInterceptorBefore(ChainElement.PROTOCOL.name(), NAME, of(policy));
  }

  /**
   * Sends the hop with a token if it may carry one, once the token is at hand, and sends it once
   * more with the current token if the server rejects it. Never blocks.
   *
   * @throws IOException as the rest of the chain throws it when the token is at hand at once;
   *     otherwise every failure goes to {@code callback}
   * @throws HttpException likewise
   */
  @Override
  public void execute(HttpRequest request, @Nullable AsyncEntityProducer producer, AsyncExecChain.Scope scope,
      AsyncExecChain chain, AsyncExecCallback callback) throws HttpException, IOException {
    TokenKeeper keeper = Hops.keeperForHop(policy, request, scope.route, scope.exchangeId, scope.clientContext);
    if (keeper == null) {
      chain.proceed(request, producer, scope, callback);
      return;
    }
    new Hop(request, producer, scope, chain, callback, keeper).start();
  }

  @Override
  public String toString() {
    return "TokenAsyncExecChainHandler[" + policy + "]";
  }

  /** One hop that carries a token: at most two sends. */
  private static final class Hop {
    private final HttpRequest request;
    private final @Nullable AsyncEntityProducer producer;
    private final AsyncExecChain.Scope scope;
    private final AsyncExecChain chain;
    private final AsyncExecCallback callback;
    private final TokenKeeper keeper;

    Hop(HttpRequest request, @Nullable AsyncEntityProducer producer, AsyncExecChain.Scope scope,
        AsyncExecChain chain, AsyncExecCallback callback, TokenKeeper keeper) {
      this.request = request;
      this.producer = producer;
      this.scope = scope;
      this.chain = chain;
      this.callback = callback;
      this.keeper = keeper;
    }

    void start() {
      sendWhenReady(tokenAsync(), false);
    }

    private CompletableFuture<AccessToken> tokenAsync() {
      try {
        return keeper.tokenAsync();
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e); // the keeper may refuse at once when closed
      }
    }

    /** Sends the hop when {@code token} completes, on the thread that completes it; never waits. */
    private void sendWhenReady(CompletableFuture<AccessToken> token, boolean retry) {
      token.whenComplete((t, failure) -> {
        if (failure != null) {
          TokenIOException translated = Hops.tokenFailure(failure);
          callback.failed(translated != null ? translated : asException(failure));
        } else if (scope.cancellableDependency.isCancelled()) {
          callback.failed(new InterruptedIOException("the exchange was cancelled while waiting for a token"));
        } else {
          try {
            send(t, retry);
          } catch (HttpException | IOException | RuntimeException e) {
            callback.failed(e);
          }
        }
      });
    }

    private void send(AccessToken token, boolean retry) throws HttpException, IOException {
      send(token, retry, false);
    }

    private void send(AccessToken token, boolean retry, boolean nonceRetried) throws HttpException, IOException {
      HttpRequest sent = BasicRequestBuilder.copy(request).build();
      Hops.authorize(sent, scope.route, keeper, token);
      chain.proceed(sent, producer, scope, new AsyncExecCallback() {
        private volatile boolean retrying;
        private volatile boolean nonceRetrying;

        @Override
        public @Nullable AsyncDataConsumer handleResponse(HttpResponse response, @Nullable EntityDetails details)
            throws HttpException, IOException {
          if (!nonceRetried && Hops.asksForNonce(request, scope.route, keeper, response)
              && (producer == null || producer.isRepeatable())) {
            nonceRetrying = true; // the same token once more, with a proof carrying the nonce
            return null;
          }
          if (Hops.rejected(response)) {
            if (retry) {
              keeper.reportRejectedAfterRefresh(token);
            } else {
              // Invalidate even when we cannot retry: the next request must not take the same bad token.
              keeper.invalidate(token);
              if (producer == null || producer.isRepeatable()) {
                retrying = true;
                return null; // the client discards the 401's body
              }
            }
          }
          return callback.handleResponse(response, details);
        }

        @Override
        public void handleInformationResponse(HttpResponse response) throws HttpException, IOException {
          callback.handleInformationResponse(response);
        }

        @Override
        public void completed() {
          if (nonceRetrying) {
            if (producer != null) {
              producer.releaseResources();
            }
            try {
              send(token, retry, true);
            } catch (HttpException | IOException | RuntimeException e) {
              callback.failed(e);
            }
            return;
          }
          if (!retrying) {
            callback.completed();
            return;
          }
          if (producer != null) {
            producer.releaseResources();
          }
          sendWhenReady(tokenAsync(), true);
        }

        @Override
        public void failed(Exception cause) {
          callback.failed(cause);
        }
      });
    }

    private static Exception asException(Throwable failure) {
      Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
          ? failure.getCause() : failure;
      if (cause instanceof Exception) {
        return (Exception) cause;
      }
      if (cause instanceof Error) {
        throw (Error) cause;
      }
      return new IllegalStateException(cause);
    }
  }
}
