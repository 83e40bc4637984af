package dev.tokenkeeper.okhttp;

import dev.tokenkeeper.AccessToken;
import java.net.URI;

/**
 * Request tag saying which token {@link TokenInterceptor} attached, and for which URI. OkHttp
 * copies tags onto its redirect follow-ups, so {@link RedirectGuard} can tell our header from the
 * caller's own and knows the origin it belongs to.
 *
 * <p>{@code toString} is the record's: it shows the {@link AccessToken}, whose own {@code toString}
 * shows a fingerprint, never the value (OkHttp prints tags in {@code Request.toString}).
 *
 * @param uri the URI the token was attached for
 * @param token the token whose header was attached
 */
record Attachment(URI uri, AccessToken token) {

  /** Returns {@code true} when {@code header} is the Authorization header this token produced. */
  boolean isOurs(String header) {
    return token.authorizationHeader().equals(header);
  }
}
