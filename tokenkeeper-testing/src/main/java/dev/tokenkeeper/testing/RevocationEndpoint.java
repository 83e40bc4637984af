package dev.tokenkeeper.testing;

import static java.util.Objects.requireNonNull;

import dev.tokenkeeper.testing.LoopbackHttpServer.Request;
import dev.tokenkeeper.testing.LoopbackHttpServer.Response;
import java.util.Map;

/**
 * The RFC 7009 revocation endpoint: revokes the family of a refresh token presented by the client
 * it was issued to. Unknown tokens, access tokens and other clients' tokens are answered 200 and
 * left alone, as RFC 7009 section 2.2 allows. Thread-safe; faults do not apply here.
 */
final class RevocationEndpoint implements LoopbackHttpServer.Handler {

  private final Map<String, String> clients;
  private final RefreshTokenFamilies families;
  private final TokenServerStats stats;

  RevocationEndpoint(
      Map<String, String> clients, RefreshTokenFamilies families, TokenServerStats stats) {
    this.clients = clients;
    this.families = families;
    this.stats = stats;
  }

  @Override
  public Response handle(Request request) {
    if (!request.method().equals("POST")) {
      return OAuthHttp.methodNotAllowed("POST");
    }
    OAuthHttp.Form form = OAuthHttp.parseForm(request);
    if (form.problem() != null) {
      return OAuthHttp.error(400, "invalid_request", form.problem());
    }
    OAuthHttp.ClientCredentials credentials = OAuthHttp.clientCredentials(request, form);
    Response refused = OAuthHttp.authenticate(credentials, clients);
    if (refused != null) {
      return refused;
    }
    String token = form.get("token");
    if (token == null) {
      return OAuthHttp.error(400, "invalid_request", "token is missing");
    }
    if (families.revoke(token, requireNonNull(credentials.clientId()))) {
      stats.familyRevoked();
    }
    return new Response(200, Map.of("Cache-Control", "no-store"), new byte[0]);
  }
}
