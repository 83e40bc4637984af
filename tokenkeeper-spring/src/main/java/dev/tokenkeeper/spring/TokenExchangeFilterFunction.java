package dev.tokenkeeper.spring;

import dev.tokenkeeper.AccessToken;
import dev.tokenkeeper.DPoP;
import dev.tokenkeeper.TokenIOException;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenPolicy;
import java.net.URI;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.client.ClientRequest;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.ExchangeFilterFunction;
import org.springframework.web.reactive.function.client.ExchangeFunction;
import org.springframework.web.reactive.function.client.WebClientRequestException;
import reactor.core.publisher.Mono;

/**
 * An {@link ExchangeFilterFunction} for {@code WebClient} that sends every request to an allowed
 * origin with a valid token from its {@link TokenKeeper}, and refreshes and retries once when the
 * server rejects it, following the shared {@link TokenPolicy}. It never blocks a thread: it waits
 * for a token with {@link TokenKeeper#tokenAsync()}.
 *
 * <pre>{@code
 * TokenPolicy policy = TokenPolicy.of(URI.create("https://api.example.com"), keeper);
 * WebClient client = WebClient.builder().filter(TokenExchangeFilterFunction.of(policy)).build();
 *
 * Mono<String> orders = client.get().uri("https://api.example.com/orders")
 *     .retrieve().bodyToMono(String.class)
 *     .onErrorResume(WebClientRequestException.class, e ->
 *         e.getCause() instanceof TokenIOException t && t.isReauthenticationRequired()
 *             ? signInAgain() : Mono.error(e));
 * }</pre>
 *
 * <h2>What it does with each request</h2>
 * <ul>
 *   <li>A request carries a token when its origin has a keeper in the policy and the application
 *       did not set {@code Authorization} itself; otherwise it is passed on untouched.
 *   <li>When the token arrives it sends a copy of the request with {@code Authorization: Bearer …}.
 *   <li>When the answer is a token rejection ({@link TokenPolicy#isTokenRejection}), it calls {@link
 *       TokenKeeper#invalidate}, releases that answer's body, and once the current token is there it
 *       sends the request once more: the copy re-runs the request's body inserter, so a body given as
 *       a value ({@code bodyValue}) or a cold publisher is sent again whole. A body publisher that can
 *       be subscribed only once must say so with the attribute {@link #NO_RETRY} set to {@code
 *       true}: then the 401 goes back to the caller (the keeper still learns that the token is bad).
 *       A second 401 goes back to the caller too, and is reported with {@link
 *       TokenKeeper#reportRejectedAfterRefresh}.
 *   <li><b>Redirects:</b> it follows the redirects of the requests it sends a token with (301, 302,
 *       303, 307, 308; up to 20), hop by hop: hops on the first request's origin carry its token;
 *       once a hop leaves that origin, no later hop carries any token, not back on the first origin,
 *       and not to another origin that has a keeper in the policy. 303, and 301/302 after a POST,
 *       continue as a GET without body. The connector must not follow redirects itself (Spring's
 *       {@code JdkClientHttpConnector} and Reactor Netty's client do not, unless told to). {@link
 *       #withMaxRedirects withMaxRedirects(0)} hands every 3xx back to the caller instead.
 * </ul>
 *
 * <h2>Failures</h2>
 * When no token can be had, the keeper being closed included, the request is not sent and the
 * exchange fails with a {@link WebClientRequestException} whose cause is a {@link TokenIOException}
 * ({@link TokenIOException#isReauthenticationRequired()} tells a session that is over from a
 * temporary failure), as a request that could not be sent fails in {@code WebClient}.
 *
 * <p>Immutable and thread-safe: share one instance, as the client is shared.
 */
public final class TokenExchangeFilterFunction implements ExchangeFilterFunction {
  /**
   * The request attribute that, set to {@code true}, says the request must not be sent a second
   * time after a token rejection (its body publisher can be subscribed only once): the 401 goes back
   * to the caller.
   */
  public static final String NO_RETRY = TokenClientHttpRequestInterceptor.NO_RETRY;

  private final TokenPolicy policy;
  private final int maxRedirects;

  private TokenExchangeFilterFunction(TokenPolicy policy, int maxRedirects) {
    this.policy = policy;
    this.maxRedirects = maxRedirects;
  }

  /**
   * Returns a filter applying {@code policy}, following up to 20 redirects of the requests it sends
   * a token with.
   *
   * @param policy which origins get which keeper's token
   * @return a new filter; immutable and thread-safe
   * @throws NullPointerException if {@code policy} is null
   */
  public static TokenExchangeFilterFunction of(TokenPolicy policy) {
    return new TokenExchangeFilterFunction(Objects.requireNonNull(policy, "policy"), Redirects.MAX);
  }

  /**
   * Returns a copy that follows at most {@code maxRedirects} redirects of the requests it sends a
   * token with; 0 hands every redirect back to the caller.
   *
   * @throws IllegalArgumentException if {@code maxRedirects} is negative
   */
  public TokenExchangeFilterFunction withMaxRedirects(int maxRedirects) {
    if (maxRedirects < 0) {
      throw new IllegalArgumentException("maxRedirects must be 0 (do not follow) or more: " + maxRedirects);
    }
    return new TokenExchangeFilterFunction(policy, maxRedirects);
  }

