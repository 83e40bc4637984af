package dev.tokenkeeper.testing;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import dev.tokenkeeper.testing.LoopbackHttpServer.Request;
import dev.tokenkeeper.testing.LoopbackHttpServer.Response;
import dev.tokenkeeper.testing.OAuthHttp.ClientCredentials;
import dev.tokenkeeper.testing.OAuthHttp.Form;
import dev.tokenkeeper.testing.RefreshTokenFamilies.Redeemed;
import dev.tokenkeeper.testing.RefreshTokenFamilies.Redemption;
import dev.tokenkeeper.testing.RefreshTokenFamilies.Rejected;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The RFC 6749 token endpoint: logs and counts each request, applies its scripted fault, then
 * serves the {@code client_credentials}, {@code password} and {@code refresh_token} grants.
 * Thread-safe: all state lives in the synchronized collaborators.
 */
final class TokenEndpoint implements LoopbackHttpServer.Handler {

  private final ServerSettings settings;
  private final String issuer;
  private final AccessTokenMinter minter;
  private final RefreshTokenFamilies families;
  private final TokenServerStats stats;
  private final FaultScript faults;
  private final ClientAssertionVerifier assertions;
  private final DPoPState dpop;
  /** The DPoP key's thumbprint of the request this thread is serving, null without a proof. */
  private final ThreadLocal<@Nullable String> jkt = new ThreadLocal<>();

  TokenEndpoint(
      ServerSettings settings,
      String issuer,
      AccessTokenMinter minter,
      RefreshTokenFamilies families,
      TokenServerStats stats,
      FaultScript faults,
      ClientAssertionVerifier assertions,
      DPoPState dpop) {
    this.dpop = dpop;
    this.settings = settings;
    this.issuer = issuer;
    this.minter = minter;
    this.families = families;
    this.stats = stats;
    this.faults = faults;
    this.assertions = assertions;
  }

  @Override
  public @Nullable Response handle(Request request) throws InterruptedException {
    Form form = OAuthHttp.parseForm(request);
    ClientCredentials credentials = OAuthHttp.clientCredentials(request, form);
    Fault fault = faults.next();
    stats.tokenRequestArrived(
        new RecordedTokenRequest(
            settings.clock().instant(),
            request.method(),
            form.get("grant_type"),
            credentials.method(),
            credentials.clientId(),
            form.parameters(),
            fault));
    if (fault == null) {
      return serve(request, form, credentials, false);
    }
    switch (fault.kind()) {
      case DELAY:
        TimeUnit.NANOSECONDS.sleep(saturatedNanos(fault.duration()));
        return serve(request, form, credentials, false);
      case HOLD:
        fault.release().await();
        return serve(request, form, credentials, false);
      case HOLD_RESPONSE:
        Response served = serve(request, form, credentials, false);
        fault.release().await(); // rotated already: the answer is what waits
        return served;
      case OMIT_REFRESH_TOKEN:
        return serve(request, form, credentials, true);
      default:
        return FaultResponses.respond(fault);
    }
  }

  private Response serve(
      Request request, Form form, ClientCredentials credentials, boolean omitRefreshToken) {
    if (!request.method().equals("POST")) {
      return OAuthHttp.methodNotAllowed("POST");
    }
    if (form.problem() != null) {
      return invalidRequest(form.problem());
    }
    Response refused =
        credentials.method() == RecordedTokenRequest.ClientAuthentication.JWT_ASSERTION
                && credentials.problem() == null
            ? assertions.verify(
                credentials.clientId(),
                requireNonNull(credentials.secret()),
                settings.clock().instant())
            : OAuthHttp.authenticate(credentials, settings.clients());
    if (refused != null) {
      return refused;
    }
    String clientId = requireNonNull(credentials.clientId());
    Instant now = settings.clock().instant(); // after any delay or hold: the time of issue
    String grantType = form.get("grant_type");
    if (grantType == null) {
      return invalidRequest("grant_type is missing");
    }
    String proof = request.header("DPoP");
    jkt.remove();
    if (proof != null && dpop.bind) {
      // RFC 9449 section 5: the proof names POST and this endpoint; section 8: its nonce, if required.
      DPoPProofVerifier.Check check = dpop.verifier.verify(proof, "POST",
          DPoPProofVerifier.htu("http://" + request.header("Host"), request.path()), null, dpop.requiredNonce());
      if (check.nonceRequired()) {
        dpop.nonceChallenges.incrementAndGet();
        return dpop.withNonce(OAuthHttp.error(400, "use_dpop_nonce", "a DPoP nonce is required"));
      }
      if (!check.ok()) {
        dpop.failed(check.failure());
        return OAuthHttp.error(400, "invalid_dpop_proof", check.failure());
      }
      jkt.set(check.jkt());
    }
    try {
      return grant(grantType, clientId, form, now, omitRefreshToken);
    } finally {
      jkt.remove();
    }
  }

