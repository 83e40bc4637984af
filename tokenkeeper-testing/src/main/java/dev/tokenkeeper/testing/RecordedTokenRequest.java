package dev.tokenkeeper.testing;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * One request that reached the {@link ScriptedTokenServer} token endpoint, as returned by {@link
 * ScriptedTokenServer#requests()}.
 *
 * <p>Secrets never reach the log: the values of {@code client_secret}, {@code password}, {@code
 * refresh_token} and the other credential parameters listed in {@link #SECRET_PARAMETERS} are
 * replaced by {@link #REDACTED}, and a Basic {@code Authorization} header is reduced to its client
 * id. Immutable and thread-safe.
 *
 * @param receivedAt when the request arrived, by the server's clock
 * @param method the HTTP method
 * @param grantType the {@code grant_type} parameter, or null if absent
 * @param clientAuthentication how the client presented its credentials
 * @param clientId the client id the request claimed (authenticated or not), or null if none
 * @param parameters the form parameters in the order sent, secret values redacted
 * @param fault the fault applied to this request, or null if it was served normally
 */
public record RecordedTokenRequest(
    Instant receivedAt,
    String method,
    @Nullable String grantType,
    ClientAuthentication clientAuthentication,
    @Nullable String clientId,
    Map<String, String> parameters,
    @Nullable Fault fault) {

  /** The value logged in place of a secret. */
  public static final String REDACTED = "[REDACTED]";

  /** The form parameters whose values are never logged. */
  public static final Set<String> SECRET_PARAMETERS =
      Set.of(
          "client_secret",
          "password",
          "refresh_token",
          "code",
          "code_verifier",
          "assertion",
          "client_assertion",
          "subject_token",
          "actor_token");

  /** How a token request authenticated its client (RFC 6749 section 2.3.1). */
  public enum ClientAuthentication {
    /** {@code Authorization: Basic} header ({@code client_secret_basic}). */
    BASIC,
    /** {@code client_id} and {@code client_secret} form parameters ({@code client_secret_post}). */
    POST,
    /**
     * A {@code client_assertion} JWT (RFC 7523): HS256 with the client secret ({@code
     * client_secret_jwt}) or signed with the client's private key ({@code private_key_jwt}).
     */
    JWT_ASSERTION,
    /** No client credentials. */
    NONE
  }

  /**
   * Creates a record, redacting any secret parameter values.
   *
   * @throws NullPointerException if a non-nullable component is null
   */
  public RecordedTokenRequest {
    requireNonNull(receivedAt, "receivedAt");
    requireNonNull(method, "method");
    requireNonNull(clientAuthentication, "clientAuthentication");
    Map<String, String> redacted = new LinkedHashMap<>();
    requireNonNull(parameters, "parameters")
        .forEach(
            (name, value) ->
                redacted.put(name, SECRET_PARAMETERS.contains(name) ? REDACTED : value));
    parameters = Collections.unmodifiableMap(redacted);
  }

  /** Returns the named form parameter ({@link #REDACTED} for secrets), or null if absent. */
  public @Nullable String parameter(String name) {
    return parameters.get(name);
  }

  /** Returns the requested {@code scope}, or null if none was requested. */
  public @Nullable String scope() {
    return parameters.get("scope");
  }
}
