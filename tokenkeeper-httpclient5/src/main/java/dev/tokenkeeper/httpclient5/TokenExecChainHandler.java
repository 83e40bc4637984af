package dev.tokenkeeper.httpclient5;

import dev.tokenkeeper.AccessToken;
import dev.tokenkeeper.TokenIOException;
import dev.tokenkeeper.TokenInterruptedException;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenPolicy;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.Objects;
import org.apache.hc.client5.http.classic.ExecChain;
import org.apache.hc.client5.http.classic.ExecChainHandler;
import org.apache.hc.client5.http.impl.ChainElement;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.io.entity.EntityUtils;

/**
 * An Apache HttpClient 5 (classic) exec-chain handler that sends every request to an allowed origin
 * with a valid token from its {@link TokenKeeper}, and refreshes and retries once when the server
 * rejects it, following the shared {@link TokenPolicy}.
 *
 * <pre>{@code
 * TokenPolicy policy = TokenPolicy.of(URI.create("https://api.example.com"), keeper);
 * CloseableHttpClient client = TokenExecChainHandler.install(HttpClients.custom(), policy).build();
 *
 * try {
 *   String body = client.execute(new HttpGet("https://api.example.com/orders"),
 *       response -> EntityUtils.toString(response.getEntity()));
 * } catch (TokenIOException e) {
 *   if (e.isReauthenticationRequired()) {
 *     // the session is over: sign in again
 *   }
 * }
 * }</pre>
 *
 * <h2>Where it sits in the chain, and why</h2>
 * {@link #install} adds it just before {@link ChainElement#PROTOCOL}: inside the client's redirect
 * and retry handling, so it sees every hop of an exchange. Put first in the chain (with {@code
 * addExecInterceptorFirst}) it would see only the request the application passed: {@code
 * RedirectExec} builds each redirect, and {@code HttpRequestRetryExec} each retry, from the
 * exchange's original request, so a header added outside them is gone on the next hop, and nobody
 * would check that hop against the policy. {@code PROTOCOL} is in every client a builder makes,
 * whatever redirect and retry settings it has.
 *
 * <h2>What it does with each hop</h2>
 * <ul>
 *   <li>The first hop of an exchange carries a token when its origin has a keeper in the policy and
 *       the application did not set {@code Authorization} itself; otherwise the exchange is passed
 *       on untouched and its 401s are the caller's.
 *   <li>A redirect carries the token while it stays on the first hop's origin. Once a hop leaves
 *       that origin, no later hop of the exchange carries any token: not back on the first origin,
 *       and not to another origin that has a keeper in the policy (call it directly to use that
 *       keeper). The client's own retries (I/O errors, 503 with {@code Retry-After}) are hops too.
 *   <li>It takes {@link TokenKeeper#token()} (waiting, on the calling thread, if the token has
 *       expired, up to the keeper's default timeout) and sends the hop with {@code Authorization:
 *       Bearer …}. It sets the header on the request the chain handed it (the client's own copy of
 *       the application's request, never the application's object) and puts that request's
 *       headers back as they were before it returns.
 *   <li>When the answer is a token rejection ({@link TokenPolicy#isTokenRejection}), it calls {@link
 *       TokenKeeper#invalidate}, consumes and closes that answer, takes the current token and sends
 *       the hop once more. Not when the request entity is not {@linkplain HttpEntity#isRepeatable()
 *       repeatable}: then the 401 goes back to the caller, and the keeper has still learned that the
 *       token is bad. A second 401 goes back to the caller too, and is reported with {@link
 *       TokenKeeper#reportRejectedAfterRefresh}.
 * </ul>
 * The handler remembers an exchange's first origin in the {@link
 * org.apache.hc.core5.http.protocol.HttpContext} of the call, under an attribute keyed by the
 * exchange id; a context may be reused for later calls, but, as HttpClient requires, not by two
 * calls at once.
 *
 * <h2>Failures</h2>
 * When no token can be had, the keeper being closed included, the call fails with {@link
 * TokenIOException} (an {@link IOException}; {@link TokenIOException#isReauthenticationRequired()}
 * tells a session that is over from a temporary failure) and the hop is not sent. An interrupted
 * wait fails with {@link InterruptedIOException}, the thread's interrupt flag set.
 *
 * <p>Immutable and thread-safe: share one instance, as the client is shared.
 */
public final class TokenExecChainHandler implements ExecChainHandler {
  /** The name {@link #install} gives the handler in the exec chain. */
  public static final String NAME = "tokenkeeper";

  private final TokenPolicy policy;

