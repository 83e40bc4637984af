package dev.tokenkeeper;

import dev.tokenkeeper.internal.Challenges;
import dev.tokenkeeper.internal.HttpEndpoint;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Which requests carry which keeper's token, and which responses count as a rejected token: the
 * rules every HTTP adapter ({@link TokenHttpClient}, the OkHttp interceptor) applies the same way.
 *
 * <ul>
 *   <li>A token is attached only to requests whose origin (scheme, host, port) was allowed here;
 *       each origin has its own keeper (one client may call several APIs with different audiences or
 *       identities). A request to any other origin goes out untouched, without a token.
 *   <li>Plain {@code http} origins are refused, except loopback, unless {@link
 *       Builder#allowPlainHttp(boolean)}: a token sent in clear text is a token given away.
 *   <li>A response rejects the token when it is 401 and has no {@code WWW-Authenticate}, or one of
 *       its challenges is {@code Bearer} (or {@code DPoP}) with no error or {@code
 *       error="invalid_token"} ({@link #isTokenRejection}). A 401 that only challenges another
 *       scheme ({@code Basic}) is not a rejection: a new token cannot answer it. {@code 403
 *       insufficient_scope} is not one either: a new token would not have more scope.
 *   <li>On a rejection an adapter calls {@link TokenKeeper#invalidate}, takes the current token and
 *       retries once, only if the request body can be sent again; a second 401 goes back to the
 *       caller (and to {@link TokenKeeper#reportRejectedAfterRefresh}).
 *   <li>A redirect to another origin never carries the token. The token goes with the request the
 *       application addressed to an allowed origin, and with redirects while they stay on that
 *       origin; once a redirect leaves it, no later hop carries any token: not the first origin's,
 *       and not the token of the origin it leads to, even when that origin has a keeper here. A
 *       redirect is the server's word, not the application's: following it with another identity's
 *       token would let whoever controls a {@code Location} header spend that identity (a 307
 *       resends a POST body). Call the other origin directly to use its keeper.
 * </ul>
 *
 * <pre>{@code
 * TokenPolicy policy = TokenPolicy.newBuilder()
 *     .origin(URI.create("https://api.example.com"), ordersKeeper)
 *     .origin(URI.create("https://billing.example.com:8443"), billingKeeper)
 *     .build();
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class TokenPolicy {
  private final Map<String, TokenKeeper> keepers;

  private TokenPolicy(Map<String, TokenKeeper> keepers) {
    this.keepers = Map.copyOf(keepers);
  }

  /**
   * Returns a policy that sends {@code keeper}'s token to {@code origin} only.
   *
   * @throws IllegalArgumentException as {@link Builder#origin} does
   */
  public static TokenPolicy of(URI origin, TokenKeeper keeper) {
    return newBuilder().origin(origin, keeper).build();
  }

  /** Returns a builder with no origins. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** Returns the keeper whose token {@code uri} may carry, or {@code null}: send it untouched. */
  public @Nullable TokenKeeper keeperFor(URI uri) {
    String origin = originOf(uri);
    return origin == null ? null : keepers.get(origin);
  }

  /**
   * Returns {@code true} when a response with {@code status} and these {@code WWW-Authenticate}
   * field values rejects the token it carried: a 401 with no challenge at all, or with a {@code
   * Bearer} (or {@code DPoP}) challenge that names no error or {@code error="invalid_token"}.
   *
   * <p>A 401 whose challenges are all of other schemes ({@code Basic realm="…"}) asks for
   * credentials a new token cannot give, and one whose Bearer challenge names another error ({@code
   * invalid_request}) says the request is wrong, not the token: refreshing would only burn a refresh
   * (and rotate the refresh token) on every request. Several challenges in one value and in several
   * values, and quoted strings holding commas, are parsed as RFC 9110 section 11.6.1 says.
   *
   * @param status the response's status code
   * @param wwwAuthenticate every {@code WWW-Authenticate} field value of the response, in order
   * @return whether to invalidate the token and retry once
   */
  public static boolean isTokenRejection(int status, List<String> wwwAuthenticate) {
    if (status != 401) {
      return false;
    }
    if (wwwAuthenticate.stream().allMatch(String::isBlank)) {
      return true; // no challenge: nothing says the token is not the reason
    }
    for (Challenges.Challenge challenge : Challenges.parse(wwwAuthenticate)) {
      if (challenge.scheme().equals("bearer") || challenge.scheme().equals("dpop")) {
        String error = challenge.params().get("error");
        if (error == null || error.equalsIgnoreCase("invalid_token")) {
          return true;
        }
      }
    }
    return false;
  }

  /** Returns {@code true} when both URIs have the same scheme, host and (default-filled) port. */
  public static boolean sameOrigin(URI a, URI b) {
    String origin = originOf(a);
    return origin != null && origin.equals(originOf(b));
  }

  /** {@code scheme://host:port} in lower case with the default port filled in, or null. */
  static @Nullable String originOf(URI uri) {
    String scheme = uri.getScheme();
    String host = uri.getHost();
    if (scheme == null || host == null) {
      return null;
    }
    scheme = scheme.toLowerCase(Locale.ROOT);
    int port = uri.getPort();
    if (port == -1) {
      port = scheme.equals("https") ? 443 : scheme.equals("http") ? 80 : -1;
    }
    return scheme + "://" + host.toLowerCase(Locale.ROOT) + ":" + port;
  }

  @Override
  public String toString() {
    return "TokenPolicy" + keepers.keySet();
  }

  /** Builds a {@link TokenPolicy}. Not thread-safe. */
  public static final class Builder {
    private final Map<String, TokenKeeper> keepers = new LinkedHashMap<>();
    private final Map<String, URI> plainHttp = new LinkedHashMap<>();
    private boolean allowPlainHttp;

    private Builder() {}

    /**
     * Sends {@code keeper}'s token to requests for {@code origin}.
     *
     * @param origin {@code scheme://host[:port]}, without path, query or fragment
     * @throws IllegalArgumentException if {@code origin} is not an http(s) origin, has a path, or
     *     already has a keeper
     */
    public Builder origin(URI origin, TokenKeeper keeper) {
      Objects.requireNonNull(origin, "origin");
      Objects.requireNonNull(keeper, "keeper");
      String scheme = origin.getScheme() == null ? "" : origin.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("http") && !scheme.equals("https") || origin.getHost() == null) {
        throw new IllegalArgumentException("origin must be http(s)://host[:port]: " + origin);
      }
      if (origin.getRawPath() != null && !origin.getRawPath().isEmpty() && !origin.getRawPath().equals("/")
          || origin.getRawQuery() != null || origin.getRawFragment() != null || origin.getRawUserInfo() != null) {
        throw new IllegalArgumentException("an origin is scheme, host and port only; drop the rest of " + origin);
      }
      String key = originOf(origin);
      if (keepers.putIfAbsent(key, keeper) != null) {
        throw new IllegalArgumentException("origin " + key + " already has a keeper");
      }
      if (scheme.equals("http") && !HttpEndpoint.isLoopback(origin.getHost())) {
        plainHttp.put(key, origin);
      }
      return this;
    }

    /** Allows plain {@code http} origins that are not loopback. Their tokens travel in clear text. */
    public Builder allowPlainHttp(boolean allow) {
      this.allowPlainHttp = allow;
      return this;
    }

    /**
     * Builds the policy.
     *
     * @throws IllegalStateException if no origin was given
     * @throws IllegalArgumentException for a plain http origin that is not loopback, unless allowed
     */
    public TokenPolicy build() {
      if (keepers.isEmpty()) {
        throw new IllegalStateException("no origin: call origin(uri, keeper) at least once");
      }
      if (!allowPlainHttp && !plainHttp.isEmpty()) {
        throw new IllegalArgumentException("plain http origin " + plainHttp.values().iterator().next()
            + " is not loopback: its tokens would travel in clear text. Use https, or allowPlainHttp(true).");
      }
      return new TokenPolicy(keepers);
    }
  }
}
