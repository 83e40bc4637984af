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
 * session after re-reading its store, unless the source {@linkplain #usesConfiguredCredentials()
 * obtains every token from configured credentials}, in which case the refusal is a {@link
 * CredentialsRejectedException} retried with a long backoff. Any other exception, including {@link
 * IOException}, is treated as temporary: the keeper keeps serving a still-valid token and retries
 * with backoff. Each call is bounded by the keeper's {@linkplain
 * TokenKeeper.Builder#attemptTimeout attempt timeout}: a source that does not return in time is
 * abandoned and the next attempt starts after backoff.
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

  /**
   * Returns {@code true} when this source obtains every token from credentials the application
   * configured (a client id and secret, a signing key, an API key) rather than from a user's
   * session. A refusal by the endpoint then never ends a session, since no user could sign in
   * again: it is a {@link CredentialsRejectedException}, retried with a long capped backoff, and the
   * keeper recovers by itself once the endpoint accepts the credentials.
   *
   * <p>{@link OAuth2TokenEndpoint#clientCredentials()} and {@link OAuth2TokenEndpoint#grant} say
   * {@code true}; the default is {@code false}. Mark a lambda with {@link
   * #usingConfiguredCredentials(TokenSource)}.
   */
  default boolean usesConfiguredCredentials() {
    return false;
  }

  /**
   * Returns {@code source} marked as {@linkplain #usesConfiguredCredentials() using configured
   * credentials}: a refusal is retried, never the end of a session.
   *
   * <pre>{@code
   * TokenSource apiKeyLogin = TokenSource.usingConfiguredCredentials(
   *     request -> TokenResponse.bearer(myAuthApi.login(apiKey)));
   * }</pre>
   */
  static TokenSource usingConfiguredCredentials(TokenSource source) {
    java.util.Objects.requireNonNull(source, "source");
    return new TokenSource() {
      @Override
      public TokenResponse fetch(TokenRequest request) throws IOException, InterruptedException {
        return source.fetch(request);
      }

      @Override
      public boolean usesConfiguredCredentials() {
        return true;
      }

      @Override
      public String toString() {
        return source.toString();
      }
    };
  }
}
