/**
 * OkHttp 5 integration: every request to an allowed origin leaves with a valid token from its
 * {@link dev.tokenkeeper.TokenKeeper}, a rejected token is refreshed and the request retried once,
 * and no redirect carries a token to another origin.
 *
 * <pre>{@code
 * TokenPolicy policy = TokenPolicy.of(URI.create("https://api.example.com"), keeper);
 * OkHttpClient client = TokenInterceptor.install(new OkHttpClient.Builder(), policy).build();
 * }</pre>
 *
 * <p>Start with {@link dev.tokenkeeper.okhttp.TokenInterceptor}; it explains why the work is done by
 * an application interceptor rather than an {@link okhttp3.Authenticator}. OkHttp is a {@code
 * provided} dependency: bring your own OkHttp 5 ({@code com.squareup.okhttp3:okhttp-jvm}).
 */
@NullMarked
package dev.tokenkeeper.okhttp;

import org.jspecify.annotations.NullMarked;
