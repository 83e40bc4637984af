/**
 * Apache HttpClient 5 integration, classic and async: every request to an allowed origin leaves
 * with a valid token from its {@link dev.tokenkeeper.TokenKeeper}, a rejected token is refreshed
 * and the request retried once, and no redirect carries a token to another origin.
 *
 * <pre>{@code
 * TokenPolicy policy = TokenPolicy.of(URI.create("https://api.example.com"), keeper);
 * CloseableHttpClient client = TokenExecChainHandler.install(HttpClients.custom(), policy).build();
 * CloseableHttpAsyncClient async = TokenAsyncExecChainHandler.install(HttpAsyncClients.custom(), policy).build();
 * }</pre>
 *
 * <p>Start with {@link dev.tokenkeeper.httpclient5.TokenExecChainHandler}; it explains where in
 * the exec chain the handler goes, and why. HttpClient is a {@code provided} dependency: bring your
 * own {@code org.apache.httpcomponents.client5:httpclient5}, 5.3 or later (the build runs the
 * conformance suite on 5.3 and on 5.6.5).
 */
@NullMarked
package dev.tokenkeeper.httpclient5;

import org.jspecify.annotations.NullMarked;
