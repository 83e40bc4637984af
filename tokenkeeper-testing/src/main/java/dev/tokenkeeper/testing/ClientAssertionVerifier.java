package dev.tokenkeeper.testing;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.tokenkeeper.testing.LoopbackHttpServer.Response;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Verifies {@code client_assertion} JWTs (RFC 7523 section 3) as a strict authorization server
 * does: signature (HS256 with the client's secret, or its registered public key), {@code iss} =
 * {@code sub} = the client id, {@code aud} naming the token endpoint or the issuer, {@code exp}
 * after now on the server clock, and a {@code jti} never seen before. Thread-safe.
 */
final class ClientAssertionVerifier {
  static final String JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

  private final ServerSettings settings;
  private final Set<String> audiences;
  private final Set<String> seen = ConcurrentHashMap.newKeySet();
  private final List<String> accepted = Collections.synchronizedList(new ArrayList<>());

  ClientAssertionVerifier(ServerSettings settings, String tokenEndpoint, String issuer) {
    this.settings = settings;
    this.audiences = Set.of(tokenEndpoint, issuer);
  }

  /** The {@code jti} of every assertion accepted, in order. */
  List<String> acceptedIds() {
    synchronized (accepted) {
      return List.copyOf(accepted);
    }
  }

  /** The client id the assertion authenticates, read without checking anything; null if unreadable. */
  static @Nullable String subject(String assertion) {
    try {
      return SignedJWT.parse(assertion).getJWTClaimsSet().getSubject();
    } catch (ParseException e) {
      return null;
    }
  }

  /** Null when {@code assertion} authenticates {@code clientId}; otherwise the 401 to send. */
  @Nullable Response verify(@Nullable String clientId, String assertion, Instant now) {
    SignedJWT jwt;
    JWTClaimsSet claims;
    try {
      jwt = SignedJWT.parse(assertion);
      claims = jwt.getJWTClaimsSet();
    } catch (ParseException e) {
      return refuse("client_assertion is not a signed JWT");
    }
    String subject = claims.getSubject();
    if (subject == null || !subject.equals(claims.getIssuer()) || clientId != null && !clientId.equals(subject)) {
      return refuse("iss and sub must both be the client id");
    }
    JWSVerifier verifier;
    try {
      verifier = verifier(subject, jwt.getHeader().getAlgorithm());
    } catch (JOSEException e) {
      return refuse("unusable key: " + e.getMessage());
    }
    if (verifier == null) {
      return refuse("no key registered for client " + subject + " and algorithm " + jwt.getHeader().getAlgorithm());
    }
    try {
      if (!jwt.verify(verifier)) {
        return refuse("client_assertion signature does not verify");
      }
    } catch (JOSEException e) {
      return refuse("client_assertion signature does not verify");
    }
    if (claims.getAudience().stream().noneMatch(audiences::contains)) {
      return refuse("aud must name the token endpoint or the issuer " + audiences);
    }
    Date exp = claims.getExpirationTime();
    if (exp == null || !exp.toInstant().isAfter(now)) {
      return refuse("client_assertion expired");
    }
    String jti = claims.getJWTID();
    if (jti == null || jti.isEmpty()) {
      return refuse("client_assertion has no jti");
    }
    if (!seen.add(jti)) {
      return refuse("client_assertion jti was used before (replay)");
    }
    accepted.add(jti);
    return null;
  }

  private @Nullable JWSVerifier verifier(String clientId, JWSAlgorithm algorithm) throws JOSEException {
    if (JWSAlgorithm.Family.HMAC_SHA.contains(algorithm)) {
      String secret = settings.clients().get(clientId);
      return secret == null ? null : new MACVerifier(secret.getBytes(StandardCharsets.UTF_8));
    }
    PublicKey key = settings.clientKeys().get(clientId);
    if (key instanceof RSAPublicKey && JWSAlgorithm.Family.RSA.contains(algorithm)) {
      return new RSASSAVerifier((RSAPublicKey) key);
    }
    if (key instanceof ECPublicKey && JWSAlgorithm.Family.EC.contains(algorithm)) {
      return new ECDSAVerifier((ECPublicKey) key);
    }
    return null;
  }

  private static Response refuse(String why) {
    return OAuthHttp.error(401, "invalid_client", why);
  }

  Map<String, PublicKey> keys() {
    return settings.clientKeys();
  }
}
