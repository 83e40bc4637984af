package dev.tokenkeeper.okhttp;

import dev.tokenkeeper.TokenPolicy;
import java.io.IOException;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Network interceptor that removes the token {@link TokenInterceptor} attached from any request
 * that is about to leave for another origin than the one it was attached for.
 *
 * <p>OkHttp 5.5.1 already drops {@code Authorization} when it follows a redirect to another scheme,
 * host or port ({@code RetryAndFollowUpInterceptor} via {@code canReuseConnectionFor}). This guard
 * does not trust that: it holds whatever follows redirects (another OkHttp version, an application
 * interceptor that re-issues requests itself) to the same rule, on the wire. A header the caller
 * set is never touched. Stateless and thread-safe.
 */
final class RedirectGuard implements Interceptor {
  static final RedirectGuard INSTANCE = new RedirectGuard();

  private RedirectGuard() {}

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    Attachment attached = request.tag(Attachment.class);
    if (attached != null
        && request.headers("Authorization").stream().anyMatch(attached::isOurs)
        && !TokenPolicy.sameOrigin(attached.uri(), request.url().uri())) {
      request = request.newBuilder().removeHeader("Authorization").build();
    }
    return chain.proceed(request);
  }

  @Override
  public String toString() {
    return "TokenInterceptor.redirectGuard()";
  }
}
