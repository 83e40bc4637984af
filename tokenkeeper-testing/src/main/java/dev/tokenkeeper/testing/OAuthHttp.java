package dev.tokenkeeper.testing;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.tokenkeeper.testing.LoopbackHttpServer.Request;
import dev.tokenkeeper.testing.LoopbackHttpServer.Response;
import dev.tokenkeeper.testing.RecordedTokenRequest.ClientAuthentication;
import java.net.URLDecoder;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The OAuth 2.0 parts shared by the token and revocation endpoints: form bodies, client
 * authentication (RFC 6749 section 2.3.1) and JSON responses (section 5). Stateless and
 * thread-safe.
 */
final class OAuthHttp {

  static final String JSON = "application/json;charset=UTF-8";
  static final String REALM = "scripted-token-server";

  /** A decoded form body, or the reason it is not a valid one. */
  record Form(Map<String, String> parameters, @Nullable String problem) {

    @Nullable String get(String name) {
      return parameters.get(name);
    }
  }

  /** The credentials a request presents, not yet checked against the registered clients. */
  record ClientCredentials(
      ClientAuthentication method,
      @Nullable String clientId,
      @Nullable String secret,
      @Nullable String problem) {}

  private OAuthHttp() {}

  /**
   * Decodes an {@code application/x-www-form-urlencoded} body. Empty values count as absent and
   * a repeated parameter is a problem (RFC 6749 section 3.1).
   */
  static Form parseForm(Request request) {
    if (request.body().length == 0) {
      return new Form(Map.of(), null);
    }
    String contentType = request.header("content-type");
    if (contentType == null
        || !contentType.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded")) {
      return new Form(Map.of(), "Content-Type must be application/x-www-form-urlencoded");
    }
    Map<String, String> parameters = new LinkedHashMap<>();
    String problem = null;
    for (String pair : new String(request.body(), UTF_8).split("&")) {
      int equals = pair.indexOf('=');
      String name;
      String value;
      try {
        name = decode(equals < 0 ? pair : pair.substring(0, equals));
        value = equals < 0 ? "" : decode(pair.substring(equals + 1));
      } catch (IllegalArgumentException e) {
        problem = "malformed form encoding";
        continue;
      }
      if (name.isEmpty() || value.isEmpty()) {
        continue;
      }
      if (parameters.putIfAbsent(name, value) != null) {
        problem = "parameter " + name + " is repeated";
      }
    }
    return new Form(Collections.unmodifiableMap(parameters), problem);
  }

  /** The client authentication methods the token endpoint accepts, as its metadata lists them. */
  static final java.util.List<String> AUTH_METHODS =
      java.util.List.of("client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt");

  /** Reads client_secret_basic or client_secret_post credentials, whichever the request uses. */
  static ClientCredentials clientCredentials(Request request, Form form) {
    String authorization = request.header("authorization");
    String postId = form.get("client_id");
    String postSecret = form.get("client_secret");
    String assertion = form.get("client_assertion");
    if (form.get("client_assertion_type") != null || assertion != null) {
      if (!ClientAssertionVerifier.JWT_BEARER.equals(form.get("client_assertion_type")) || assertion == null) {
        return new ClientCredentials(ClientAuthentication.JWT_ASSERTION, postId, null,
            "client_assertion_type must be " + ClientAssertionVerifier.JWT_BEARER + ", with a client_assertion");
      }
      if (authorization != null || postSecret != null) {
        return new ClientCredentials(ClientAuthentication.JWT_ASSERTION, postId, null,
            "use one client authentication method, not a client_assertion and a secret");
      }
      String subject = ClientAssertionVerifier.subject(assertion);
      return new ClientCredentials(ClientAuthentication.JWT_ASSERTION, postId != null ? postId : subject,
          assertion, null);
    }
    if (authorization == null || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
      ClientAuthentication method =
          postSecret == null ? ClientAuthentication.NONE : ClientAuthentication.POST;
      return new ClientCredentials(method, postId, postSecret, null);
    }
    String id;
    String secret;
    try {
      String decoded =
          new String(Base64.getDecoder().decode(authorization.substring(6).trim()), UTF_8);
      int colon = decoded.indexOf(':');
      if (colon < 0) {
        return unreadableBasic();
      }
      id = decode(decoded.substring(0, colon));
      secret = decode(decoded.substring(colon + 1));
    } catch (IllegalArgumentException e) {
      return unreadableBasic();
    }
    if (postSecret != null || (postId != null && !postId.equals(id))) {
      // RFC 6749 section 2.3: a client must not use more than one authentication method.
      return new ClientCredentials(
          ClientAuthentication.BASIC,
          id,
          null,
          "use either client_secret_basic or client_secret_post, not both");
    }
    return new ClientCredentials(ClientAuthentication.BASIC, id, secret, null);
  }

  /**
   * Checks {@code credentials} against {@code secretsById}; returns the error to send, or null
   * when the client is authenticated.
   */
  static @Nullable Response authenticate(
      ClientCredentials credentials, Map<String, String> secretsById) {
    if (credentials.problem() != null) {
      return error(400, "invalid_request", credentials.problem());
    }
    String clientId = credentials.clientId();
    String expected = clientId == null ? null : secretsById.get(clientId);
    if (expected == null
        || credentials.secret() == null
        || !MessageDigest.isEqual(expected.getBytes(UTF_8), credentials.secret().getBytes(UTF_8))) {
      return error(401, "invalid_client", "client authentication failed");
    }
    return null;
  }

  /** A JSON response with the no-store headers RFC 6749 section 5.1 requires. */
  static Response json(int status, Map<String, ?> body) {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Content-Type", JSON);
    headers.put("Cache-Control", "no-store");
    headers.put("Pragma", "no-cache");
    return new Response(status, headers, JSONObjectUtils.toJSONString(body).getBytes(UTF_8));
  }

  /** An OAuth error response; a 401 also carries {@code WWW-Authenticate}. */
  static Response error(int status, String error, @Nullable String description) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", error);
    if (description != null) {
      body.put("error_description", description);
    }
    Response response = json(status, body);
    return status == 401 ? withChallenge(response) : response;
  }

  static Response withChallenge(Response response) {
    Map<String, String> headers = new LinkedHashMap<>(response.headers());
    headers.put("WWW-Authenticate", "Basic realm=\"" + REALM + "\"");
    return new Response(response.status(), headers, response.body());
  }

  static Response methodNotAllowed(String allowed) {
    Response response = error(405, "invalid_request", "use " + allowed);
    Map<String, String> headers = new LinkedHashMap<>(response.headers());
    headers.put("Allow", allowed);
    return new Response(405, headers, response.body());
  }

  /** Credentials that cannot be decoded fail authentication like a wrong secret (401). */
  private static ClientCredentials unreadableBasic() {
    return new ClientCredentials(ClientAuthentication.BASIC, null, null, null);
  }

  private static String decode(String encoded) {
    return URLDecoder.decode(encoded, UTF_8);
  }
}
