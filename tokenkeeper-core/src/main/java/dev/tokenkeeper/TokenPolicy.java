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
  /** Up to this many origins, {@link #keeperFor(String, String, int)} compares them one by one. */
  private static final int LINEAR_LOOKUP_MAX = 8;

  private final Map<String, TokenKeeper> keepers;
  /**
   * The same origins as {@link #keepers}, for the per-request lookup: lower-case scheme and host
   * (as {@link URI#getHost()} gives it, an IPv6 literal in brackets), explicit port. Compared
   * field by field, so that finding a request's keeper allocates nothing.
   */
  private final String[] schemes;
  private final String[] hosts;
  private final int[] ports;
  private final TokenKeeper[] keeperArray;

  private TokenPolicy(Map<String, TokenKeeper> keepers, Map<String, URI> origins) {
    this.keepers = Map.copyOf(keepers);
    int n = keepers.size();
    schemes = new String[n];
    hosts = new String[n];
    ports = new int[n];
    keeperArray = new TokenKeeper[n];
    int i = 0;
    for (Map.Entry<String, TokenKeeper> e : keepers.entrySet()) {
      URI origin = origins.get(e.getKey());
      schemes[i] = origin.getScheme().toLowerCase(Locale.ROOT);
      hosts[i] = origin.getHost().toLowerCase(Locale.ROOT);
      ports[i] = effectivePort(schemes[i], origin.getPort());
      keeperArray[i] = e.getValue();
      i++;
    }
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
    String scheme = uri.getScheme();
    String host = uri.getHost();
    return scheme == null || host == null ? null : keeperFor(scheme, host, uri.getPort());
  }

  /**
   * Returns the keeper whose token a request for this origin may carry, or {@code null}: send it
   * untouched. The same rule as {@link #keeperFor(URI)}, for clients that hold a request's URL in
   * parts (OkHttp's {@code HttpUrl}, Apache's {@code HttpHost}): no {@link URI} needs to be built,
   * and the lookup allocates nothing.
   *
   * <p>Thread-safe.
   *
   * @param scheme the request's scheme, any case ({@code "https"})
   * @param host the request's host, any case; an IPv6 literal with or without its brackets ({@code
   *     "::1"} or {@code "[::1]"}), in the same textual form as the origin given to the builder
   * @param port the request's port, or {@code -1} for the scheme's default (443 for https, 80 for
   *     http)
   * @return the origin's keeper, or {@code null} when the policy names no such origin
   * @throws NullPointerException if {@code scheme} or {@code host} is null
   */
  public @Nullable TokenKeeper keeperFor(String scheme, String host, int port) {
    Objects.requireNonNull(scheme, "scheme");
    Objects.requireNonNull(host, "host");
    int effective = effectivePort(scheme, port);
    if (schemes.length > LINEAR_LOOKUP_MAX) {
      // Many origins: one string per request buys a hash lookup instead of a long scan.
      String bare = bracketed(host) || host.indexOf(':') < 0 ? host : "[" + host + "]";
      return keepers.get(scheme.toLowerCase(Locale.ROOT) + "://" + bare.toLowerCase(Locale.ROOT) + ":" + effective);
    }
    for (int i = 0; i < schemes.length; i++) {
      if (ports[i] == effective && schemes[i].length() == scheme.length()
          && asciiEqualIgnoringCase(schemes[i], 0, scheme, 0, scheme.length()) && sameHost(hosts[i], host)) {
        return keeperArray[i];
      }
    }
    return null;
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
    String aScheme = a.getScheme();
    String aHost = a.getHost();
    String bScheme = b.getScheme();
    String bHost = b.getHost();
    return aScheme != null && aHost != null && bScheme != null && bHost != null
        && sameOrigin(aScheme, aHost, a.getPort(), bScheme, bHost, b.getPort());
  }

  /**
   * Returns {@code true} when two origins given in parts are the same: schemes and hosts equal
   * ignoring case, an IPv6 host with or without its brackets, and ports equal once a {@code -1} is
   * replaced by the scheme's default (443 for https, 80 for http). Allocates nothing: for adapters
   * that hold URLs in parts ({@link #keeperFor(String, String, int)} says why).
   *
   * @param scheme the first origin's scheme
   * @param host the first origin's host
   * @param port the first origin's port, or {@code -1} for the scheme's default
   * @param otherScheme the second origin's scheme
   * @param otherHost the second origin's host
   * @param otherPort the second origin's port, or {@code -1} for the scheme's default
   * @return whether both are one origin
   * @throws NullPointerException if a scheme or host is null
   */
  public static boolean sameOrigin(String scheme, String host, int port, String otherScheme, String otherHost,
      int otherPort) {
    return effectivePort(scheme, port) == effectivePort(otherScheme, otherPort)
        && scheme.length() == otherScheme.length()
        && asciiEqualIgnoringCase(scheme, 0, otherScheme, 0, scheme.length()) && sameHost(host, otherHost);
  }

  /** The port, or the scheme's default when it is -1 (-1 for a scheme with none). */
  private static int effectivePort(String scheme, int port) {
    if (port != -1) {
      return port;
    }
    return isScheme(scheme, "https") ? 443 : isScheme(scheme, "http") ? 80 : -1;
  }

  private static boolean isScheme(String scheme, String lowerCase) {
    return scheme.length() == lowerCase.length()
        && asciiEqualIgnoringCase(scheme, 0, lowerCase, 0, lowerCase.length());
  }

  /**
   * Whether the regions are equal, ignoring the case of ASCII letters only. {@link
   * String#equalsIgnoreCase} also folds non-ASCII letters onto ASCII ones ({@code ı} U+0131 and
   * {@code ſ} U+017F match {@code i} and {@code s}), which would let a look-alike host name such
   * as {@code apı.example.com} pass for {@code api.example.com}; host names compared here are
   * ASCII (punycode), so any other character must be identical.
   */
  private static boolean asciiEqualIgnoringCase(String a, int aFrom, String b, int bFrom, int length) {
    for (int i = 0; i < length; i++) {
      char x = a.charAt(aFrom + i);
      char y = b.charAt(bFrom + i);
      if (x == y) {
        continue;
      }
      if (x > 0x7F || y > 0x7F) {
        return false;
      }
      if (x >= 'A' && x <= 'Z') {
        x += 'a' - 'A';
      }
      if (y >= 'A' && y <= 'Z') {
        y += 'a' - 'A';
      }
      if (x != y) {
        return false;
      }
    }
    return true;
  }

  /** Hosts equal ignoring ASCII case, an IPv6 literal's brackets ignored on either side. */
  private static boolean sameHost(String a, String b) {
    int aFrom = bracketed(a) ? 1 : 0;
    int bFrom = bracketed(b) ? 1 : 0;
    int length = a.length() - 2 * aFrom;
    return length == b.length() - 2 * bFrom && asciiEqualIgnoringCase(a, aFrom, b, bFrom, length);
  }

  private static boolean bracketed(String host) {
    return host.length() >= 2 && host.charAt(0) == '[' && host.charAt(host.length() - 1) == ']';
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
    private final Map<String, URI> origins = new LinkedHashMap<>();
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
      origins.put(key, origin);
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
      return new TokenPolicy(keepers, origins);
    }
  }
}
