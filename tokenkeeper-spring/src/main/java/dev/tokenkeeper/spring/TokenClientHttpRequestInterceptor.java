package dev.tokenkeeper.spring;

import dev.tokenkeeper.AccessToken;
import dev.tokenkeeper.DPoP;
import dev.tokenkeeper.TokenIOException;
import dev.tokenkeeper.TokenInterruptedException;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenPolicy;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpRequest;
import org.springframework.http.client.ClientHttpRequestExecution;
import org.springframework.http.client.ClientHttpRequestInterceptor;
import org.springframework.http.client.ClientHttpResponse;

/**
 * A {@link ClientHttpRequestInterceptor} for {@code RestClient} and {@code RestTemplate} that sends
 * every request to an allowed origin with a valid token from its {@link TokenKeeper}, and refreshes
 * and retries once when the server rejects it, following the shared {@link TokenPolicy}.
 *
 * <pre>{@code
 * TokenPolicy policy = TokenPolicy.of(URI.create("https://api.example.com"), keeper);
 * RestClient client = RestClient.builder()
 *     .requestInterceptor(TokenClientHttpRequestInterceptor.of(policy))
 *     .build();
 *
 * try {
 *   String orders = client.get().uri("https://api.example.com/orders").retrieve().body(String.class);
 * } catch (ResourceAccessException e) {
 *   if (e.getCause() instanceof TokenIOException t && t.isReauthenticationRequired()) {
 *     // the session is over: sign in again
 *   }
 * }
 * }</pre>
 *
 * <h2>What it does with each request</h2>
 * <ul>
 *   <li>A request carries a token when its origin has a keeper in the policy and the application
 *       did not set {@code Authorization} itself; otherwise it is passed on untouched and its 401s
 *       are the caller's.
 *   <li>It takes {@link TokenKeeper#token()} (waiting, on the calling thread, if the token has
 *       expired, up to the keeper's default timeout) and sends the request with {@code
 *       Authorization: Bearer …}; the request it was given is not changed.
 *   <li>When the answer is a token rejection ({@link TokenPolicy#isTokenRejection}), it calls {@link
 *       TokenKeeper#invalidate}, closes that answer, takes the current token and sends the request
 *       once more, whatever its method: Spring hands interceptors the body as a {@code byte[]}, so
 *       a POST or PUT is sent again whole. A second 401 goes back to the caller, and is reported with
 *       {@link TokenKeeper#reportRejectedAfterRefresh}. A request with the attribute {@link
 *       #NO_RETRY} set to {@code true} is not sent again (the keeper still learns that the token is
 *       bad).
 *   <li><b>Redirects:</b> it follows the redirects of the requests it sends a token with (301, 302,
 *       303, 307, 308; up to {@value Redirects#MAX}), hop by hop, so that it decides for each hop:
 *       hops on the first request's origin carry its token; once a hop leaves that origin, no later
 *       hop carries any token, not back on the first origin, and not to another origin that has a
 *       keeper in the policy. 303, and 301/302 after a POST, continue as a GET without body. For
 *       this to hold, <b>the request factory must not follow redirects itself</b> (one that does
 *       sends whatever headers it chooses: the JDK's {@code HttpClient} forwards {@code
 *       Authorization} across origins): {@code JdkClientHttpRequestFactory} over an {@code
 *       HttpClient} with {@code Redirect.NEVER} (what {@code new JdkClientHttpRequestFactory()}
 *       makes), or Spring Boot's {@code spring.http.clients.redirects=dont-follow}. {@link
 *       #withMaxRedirects withMaxRedirects(0)} hands every 3xx back to the caller instead.
 * </ul>
 *
 * <h2>Failures</h2>
 * When no token can be had, the keeper being closed included, the request is not sent and the
 * interceptor throws {@link TokenIOException} ({@link TokenIOException#isReauthenticationRequired()}
 * tells a session that is over from a temporary failure); {@code RestClient} and {@code
 * RestTemplate} report it as a {@code ResourceAccessException} whose cause it is. An interrupted
 * wait throws {@link InterruptedIOException}, the thread's interrupt flag set.
 *
 * <p>Immutable and thread-safe: share one instance, as the client is shared.
 */
