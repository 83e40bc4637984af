package dev.tokenkeeper.okhttp;

import dev.tokenkeeper.AccessToken;
import dev.tokenkeeper.DPoP;
import okhttp3.HttpUrl;
import org.jspecify.annotations.Nullable;

/**
 * Request tag saying which token {@link TokenInterceptor} attached, and for which URL. OkHttp
 * copies tags onto its redirect follow-ups, so {@link RedirectGuard} can tell our header from the
 * caller's own and knows the origin it belongs to.
 *
 * <p>{@code toString} is the record's: it shows the {@link AccessToken}, whose own {@code toString}
 * shows a fingerprint, never the value (OkHttp prints tags in {@code Request.toString}).
 *
 * @param url the URL the token was attached for (kept as OkHttp's {@link HttpUrl}: no {@code URI}
 *     is built per request)
 * @param method the method of the request it was attached to
 * @param token the token whose header was attached
 * @param dpop the keeper's DPoP key when the request carries a proof, else null: a redirect on the
 *     same origin needs a proof of its own (another {@code htu}, maybe another {@code htm})
 */
record Attachment(HttpUrl url, String method, AccessToken token, @Nullable DPoP dpop) {

  /** Returns {@code true} when {@code header} is the Authorization header this token produced. */
  boolean isOurs(String header) {
    return token.authorizationHeader().equals(header);
  }

  /** Returns {@code true} when {@code request} carries, among its Authorization headers, the one this token produced. */
  boolean carriedBy(okhttp3.Request request) {
    okhttp3.Headers headers = request.headers();
    for (int i = 0, n = headers.size(); i < n; i++) {
      if (headers.name(i).equalsIgnoreCase("Authorization") && isOurs(headers.value(i))) {
        return true;
      }
    }
    return false;
  }
}
