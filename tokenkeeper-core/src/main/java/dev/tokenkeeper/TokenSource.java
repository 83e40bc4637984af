package dev.tokenkeeper;

import java.io.IOException;

/**
 * Obtains a new token: calls a token endpoint with the current refresh token, a client credential
 * or a login.
 *
 * <p>Built in: {@link OAuth2TokenEndpoint} (RFC 6749 grants) and {@link JsonTokenEndpoint} (custom
 * JSON APIs such as {@code POST /auth/refresh}). Any lambda works too:
 *
 * <pre>{@code
 * TokenSource source = request -> {
 *   MyTokens t = myAuthApi.refresh(request.refreshToken().value());
 *   return TokenResponse.bearer(t.accessToken()).withRefreshToken(t.refreshToken());
 * };
 * }</pre>
 *
 * <p>The keeper calls a source from one thread at a time (single-flight) and never from a thread of
 * the application's HTTP client. A source must call its endpoint with a plain HTTP client, never
 * through a client that the keeper authenticates, or a refresh would recurse into itself.
 *
 * <p><b>Failures decide what happens next.</b> Throw {@link TokenEndpointException#rejected} when
 * the server refused the credentials (for example {@code invalid_grant}): the keeper ends the
 * session after re-reading its store. Any other exception, including {@link IOException}, is
 * treated as temporary: the keeper keeps serving a still-valid token and retries with backoff.
 */
@FunctionalInterface
public interface TokenSource {

  /**
   * Obtains a new token.
   *
   * @param request the current refresh token and the reason for the call
   * @return the endpoint's answer
   * @throws TokenEndpointException when the endpoint answered with an error
   * @throws IOException when the endpoint could not be reached or answered nonsense (temporary)
   * @throws InterruptedException when the keeper is closed during the call
   */
  TokenResponse fetch(TokenRequest request) throws IOException, InterruptedException;
}