public final class TokenClientHttpRequestInterceptor implements ClientHttpRequestInterceptor {
  /**
   * The request attribute that, set to {@code true}, says the request must not be sent a second
   * time after a token rejection: the 401 goes back to the caller.
   * ({@code restClient.post().attribute(TokenClientHttpRequestInterceptor.NO_RETRY, true)…})
   */
  public static final String NO_RETRY = "dev.tokenkeeper.spring.noRetry";

  private final TokenPolicy policy;
  private final int maxRedirects;

  private TokenClientHttpRequestInterceptor(TokenPolicy policy, int maxRedirects) {
    this.policy = policy;
    this.maxRedirects = maxRedirects;
  }

  /**
   * Returns an interceptor applying {@code policy}, following up to {@value Redirects#MAX} redirects
   * of the requests it sends a token with.
   *
   * @param policy which origins get which keeper's token
   * @return a new interceptor; immutable and thread-safe
   * @throws NullPointerException if {@code policy} is null
   */
  public static TokenClientHttpRequestInterceptor of(TokenPolicy policy) {
    return new TokenClientHttpRequestInterceptor(Objects.requireNonNull(policy, "policy"), Redirects.MAX);
  }

  /**
   * Returns a copy that follows at most {@code maxRedirects} redirects of the requests it sends a
   * token with; 0 hands every redirect back to the caller.
   *
   * @throws IllegalArgumentException if {@code maxRedirects} is negative
   */
  public TokenClientHttpRequestInterceptor withMaxRedirects(int maxRedirects) {
    if (maxRedirects < 0) {
      throw new IllegalArgumentException("maxRedirects must be 0 (do not follow) or more: " + maxRedirects);
    }
    return new TokenClientHttpRequestInterceptor(policy, maxRedirects);
  }

  /**
   * Sends the request with a token if it may carry one, sends it once more with the current token if
   * the server rejects it, and follows its redirects.
   *
   * @throws TokenIOException when no token could be obtained, the keeper being closed included; the
   *     request was not sent (or, on a rejection, not sent again)
   * @throws InterruptedIOException when the thread was interrupted while waiting for a token
   * @throws IOException as the rest of the chain throws it
   */
  @Override
  public ClientHttpResponse intercept(HttpRequest request, byte[] body, ClientHttpRequestExecution execution)
      throws IOException {
    TokenKeeper keeper = request.getHeaders().containsHeader(HttpHeaders.AUTHORIZATION)
        ? null : policy.keeperFor(request.getURI());
    if (keeper == null) {
      return execution.execute(request, body);
    }
    URI first = request.getURI();
    // The request's own headers, not a copy: only the requests each hop sends (copies) go further
    // down, so nothing changes these while this call lasts.
    Hop hop = new Hop(request, request.getMethod(), first, request.getHeaders(), body);
    // Null once a hop has left the first origin: no later hop carries any token.
    TokenKeeper hopKeeper = keeper;
    for (int redirects = 0; ; redirects++) {
      ClientHttpResponse response = hopKeeper == null
          ? execution.execute(hop.request(null, null), hop.body) : sendWithToken(hop, hopKeeper, execution);
      if (redirects >= maxRedirects) {
        return response;
      }
      int status = response.getStatusCode().value();
      URI target = Redirects.target(status, response.getHeaders(), hop.uri);
      if (target == null) {
        return response;
      }
      response.close();
      hop = hop.redirect(status, target);
      if (!TokenPolicy.sameOrigin(first, target)) {
        hopKeeper = null;
      }
    }
  }

