package dev.tokenkeeper.okhttp;

import java.io.IOException;
import okhttp3.HttpUrl;
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
 * set is never touched. With DPoP, the {@code DPoP} proof goes with the token; a redirect on the
 * same origin gets a new proof for its own method and URI. Stateless and thread-safe.
 */
final class RedirectGuard implements Interceptor {
  static final RedirectGuard INSTANCE = new RedirectGuard();

  private RedirectGuard() {}

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    Attachment attached = request.tag(Attachment.class);
    if (attached != null && attached.carriedBy(request)) {
      HttpUrl url = request.url();
      if (!TokenInterceptor.sameOrigin(attached.url(), url)) {
        Request.Builder stripped = request.newBuilder().removeHeader("Authorization");
        if (attached.dpop() != null) {
          stripped.removeHeader("DPoP");
        }
        request = stripped.build();
      } else if (attached.dpop() != null
          && (!url.equals(attached.url()) || !request.method().equals(attached.method()))) {
        // A redirect on the same origin: the proof made for the first URL would be refused here.
        request = request.newBuilder()
            .header("DPoP", attached.dpop().proof(request.method(), url.uri(), attached.token())).build();
      }
    }
    return chain.proceed(request);
  }

  @Override
  public String toString() {
    return "TokenInterceptor.redirectGuard()";
  }
}