  private TokenExecChainHandler(TokenPolicy policy) {
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
  public static TokenExecChainHandler of(TokenPolicy policy) {
    return new TokenExecChainHandler(Objects.requireNonNull(policy, "policy"));
  }

  /**
   * Adds a handler applying {@code policy} to {@code builder}, just before {@link
   * ChainElement#PROTOCOL}, where it sees every hop (redirects and the client's retries included).
   *
   * @param builder the application's client builder, with its own timeouts, pool, proxy and so on
   * @param policy which origins get which keeper's token
   * @return {@code builder}, for chaining
   * @throws NullPointerException if an argument is null
   */
  public static HttpClientBuilder install(HttpClientBuilder builder, TokenPolicy policy) {
    Objects.requireNonNull(builder, "builder");
    return builder.addExecInterceptorBefore(ChainElement.PROTOCOL.name(), NAME, of(policy));
  }

  /**
   * Sends the hop with a token if it may carry one, and sends it once more with the current token
   * if the server rejects it.
   *
   * @throws TokenIOException when no token could be obtained, the keeper being closed included; the
   *     hop was not sent (or, on a rejection, not sent again)
   * @throws InterruptedIOException when the thread was interrupted while waiting for a token
   * @throws IOException as the rest of the chain throws it
   * @throws HttpException as the rest of the chain throws it
   */
  @Override
  public ClassicHttpResponse execute(ClassicHttpRequest request, ExecChain.Scope scope, ExecChain chain)
      throws IOException, HttpException {
    TokenKeeper keeper = Hops.keeperForHop(policy, request, scope.route, scope.exchangeId, scope.clientContext);
    if (keeper == null) {
      return chain.proceed(request, scope);
    }
    AccessToken sent = token(keeper);
    // The token goes on the request the chain handed us, not on a copy (B3, issue 15): the chain
    // owns it. InternalHttpClient passes down a copy of the caller's request (ClassicRequestBuilder
    // .copy), and RedirectExec and HttpRequestRetryExec build every later hop afresh from the
    // exchange's original request (httpclient5 5.6), so the caller's object never sees the token.
    // The elements below add headers to the request they send (MainClientExec's protocol
    // interceptors: Host, Content-Length, cookies, user agent; RequestContent refuses a request that
    // already has Content-Length), so its headers are saved here and put back before every second
    // send and when this handler returns, whichever way: each send starts from the headers the hop
    // came with, and an element above that looks at, or sends again, the request it passed down
    // finds it as it was, without our token.
    Header[] given = request.getHeaders();
    try {
      Hops.authorize(request, scope.route, keeper, sent);
      ClassicHttpResponse response = chain.proceed(request, scope);
      if (Hops.asksForNonce(request, scope.route, keeper, response)
          && (request.getEntity() == null || request.getEntity().isRepeatable())) {
        try {
          EntityUtils.consume(response.getEntity());
        } finally {
          response.close();
        }
        response = chain.proceed(authorizeAgain(request, given, scope, keeper, sent), scope); // a new proof, with the nonce
      }
      if (!Hops.rejected(response)) {
        return response;
      }
      // Invalidate even when we cannot retry: the next request must not take the same bad token.
      keeper.invalidate(sent);
      HttpEntity entity = request.getEntity();
      if (entity != null && !entity.isRepeatable()) {
        return response;
      }
      // Release the connection before waiting for a token: the retry (or another call) needs one.
      try {
        EntityUtils.consume(response.getEntity());
      } finally {
        response.close();
      }
      AccessToken current = token(keeper);
      ClassicHttpResponse retried = chain.proceed(authorizeAgain(request, given, scope, keeper, current), scope);
      if (Hops.rejected(retried)) {
        keeper.reportRejectedAfterRefresh(current);
      }
      return retried;
    } finally {
      request.setHeaders(given);
    }
  }

  /** The hop's own headers back (what the chain below added is gone), and {@code token} on them. */
  private static ClassicHttpRequest authorizeAgain(ClassicHttpRequest request, Header[] given, ExecChain.Scope scope,
      TokenKeeper keeper, AccessToken token) {
    request.setHeaders(given);
    Hops.authorize(request, scope.route, keeper, token);
    return request;
  }

  @Override
  public String toString() {
    return "TokenExecChainHandler[" + policy + "]";
  }

  private static AccessToken token(TokenKeeper keeper) throws IOException {
    try {
      return keeper.token();
    } catch (TokenInterruptedException e) {
      // The keeper has set the interrupt flag again; HttpClient's callers expect this type.
      InterruptedIOException interrupted = new InterruptedIOException(e.getMessage());
      interrupted.initCause(e);
      throw interrupted;
    } catch (RuntimeException e) {
      TokenIOException failure = Hops.tokenFailure(e);
      if (failure == null) {
        throw e;
      }
      throw failure;
    }
  }
}