  private ClientHttpResponse sendWithToken(Hop hop, TokenKeeper keeper, ClientHttpRequestExecution execution)
      throws IOException {
    AccessToken sent = token(keeper);
    ClientHttpResponse response = execution.execute(hop.request(keeper, sent), hop.body);
    if (asksForNonce(hop, keeper, response) && !Boolean.TRUE.equals(hop.original.getAttributes().get(NO_RETRY))) {
      response.close();
      response = execution.execute(hop.request(keeper, sent), hop.body); // a new proof, with the nonce
    }
    if (!rejected(response)) {
      return response;
    }
    // Invalidate even when we do not retry: the next request must not take the same bad token.
    keeper.invalidate(sent);
    if (Boolean.TRUE.equals(hop.original.getAttributes().get(NO_RETRY))) {
      return response;
    }
    // Release the connection before waiting for a token: the retry (or another call) needs one.
    response.close();
    AccessToken current = token(keeper);
    ClientHttpResponse retried = execution.execute(hop.request(keeper, current), hop.body);
    if (rejected(retried)) {
      keeper.reportRejectedAfterRefresh(current);
    }
    return retried;
  }

  /** A DPoP origin's {@code use_dpop_nonce} answer (the nonce learned): sent once more, not a rejection. */
  private static boolean asksForNonce(Hop hop, TokenKeeper keeper, ClientHttpResponse response) throws IOException {
    DPoP dpop = keeper.dpop();
    return dpop != null && dpop.learnNonce(hop.uri, response.getStatusCode().value(),
        response.getHeaders().getOrEmpty(HttpHeaders.WWW_AUTHENTICATE), response.getHeaders().getFirst("DPoP-Nonce"));
  }

  private static boolean rejected(ClientHttpResponse response) throws IOException {
    return response.getStatusCode().value() == 401 && TokenPolicy.isTokenRejection(response.getStatusCode().value(),
        response.getHeaders().getOrEmpty(HttpHeaders.WWW_AUTHENTICATE));
  }

  private static AccessToken token(TokenKeeper keeper) throws IOException {
    try {
      return keeper.token();
    } catch (TokenInterruptedException e) {
      // The keeper has set the interrupt flag again; blocking Spring clients expect this type.
      InterruptedIOException interrupted = new InterruptedIOException(e.getMessage());
      interrupted.initCause(e);
      throw interrupted;
    } catch (RuntimeException e) {
      TokenIOException failure = Redirects.tokenFailure(e);
      if (failure == null) {
        throw e;
      }
      throw failure;
    }
  }

  @Override
  public String toString() {
    return "TokenClientHttpRequestInterceptor[" + policy + "]";
  }

  /** One hop of an exchange: method, URI, headers (never our token) and body. Immutable. */
  private static final class Hop {
    private final HttpRequest original;
    private final HttpMethod method;
    private final URI uri;
    private final HttpHeaders headers;
    private final byte[] body;

    Hop(HttpRequest original, HttpMethod method, URI uri, HttpHeaders headers, byte[] body) {
      this.original = original;
      this.method = method;
      this.uri = uri;
      this.headers = headers; // never changed here: each send and each redirect works on a copy
      this.body = body;
    }

    Hop redirect(int status, URI target) {
      if (Redirects.keepsMethod(status, method)) {
        return new Hop(original, method, target, headers, body);
      }
      HttpHeaders get = HttpHeaders.copyOf(headers);
      Redirects.dropBodyHeaders(get);
      return new Hop(original, HttpMethod.GET, target, get, new byte[0]);
    }

    /**
     * The request to send for this hop, with {@code Authorization: Bearer …} when {@code token} is
     * not null. Its headers are a copy each time: interceptors further down may change them.
     */
    HttpRequest request(@Nullable TokenKeeper keeper, @Nullable AccessToken token) {
      HttpHeaders sent = HttpHeaders.copyOf(headers);
      if (token != null) {
        sent.set(HttpHeaders.AUTHORIZATION, token.authorizationHeader());
        DPoP dpop = keeper == null ? null : keeper.dpop();
        if (dpop != null) {
          sent.set("DPoP", dpop.proof(method.name(), uri, token)); // this hop's own method and URI
        }
      }
      return new HttpRequest() {
        @Override
        public HttpMethod getMethod() {
          return method;
        }

        @Override
        public URI getURI() {
          return uri;
        }

        @Override
        public Map<String, Object> getAttributes() {
          return original.getAttributes();
        }

        @Override
        public HttpHeaders getHeaders() {
          return sent;
        }
      };
    }
  }
}
