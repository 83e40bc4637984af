package dev.tokenkeeper;

import java.io.IOException;

/**
 * Revokes a refresh token at sign-out (RFC 7009). {@link OAuth2TokenEndpoint#revoker()} gives one
 * for an OAuth 2.0 server.
 */
@FunctionalInterface
public interface TokenRevoker {

  /**
   * Revokes {@code refreshToken} at the server.
   *
   * @throws IOException when the server could not be reached or refused the revocation
   * @throws InterruptedException when the keeper is closed during the call
   */
  void revoke(RefreshToken refreshToken) throws IOException, InterruptedException;
}
