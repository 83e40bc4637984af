/**
 * Tokenkeeper: keeps HTTP clients authenticated with short-lived access tokens and refresh tokens.
 *
 * <p>The API is the package {@code dev.tokenkeeper}; start with {@link dev.tokenkeeper.TokenKeeper}.
 * The implementation ({@code dev.tokenkeeper.internal}) is not exported, except to {@code
 * dev.tokenkeeper.redis}: the adapters in other modules use only the exported API.
 */
// "module": javac warns that dev.tokenkeeper.redis is not found while compiling core alone.
@SuppressWarnings("module")
module dev.tokenkeeper.core {
  exports dev.tokenkeeper;
  // The Redis store writes the token file format (JSON, or JWE with a key) through TokenFileCodec,
  // so that both stores encrypt the same way; no other module sees the package.
  exports dev.tokenkeeper.internal to dev.tokenkeeper.redis;

  // TokenHttpClient and the endpoint builders take and return java.net.http types.
  requires transitive java.net.http;
  // JWT and JSON parsing; no nimbus type appears in the API.
  requires com.nimbusds.jose.jwt;
  // Nullness annotations only: needed to compile against the API, not to run it.
  requires static transitive org.jspecify;
}
