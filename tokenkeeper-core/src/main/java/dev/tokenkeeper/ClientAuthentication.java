package dev.tokenkeeper;

/**
 * How a client authenticates to an OAuth 2.0 token endpoint (RFC 6749 section 2.3, RFC 7523, RFC
 * 8705). The names are the registered {@code token_endpoint_auth_method} values in upper case.
 */
public enum ClientAuthentication {
  /** HTTP Basic with the form-urlencoded client id and secret (RFC 6749 2.3.1); the default. */
  CLIENT_SECRET_BASIC,
  /** {@code client_id} and {@code client_secret} in the request body. */
  CLIENT_SECRET_POST,
  /**
   * A JWT signed with HS256 and the client secret (RFC 7523, OpenID Connect Core section 9), sent as
   * {@code client_assertion}; the secret itself never leaves the client. Needs a secret of at least
   * 32 bytes.
   */
  CLIENT_SECRET_JWT,
  /**
   * A JWT signed with the client's private key (RFC 7523, OpenID Connect Core section 9), sent as
   * {@code client_assertion}; set the key with {@link OAuth2TokenEndpoint.Builder#privateKeyJwt}.
   */
  PRIVATE_KEY_JWT,
  /**
   * Mutual TLS with a certificate the provider checks against the registered subject (RFC 8705
   * section 2.1); {@code client_id} in the body. Set the TLS identity with {@link
   * OAuth2TokenEndpoint.Builder#sslContext}.
   */
  TLS_CLIENT_AUTH,
  /**
   * Mutual TLS with a self-signed certificate the provider checks against the registered JWK set
   * (RFC 8705 section 2.2); {@code client_id} in the body. Set the TLS identity with {@link
   * OAuth2TokenEndpoint.Builder#sslContext}.
   */
  SELF_SIGNED_TLS_CLIENT_AUTH,
  /** A public client: {@code client_id} in the body, no secret. */
  NONE
}
