package dev.tokenkeeper.testing;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * Signs RS256 JWT access tokens with a key generated for one server, and makes random opaque
 * tokens. Thread-safe: the key and signer are immutable.
 */
final class AccessTokenMinter {

  private static final SecureRandom RANDOM = new SecureRandom();

  private final RSAKey key;
  private final RSASSASigner signer;

  AccessTokenMinter() {
    try {
      this.key =
          new RSAKeyGenerator(2048)
              .keyUse(KeyUse.SIGNATURE)
              .algorithm(JWSAlgorithm.RS256)
              .keyIDFromThumbprint(true)
              .generate();
      this.signer = new RSASSASigner(key);
    } catch (JOSEException e) {
      throw new IllegalStateException("could not generate an RSA signing key", e);
    }
  }

  /** The public half of the signing key, with its key id. */
  RSAKey publicKey() {
    return key.toPublicJWK();
  }

  /**
   * Signs an access token issued at {@code now}: {@code iat} is {@code now} in whole seconds and
   * {@code exp} adds {@code ttl} rounded up to whole seconds, or is {@code now + ttl} rounded up
   * when {@code roundExpiryUp}.
   */
  String signedJwt(
      String issuer,
      @Nullable String audience,
      String subject,
      @Nullable String clientId,
      @Nullable String scope,
      Instant now,
      Duration ttl,
      boolean roundExpiryUp) {
    return signedJwt(issuer, audience, subject, clientId, scope, now, ttl, roundExpiryUp, null);
  }

  /** As above; with {@code jkt}, the token is bound to that DPoP key ({@code cnf.jkt}, RFC 9449 section 6.1). */
  String signedJwt(
      String issuer,
      @Nullable String audience,
      String subject,
      @Nullable String clientId,
      @Nullable String scope,
      Instant now,
      Duration ttl,
      boolean roundExpiryUp,
      @Nullable String jkt) {
    long issuedAt = now.getEpochSecond();
    Instant end = now.plus(ttl);
    long expiresAt = roundExpiryUp
        ? end.getEpochSecond() + (end.getNano() > 0 ? 1 : 0)
        : issuedAt + ceilSeconds(ttl);
    JWTClaimsSet.Builder claims =
        new JWTClaimsSet.Builder()
            .issuer(issuer)
            .subject(subject)
            .issueTime(Date.from(Instant.ofEpochSecond(issuedAt)))
            .expirationTime(Date.from(Instant.ofEpochSecond(expiresAt)))
            .jwtID(UUID.randomUUID().toString());
    if (audience != null) {
      claims.audience(audience);
    }
    if (scope != null) {
      claims.claim("scope", scope);
    }
    if (clientId != null) {
      claims.claim("client_id", clientId);
    }
    if (jkt != null) {
      claims.claim("cnf", java.util.Map.of("jkt", jkt));
    }
    // typ JWT rather than RFC 9068's at+jwt: default verifiers (Nimbus, Spring) reject at+jwt.
    JWSHeader header =
        new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).type(JOSEObjectType.JWT)
            .build();
    SignedJWT jwt = new SignedJWT(header, claims.build());
    try {
      jwt.sign(signer);
    } catch (JOSEException e) {
      throw new IllegalStateException("could not sign an access token", e);
    }
    return jwt.serialize();
  }

  /** A random token of 32 bytes, base64url without padding. */
  static String randomToken() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** Rounds {@code duration} up to whole seconds (also for negative durations). */
  static long ceilSeconds(Duration duration) {
    return duration.getSeconds() + (duration.getNano() > 0 ? 1 : 0);
  }
}
