package dev.tokenkeeper.httpclient5;

import dev.tokenkeeper.AccessToken;
import dev.tokenkeeper.DPoP;
import dev.tokenkeeper.TokenException;
import dev.tokenkeeper.TokenIOException;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenPolicy;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.apache.hc.client5.http.HttpRoute;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.net.URIAuthority;
import org.jspecify.annotations.Nullable;

/**
 * The decisions the classic and the async handler share: which hop of an exchange carries which
 * keeper's token, and which answer rejects it. Stateless; the per-exchange memory is a {@link
 * Trail} kept in the exchange's {@link HttpContext}.
 */
final class Hops {
  static final String AUTHORIZATION = "Authorization";
  static final String DPOP = "DPoP";
  /** The context attribute holding the exchange's {@link Trail}. */
  static final String TRAIL = "dev.tokenkeeper.httpclient5.trail";

  private Hops() {}

  /**
   * What the handler remembers of one exchange (one {@code execute} call) across its hops: the
   * exchange's id, the origin the application addressed (scheme, host, port as the request or
   * route gives them: compared with {@link TokenPolicy#sameOrigin(String, String, int, String,
   * String, int)}, no URI is built), the keeper of that origin (null when it has none or the
   * application set its own {@code Authorization}), and whether a hop has left that origin.
   * Immutable: each hop stores a new one.
   */
  record Trail(String exchangeId, String scheme, String host, int port, @Nullable TokenKeeper keeper,
      boolean left) {}

  /**
   * Records the hop about to be sent and returns the keeper whose token it carries, or null. The
   * first hop of an exchange (a new exchange id) starts a new trail; every later hop (a redirect,
   * or the client's own retry) carries the token only while no hop has left the first origin.
   */
  static @Nullable TokenKeeper keeperForHop(TokenPolicy policy, HttpRequest request, HttpRoute route,
      String exchangeId, HttpContext context) {
    HttpHost target = route.getTargetHost();
    String scheme = request.getScheme() != null ? request.getScheme() : target.getSchemeName();
    URIAuthority authority = request.getAuthority();
    String host = authority != null ? authority.getHostName() : target.getHostName();
    int port = authority != null ? authority.getPort() : target.getPort();
    boolean own = request.containsHeader(AUTHORIZATION);
    Object stored = context.getAttribute(TRAIL);
    Trail trail;
    if (stored instanceof Trail && ((Trail) stored).exchangeId().equals(exchangeId)) {
      Trail previous = (Trail) stored;
      trail = new Trail(exchangeId, previous.scheme(), previous.host(), previous.port(), previous.keeper(),
          previous.left() || !TokenPolicy.sameOrigin(previous.scheme(), previous.host(), previous.port(),
              scheme, host, port));
    } else {
      TokenKeeper keeper = own ? null : policy.keeperFor(scheme, host, port);
      trail = new Trail(exchangeId, scheme, host, port, keeper, false);
    }
    context.setAttribute(TRAIL, trail);
    // A caller's own Authorization (copied onto redirects by the client) is never replaced.
    return trail.left() || own ? null : trail.keeper();
  }

  /**
   * {@code scheme://host:port} of the request: its own scheme and authority, or the route's target
   * for a request that names none (the client fills them in the same way further down the chain).
   */
  static URI originOf(HttpRequest request, HttpRoute route) {
    HttpHost target = route.getTargetHost();
    String scheme = request.getScheme() != null ? request.getScheme() : target.getSchemeName();
    URIAuthority authority = request.getAuthority();
    String host = authority != null ? authority.getHostName() : target.getHostName();
    int port = authority != null ? authority.getPort() : target.getPort();
    try {
      return new URI(scheme, null, host, port, null, null, null);
    } catch (URISyntaxException e) {
      // Not an origin any policy can hold: such a request never carries a token.
      return URI.create("invalid:origin");
    }
  }

  /**
   * Sets the token on {@code request} (a copy the handler owns): {@code Authorization}, and with a
   * DPoP keeper a {@code DPoP} proof made for this hop's method and URI.
   */
  static void authorize(HttpRequest request, HttpRoute route, TokenKeeper keeper, AccessToken token) {
    request.setHeader(AUTHORIZATION, token.authorizationHeader());
    DPoP dpop = keeper.dpop();
    if (dpop != null) {
      request.setHeader(DPOP, dpop.proof(request.getMethod(), uriOf(request, route), token));
    }
  }

  /**
   * True when a DPoP keeper's origin answered {@code use_dpop_nonce} with a nonce (learned here):
   * the hop is sent once more with the same token and a new proof; not a rejection.
   */
  static boolean asksForNonce(HttpRequest request, HttpRoute route, TokenKeeper keeper, HttpResponse response) {
    DPoP dpop = keeper.dpop();
    if (dpop == null) {
      return false;
    }
    Header nonce = response.getFirstHeader("DPoP-Nonce");
    return dpop.learnNonce(uriOf(request, route), response.getCode(), challenges(response),
        nonce == null ? null : nonce.getValue());
  }

  /** The hop's absolute URI: its origin ({@link #originOf}) and its path. */
  static URI uriOf(HttpRequest request, HttpRoute route) {
    String path = request.getPath() == null || request.getPath().isEmpty() ? "/" : request.getPath();
    return URI.create(originOf(request, route) + (path.startsWith("/") ? path : "/" + path));
  }

  private static List<String> challenges(HttpResponse response) {
    Header[] headers = response.getHeaders("WWW-Authenticate");
    List<String> values = new ArrayList<>(headers.length);
    for (Header h : headers) {
      values.add(h.getValue() == null ? "" : h.getValue());
    }
    return values;
  }

  /** True when {@code response} rejects the token its request carried ({@link TokenPolicy#isTokenRejection}). */
  static boolean rejected(HttpResponse response) {
    if (response.getCode() != 401) {
      return false; // isTokenRejection's first rule, checked before the header list is built
    }
    Header[] headers = response.getHeaders("WWW-Authenticate");
    List<String> values = new ArrayList<>(headers.length);
    for (Header h : headers) {
      values.add(h.getValue() == null ? "" : h.getValue());
    }
    return TokenPolicy.isTokenRejection(response.getCode(), values);
  }

  /** {@code failure} of a token call as the adapter reports it, or null when it is not the keeper's. */
  static @Nullable TokenIOException tokenFailure(Throwable failure) {
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null
        ? failure.getCause() : failure;
    if (cause instanceof TokenException) {
      return new TokenIOException((TokenException) cause);
    }
    if (cause instanceof IllegalStateException) {
      // Not what a TokenKeeper throws (a closed one throws TokenKeeperClosedException): a custom
      // keeper's bug, still reported as the adapter's documented failure.
      return new TokenIOException(dev.tokenkeeper.TokenRefreshException.refreshFailed(null, cause));
    }
    return null;
  }
}