  private Response grant(String grantType, String clientId, Form form, Instant now, boolean omitRefreshToken) {
    switch (grantType) {
      case "client_credentials":
        return clientCredentials(clientId, form, now, omitRefreshToken);
      case "password":
        return password(clientId, form, now, omitRefreshToken);
      case "refresh_token":
        return refresh(clientId, form, now, omitRefreshToken);
      default:
        return OAuthHttp.error(
            400, "unsupported_grant_type", "grant_type " + grantType + " is not supported");
    }
  }

  private Response clientCredentials(String clientId, Form form, Instant now, boolean omit) {
    String scope = form.get("scope");
    String refreshToken =
        settings.issueRefreshTokenForClientCredentials() && !omit
            ? families.start(clientId, clientId, scope)
            : null;
    return success(clientId, clientId, scope, refreshToken, now);
  }

  private Response password(String clientId, Form form, Instant now, boolean omit) {
    String username = form.get("username");
    String password = form.get("password");
    if (username == null || password == null) {
      return invalidRequest("username and password are required");
    }
    String expected = settings.users().get(username);
    if (expected == null
        || !MessageDigest.isEqual(expected.getBytes(UTF_8), password.getBytes(UTF_8))) {
      return OAuthHttp.error(400, "invalid_grant", "wrong username or password");
    }
    String scope = form.get("scope");
    String refreshToken = omit ? null : families.start(clientId, username, scope);
    return success(clientId, username, scope, refreshToken, now);
  }

  private Response refresh(String clientId, Form form, Instant now, boolean omit) {
    String presented = form.get("refresh_token");
    if (presented == null) {
      return invalidRequest("refresh_token is missing");
    }
    // omitRefreshToken serves without rotating, so the presented token stays valid.
    boolean rotate = settings.rotateRefreshTokens() && !omit;
    Redemption redemption = families.redeem(presented, clientId, rotate,
        settings.reuseDetection(), settings.reuseGraceWindow(), now);
    if (redemption instanceof Rejected rejected) {
      if (rejected.reuseDetected()) {
        stats.reuseDetected();
      }
      return OAuthHttp.error(400, "invalid_grant", rejected.description());
    }
    Redeemed redeemed = (Redeemed) redemption;
    if (redeemed.graceReuse()) {
      stats.graceReuse();
    }
    String requested = form.get("scope");
    String scope = requested != null ? requested : redeemed.scope();
    return success(clientId, redeemed.subject(), scope, omit ? null : redeemed.refreshToken(), now);
  }

  private Response success(
      String clientId,
      String subject,
      @Nullable String scope,
      @Nullable String refreshToken,
      Instant now) {
    Duration ttl = settings.accessTokenTtl();
    String boundTo = jkt.get();
    String accessToken =
        settings.jwtAccessTokens()
            ? minter.signedJwt(issuer, settings.audience(), subject, clientId, scope, now, ttl,
                settings.roundExpiryUp(), boundTo)
            : AccessTokenMinter.randomToken();
    stats.accessTokenIssued();
    if (boundTo != null) {
      dpop.boundTokens.incrementAndGet();
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("access_token", accessToken);
    body.put("token_type", boundTo != null ? "DPoP" : "Bearer");
    if (settings.includeExpiresIn()) {
      body.put("expires_in", AccessTokenMinter.ceilSeconds(ttl));
    }
    if (refreshToken != null) {
      body.put("refresh_token", refreshToken);
    }
    if (scope != null) {
      body.put("scope", scope);
    }
    return OAuthHttp.json(200, body);
  }

  private static Response invalidRequest(String description) {
    return OAuthHttp.error(400, "invalid_request", description);
  }

  private static long saturatedNanos(Duration duration) {
    try {
      return duration.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }
}
