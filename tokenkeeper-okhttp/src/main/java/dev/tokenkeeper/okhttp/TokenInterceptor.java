package dev.tokenkeeper.okhttp;

import dev.tokenkeeper.AccessToken;
import dev.tokenkeeper.DPoP;
import dev.tokenkeeper.TokenException;
import dev.tokenkeeper.TokenIOException;
import dev.tokenkeeper.TokenInterruptedException;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenPolicy;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.Objects;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * An OkHttp application interceptor that sends every request to an allowed origin with a valid
 * token from its {@link TokenKeeper}, and refreshes and retries once when the server rejects it,
 * following the shared {@link TokenPolicy}.
 *
 * <pre>{@code
 * TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.clientCredentials()).build();
 * TokenPolicy policy = TokenPolicy.of(URI.create("https://api.example.com"), keeper);
 * OkHttpClient client = TokenInterceptor.install(new OkHttpClient.Builder(), policy).build();
 *
 * try (Response response = client.newCall(new Request.Builder()
 *     .url("https://api.example.com/orders").build()).execute()) {
 *   ...
 * } catch (TokenIOException e) {
 *   if (e.isReauthenticationRequired()) {
 *     // the session is over: sign in again
 *   }
 * }
 * }</pre>
 *
 * <h2>What it does with each call</h2>
 * <ul>
 *   <li>A request whose origin has no keeper in the policy, or that already carries its own
 *       {@code Authorization} header, is passed on untouched, and its 401s are the caller's.
 *   <li>Otherwise it takes {@link TokenKeeper#token()} (waiting if the token has expired, up to the
 *       keeper's default timeout) and sends the request with {@code Authorization: Bearer …}; with a
 *       {@linkplain TokenKeeper#dpop() DPoP key}, {@code Authorization: DPoP …} and a {@code DPoP}
 *       header holding a proof made for this request. A 401 {@code use_dpop_nonce} challenge with a
 *       {@code DPoP-Nonce} is answered once with a proof carrying that nonce ({@link DPoP#learnNonce}).
 *   <li>When the answer is a token rejection ({@link TokenPolicy#isTokenRejection}: a 401 whose
 *       {@code WWW-Authenticate} names no other error; never a {@code 403 insufficient_scope}) to
 *       the very request that carried that token, it calls {@link TokenKeeper#invalidate}, takes
 *       the current token (a new one, or the newer one another request already obtained when this
 *       401 arrived late) and sends the request once more. Not when the body is {@linkplain
 *       RequestBody#isOneShot() one-shot} or duplex: then the 401 goes back to the caller, and the
 *       keeper has still learned that the token is bad. A second 401 goes back to the caller too,
 *       and is reported with {@link TokenKeeper#reportRejectedAfterRefresh}. The first response is
 *       closed before the retry.
 * </ul>
 *
 * <h2>Why an application interceptor, not an {@link okhttp3.Authenticator}</h2>
 * OkHttp calls an {@code Authenticator} from inside its follow-up loop, for every 401 of the call,
 * whatever origin a redirect led to, and gives it only the response: which of our tokens was sent
 * (if any) must be guessed back from the header, "retry once" must be counted through {@code
 * priorResponse()}, a chain that redirects lengthen too (get it wrong and OkHttp loops up to its 20
 * follow-ups), and a client has a single authenticator slot, which the application may already use.
 * An application interceptor sees each call exactly once and may call {@code proceed} again: the
 * token sent is a local variable, "once" is two calls to {@code proceed} at most, and the retry
 * replays the caller's original request, redirects included. It also waits for a refresh
 * <em>before</em> OkHttp picks a connection, where a network interceptor would hold a connection
 * open while it waits.
 *
 * <h2>Redirects</h2>
 * OkHttp follows redirects inside {@code chain.proceed}, out of this interceptor's sight. OkHttp
 * 5.5.1 drops {@code Authorization} from a follow-up whose scheme, host or port differs from the
 * previous request's, so the token does not follow a redirect to another origin, and a 401 from
 * there is not taken for a rejection of our token (the request that got it did not carry it). So
 * that this does not rest on OkHttp alone, {@link #install} also adds {@link #redirectGuard()}, a
 * network interceptor that strips our token from any request leaving for another origin than the
 * one it was attached for. A redirect to another origin goes without a token even when that origin
 * has a keeper of its own.
 *
 * <h2>Failures</h2>
 * When no token can be had, the keeper being closed included, the call fails with {@link
 * TokenIOException} (an {@link IOException},
 * as OkHttp's callers expect; {@link TokenIOException#isReauthenticationRequired()} tells a session
 * that is over from a temporary failure) and nothing is sent. An interrupted wait fails with {@link
 * InterruptedIOException}, the thread's interrupt flag set. OkHttp's call timeout and {@code
 * Call.cancel()} do not cut a wait for a refresh short: the keeper's own timeout bounds it. With
 * {@code enqueue}, the wait happens on OkHttp's dispatcher thread.
 *
 * <p>Immutable and thread-safe: share one instance, as OkHttp shares its client.
 */
public final class TokenInterceptor implements Interceptor {
  private static final String AUTHORIZATION = "Authorization";
  private static final String DPOP = "DPoP";

  private final TokenPolicy policy;

  private TokenInterceptor(TokenPolicy policy) {
    this.policy = policy;
  }

  /**
   * Returns an interceptor applying {@code policy}. Add it with {@link
   * OkHttpClient.Builder#addInterceptor} (not {@code addNetworkInterceptor}), and preferably add
   * {@link #redirectGuard()} too, or use {@link #install}, which does both.
   *
   * @param policy which origins get which keeper's token
   * @return a new interceptor; immutable and thread-safe
   */
  public static TokenInterceptor of(TokenPolicy policy) {
    return new TokenInterceptor(Objects.requireNonNull(policy, "policy"));
  }

  /**
   * Adds an interceptor applying {@code policy} to {@code builder} as an application interceptor,
   * and the {@link #redirectGuard()} as a network interceptor. Application interceptors
   * added before this call see requests without the token, those added after see them with it.
   *
   * @param builder the application's client builder, with its own timeouts, pool, proxy and so on
   * @param policy which origins get which keeper's token
   * @return {@code builder}, for chaining
   */
  public static OkHttpClient.Builder install(OkHttpClient.Builder builder, TokenPolicy policy) {
    Objects.requireNonNull(builder, "builder");
    return builder.addInterceptor(of(policy)).addNetworkInterceptor(redirectGuard());
  }

  /**
   * Returns the network interceptor that removes a token this class attached from any request about
   * to be sent to another origin than the one it was attached for (a redirect). Headers the
   * application set itself are never touched. Stateless and thread-safe; add it with {@link
   * OkHttpClient.Builder#addNetworkInterceptor}.
   *
   * @return the guard, one shared instance
   */
  public static Interceptor redirectGuard() {
    return RedirectGuard.INSTANCE;
  }

  /**
   * Sends the request with a token if its origin is allowed, and retries once with the current
   * token if the server rejects it.
   *
   * @throws TokenIOException when no token could be obtained, the keeper being closed included; the
   *     request was not sent (or, on a rejection, not sent again)
   * @throws InterruptedIOException when the thread was interrupted while waiting for a token
   * @throws IOException as {@code chain.proceed} throws it
   * @throws IllegalStateException when added as a network interceptor
   */
  @Override
  public Response intercept(Chain chain) throws IOException {
    if (chain.connection() != null) {
      throw new IllegalStateException("TokenInterceptor is an application interceptor: add it with "
          + "addInterceptor(), or use TokenInterceptor.install(builder, policy)");
    }
    Request request = chain.request();
    HttpUrl url = request.url();
    // The origin from HttpUrl's parts: no URI is built on the normal path (B3, issue 15).
    TokenKeeper keeper = request.header(AUTHORIZATION) == null
        ? policy.keeperFor(url.scheme(), url.host(), url.port()) : null;
    if (keeper == null) {
      return chain.proceed(request); // not ours: no token, and its 401s are the caller's
    }
    AccessToken sent = token(keeper);
    Response response = chain.proceed(authorize(request, url, keeper, sent));
    if (asksForNonce(response, url, keeper, sent) && replayable(request.body())) {
      response.close();
      response = chain.proceed(authorize(request, url, keeper, sent)); // same token, new proof with the nonce
    }
    if (!rejected(response, url, sent)) {
      return response;
    }
    // Invalidate even when we cannot retry: the next request must not take the same bad token.
    keeper.invalidate(sent);
    if (!replayable(request.body())) {
      return response;
    }
    AccessToken current;
    try {
      current = token(keeper);
    } finally {
      response.close(); // frees the connection for the retry, or for others if there is none
    }
    Response retried = chain.proceed(authorize(request, url, keeper, current));
    if (rejected(retried, url, current)) {
      keeper.reportRejectedAfterRefresh(current);
    }
    return retried;
  }

  @Override
  public String toString() {
    return "TokenInterceptor[" + policy + "]";
  }

  /** The caller's request with the token: one builder, one new request (the caller's is unchanged). */
  private static Request authorize(Request request, HttpUrl url, TokenKeeper keeper, AccessToken token) {
    DPoP dpop = keeper.dpop();
    Request.Builder authorized = request.newBuilder()
        .header(AUTHORIZATION, token.authorizationHeader())
        .tag(Attachment.class, new Attachment(url, request.method(), token, dpop));
    if (dpop != null) {
      authorized.header(DPOP, dpop.proof(request.method(), url.uri(), token));
    }
    return authorized.build();
  }

  /** Same scheme, host and port. {@code HttpUrl} holds them canonical: lower case, port filled in. */
  static boolean sameOrigin(HttpUrl a, HttpUrl b) {
    return TokenPolicy.sameOrigin(a.scheme(), a.host(), a.port(), b.scheme(), b.host(), b.port());
  }

  /**
   * A DPoP origin's answer, to the request that carried {@code token}, asking for it again with the
   * nonce it sent (learned here): not a rejection, so it is sent once more with a new proof.
   */
  private static boolean asksForNonce(Response response, HttpUrl url, TokenKeeper keeper, AccessToken token) {
    DPoP dpop = keeper.dpop();
    if (dpop == null) {
      return false;
    }
    Request last = response.request();
    return token.authorizationHeader().equals(last.header(AUTHORIZATION))
        && sameOrigin(url, last.url())
        && dpop.learnNonce(last.url().uri(), response.code(), response.headers("WWW-Authenticate"),
            response.header("DPoP-Nonce"));
  }

  /**
   * True when the server rejected {@code token}: a rejection status, answered to a request that
   * still carried it. After a redirect to another origin the token was not sent, so that origin's
   * 401 says nothing about it.
   */
  private static boolean rejected(Response response, HttpUrl url, AccessToken token) {
    if (response.code() != 401) {
      return false; // isTokenRejection's first rule, checked before any header list is built
    }
    Request last = response.request();
    return token.authorizationHeader().equals(last.header(AUTHORIZATION))
        && sameOrigin(url, last.url())
        && TokenPolicy.isTokenRejection(response.code(), response.headers("WWW-Authenticate"));
  }

  private static boolean replayable(@Nullable RequestBody body) {
    return body == null || !body.isOneShot() && !body.isDuplex();
  }

  private static AccessToken token(TokenKeeper keeper) throws IOException {
    try {
      return keeper.token();
    } catch (TokenInterruptedException e) {
      // The keeper has set the interrupt flag again; OkHttp's callers expect this type.
      InterruptedIOException interrupted = new InterruptedIOException(e.getMessage());
      interrupted.initCause(e);
      throw interrupted;
    } catch (TokenException e) {
      throw new TokenIOException(e); // a closed keeper too: TokenKeeperClosedException, KEEPER_CLOSED
    }
  }
}
