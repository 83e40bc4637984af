package dev.tokenkeeper;

import java.net.URI;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What an authorization server publishes about itself (RFC 8414, or OpenID Connect Discovery 1.0):
 * the fields a client of the token endpoint needs. Read by {@link OAuth2TokenEndpoint#metadata()}
 * for an endpoint built with {@link OAuth2TokenEndpoint#forIssuer(URI)}.
 *
 * <p>Immutable and thread-safe. The lists are empty when the server does not name the values
 * (RFC 8414 then implies {@code client_secret_basic} for the authentication methods).
 *
 * @param issuer the issuer identifier; always equal to the configured issuer, character for
 *     character (a mismatch is refused as a {@linkplain DiscoveryException.Reason#ISSUER_MISMATCH
 *     mix-up})
 * @param tokenEndpoint {@code token_endpoint}
 * @param revocationEndpoint {@code revocation_endpoint} (RFC 7009), or null
 * @param introspectionEndpoint {@code introspection_endpoint} (RFC 7662), or null
 * @param jwksUri {@code jwks_uri}, or null
 * @param tokenEndpointAuthMethodsSupported {@code token_endpoint_auth_methods_supported}, such as
 *     {@code client_secret_basic}, {@code private_key_jwt}, {@code tls_client_auth}
 * @param dpopSigningAlgValuesSupported {@code dpop_signing_alg_values_supported} (RFC 9449),
 *     such as {@code ES256}; empty when the server does not support DPoP or does not say
 * @param grantTypesSupported {@code grant_types_supported}
 */
public record AuthorizationServerMetadata(
    String issuer,
    URI tokenEndpoint,
    @Nullable URI revocationEndpoint,
    @Nullable URI introspectionEndpoint,
    @Nullable URI jwksUri,
    List<String> tokenEndpointAuthMethodsSupported,
    List<String> dpopSigningAlgValuesSupported,
    List<String> grantTypesSupported) {

  /** Copies the lists and checks that the required fields are there. */
  public AuthorizationServerMetadata {
    Objects.requireNonNull(issuer, "issuer");
    Objects.requireNonNull(tokenEndpoint, "tokenEndpoint");
    tokenEndpointAuthMethodsSupported = List.copyOf(tokenEndpointAuthMethodsSupported);
    dpopSigningAlgValuesSupported = List.copyOf(dpopSigningAlgValuesSupported);
    grantTypesSupported = List.copyOf(grantTypesSupported);
  }

  /**
   * Returns whether the server says it accepts {@code method} at the token endpoint. A server that
   * lists no methods accepts {@code client_secret_basic} only (RFC 8414 section 2).
   *
   * @param method the registered name, such as {@code private_key_jwt}
   */
  public boolean supportsAuthMethod(String method) {
    Objects.requireNonNull(method, "method");
    return tokenEndpointAuthMethodsSupported.isEmpty()
        ? method.equals("client_secret_basic")
        : tokenEndpointAuthMethodsSupported.contains(method);
  }
}