  /**
   * Sends the request with a token if it may carry one, once more with the current token if the
   * server rejects it, and follows its redirects. Never blocks.
   *
   * @return the answer; fails with {@link WebClientRequestException} (cause {@link
   *     TokenIOException}) when no token could be obtained
   */
  @Override
  public Mono<ClientResponse> filter(ClientRequest request, ExchangeFunction next) {
    TokenKeeper keeper = request.headers().containsHeader(HttpHeaders.AUTHORIZATION)
        ? null : policy.keeperFor(request.url());
    if (keeper == null) {
      return next.exchange(request);
    }
    return hop(request, request.url(), keeper, next, 0);
  }

  /** Sends one hop ({@code keeper} null once the exchange has left {@code first}) and follows its redirect. */
  private Mono<ClientResponse> hop(ClientRequest request, URI first, @Nullable TokenKeeper keeper,
      ExchangeFunction next, int redirects) {
    Mono<ClientResponse> sent = keeper == null ? next.exchange(request) : sendWithToken(request, keeper, next);
    if (redirects >= maxRedirects) {
      return sent;
    }
    return sent.flatMap(response -> {
      int status = response.statusCode().value();
      URI target = Redirects.target(status, response.headers().asHttpHeaders(), request.url());
      if (target == null) {
        return Mono.just(response);
      }
      ClientRequest redirected = redirect(request, status, target);
      TokenKeeper stays = keeper != null && TokenPolicy.sameOrigin(first, target) ? keeper : null;
      return response.releaseBody().then(Mono.defer(() -> hop(redirected, first, stays, next, redirects + 1)));
    });
  }

  private static Mono<ClientResponse> sendWithToken(ClientRequest request, TokenKeeper keeper, ExchangeFunction next) {
    boolean mayResend = !Boolean.TRUE.equals(request.attribute(NO_RETRY).orElse(null));
    return token(request, keeper).flatMap(sent -> next.exchange(withToken(request, keeper, sent))
        .flatMap(response -> mayResend && asksForNonce(request, keeper, response)
            // a DPoP nonce challenge: the same token once more, with a proof carrying the nonce
            ? response.releaseBody().then(Mono.defer(() -> next.exchange(withToken(request, keeper, sent))))
            : Mono.just(response))
        .flatMap(response -> {
      if (!rejected(response)) {
        return Mono.just(response);
      }
      // Invalidate even when we do not retry: the next request must not take the same bad token.
      keeper.invalidate(sent);
      if (Boolean.TRUE.equals(request.attribute(NO_RETRY).orElse(null))) {
        return Mono.just(response);
      }
      return response.releaseBody()
          .then(token(request, keeper))
          .flatMap(current -> next.exchange(withToken(request, keeper, current)).doOnNext(retried -> {
            if (rejected(retried)) {
              keeper.reportRejectedAfterRefresh(current);
            }
          }));
    }));
  }

  /** The keeper's token, without blocking; its failures as {@code WebClient} reports a request not sent. */
  private static Mono<AccessToken> token(ClientRequest request, TokenKeeper keeper) {
    // suppressCancel: a caller that gives up must not cancel anything of the keeper's.
    return Mono.fromFuture(keeper::tokenAsync, true).onErrorMap(e -> Redirects.tokenFailure(e) != null,
        e -> new WebClientRequestException(Objects.requireNonNull(Redirects.tokenFailure(e)),
            request.method(), request.url(), request.headers()));
  }

  private static ClientRequest withToken(ClientRequest request, TokenKeeper keeper, AccessToken token) {
    DPoP dpop = keeper.dpop();
    return ClientRequest.from(request)
        .headers(h -> {
          h.set(HttpHeaders.AUTHORIZATION, token.authorizationHeader());
          if (dpop != null) {
            h.set("DPoP", dpop.proof(request.method().name(), request.url(), token));
          }
        })
        .build();
  }

  /** A DPoP origin's {@code use_dpop_nonce} answer (the nonce learned): sent once more, not a rejection. */
  private static boolean asksForNonce(ClientRequest request, TokenKeeper keeper, ClientResponse response) {
    DPoP dpop = keeper.dpop();
    return dpop != null && dpop.learnNonce(request.url(), response.statusCode().value(),
        response.headers().header(HttpHeaders.WWW_AUTHENTICATE),
        response.headers().asHttpHeaders().getFirst("DPoP-Nonce"));
  }

  private static ClientRequest redirect(ClientRequest request, int status, URI target) {
    ClientRequest.Builder next = ClientRequest.from(request).url(target);
    if (!Redirects.keepsMethod(status, request.method())) {
      next.method(HttpMethod.GET).body(BodyInserters.empty()).headers(Redirects::dropBodyHeaders);
    }
    return next.build();
  }

  private static boolean rejected(ClientResponse response) {
    return TokenPolicy.isTokenRejection(response.statusCode().value(),
        response.headers().header(HttpHeaders.WWW_AUTHENTICATE));
  }

  @Override
  public String toString() {
    return "TokenExchangeFilterFunction[" + policy + "]";
  }
}
