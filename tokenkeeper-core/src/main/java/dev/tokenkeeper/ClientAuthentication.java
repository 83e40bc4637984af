package dev.tokenkeeper;

/** How a client authenticates to an OAuth 2.0 token endpoint (RFC 6749 section 2.3). */
public enum ClientAuthentication {
  /** HTTP Basic with the form-urlencoded client id and secret (RFC 6749 2.3.1); the default. */
  CLIENT_SECRET_BASIC,
  /** {@code client_id} and {@code client_secret} in the request body. */
  CLIENT_SECRET_POST,
  /** A public client: {@code client_id} in the body, no secret. */
  NONE
}
