package dev.tokenkeeper.spring;

import dev.tokenkeeper.TokenException;
import dev.tokenkeeper.TokenIOException;
import dev.tokenkeeper.TokenRefreshException;
import java.net.URI;
import java.util.concurrent.CompletionException;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;

/**
 * The redirect rules both adapters share: which answers are redirects they follow, where to, and
 * with which method. The token rule itself (a hop carries the token only while the exchange has not
 * left the first origin) is applied by the adapters. Stateless.
 */
final class Redirects {
  /** How many redirects an exchange follows before the last 3xx goes back to the caller. */
  static final int MAX = 20;

  private Redirects() {}

  /**
   * The target of a redirect answer, resolved against the hop's URI, or null when {@code status} is
   * not a redirect the adapters follow (301, 302, 303, 307, 308 with a {@code Location}).
   */
  static @Nullable URI target(int status, HttpHeaders headers, URI hop) {
    if (status != 301 && status != 302 && status != 303 && status != 307 && status != 308) {
      return null;
    }
    String location = headers.getFirst(HttpHeaders.LOCATION);
    if (location == null || location.isBlank()) {
      return null;
    }
    try {
      URI target = hop.resolve(URI.create(location.trim()));
      String scheme = target.getScheme();
      return scheme != null && (scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
          && target.getHost() != null ? target : null;
    } catch (IllegalArgumentException e) {
      return null; // a Location that is not a URI: the caller gets the 3xx as it is
    }
  }

  /**
   * Whether the redirect keeps method and body: 307 and 308 always; 301 and 302 for every method
   * but POST; 303 only for HEAD. Otherwise the next hop is a GET without body, as browsers and the
   * JDK's own client do.
   */
  static boolean keepsMethod(int status, HttpMethod method) {
    if (status == 307 || status == 308) {
      return true;
    }
    if (status == 303) {
      return method.equals(HttpMethod.HEAD);
    }
    return !method.equals(HttpMethod.POST);
  }

  /** Drops the headers that describe a body, for a hop sent without one. */
  static void dropBodyHeaders(HttpHeaders headers) {
    headers.remove(HttpHeaders.CONTENT_TYPE);
    headers.remove(HttpHeaders.CONTENT_LENGTH);
    headers.remove(HttpHeaders.CONTENT_ENCODING);
    headers.remove(HttpHeaders.TRANSFER_ENCODING);
  }

  /** A failure of the keeper as the adapters report it, or null when it is not the keeper's. */
  static @Nullable TokenIOException tokenFailure(Throwable failure) {
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null
        ? failure.getCause() : failure;
    if (cause instanceof TokenException) {
      return new TokenIOException((TokenException) cause);
    }
    if (cause instanceof IllegalStateException) {
      // Not what a TokenKeeper throws (a closed one throws TokenKeeperClosedException): still
      // reported as the adapters' documented failure.
      return new TokenIOException(TokenRefreshException.refreshFailed(null, cause));
    }
    return null;
  }
}
