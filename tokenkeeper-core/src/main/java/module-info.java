/**
 * Tokenkeeper: keeps HTTP clients authenticated with short-lived access tokens and refresh tokens.
 *
 * <p>The API is the package {@code dev.tokenkeeper}; start with {@link dev.tokenkeeper.TokenKeeper}.
 * The implementation ({@code dev.tokenkeeper.internal}) is not exported, to anyone: the adapters
 * in other modules use only the exported API.
 */
module dev.tokenkeeper.core {
  exports dev.tokenkeeper;

  // TokenHttpClient and the endpoint builders take and return java.net.http types.
  requires transitive java.net.http;
  // JWT and JSON parsing; no nimbus type appears in the API.
  requires com.nimbusds.jose.jwt;
  // Nullness annotations only: needed to compile against the API, not to run it.
  requires static transitive org.jspecify;
}
