package dev.tokenkeeper.demo;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.text.ParseException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Date;
import java.util.UUID;

/**
 * The demo server's access tokens: RS256-signed JWTs with {@code exp = iat + ttl}, and their
 * verification (signature, then {@code exp} against the server's clock, with no leeway).
 *
 * <p>JWT times are whole seconds, so a token issued at 12:00:00.900 with a 3 s lifetime expires at
 * 12:00:03.000, 2.1 s later. Real servers behave the same; clients have to cope with it.
 *
 * <p>Thread-safe.
 */
final class AccessTokens {
  private final InstantSource clock;
  private final long ttlSeconds;
  private final RSASSASigner signer;
  private final RSASSAVerifier verifier;
  private final String keyId;

  AccessTokens(InstantSource clock, Duration ttl) {
    this.clock = clock;
    this.ttlSeconds = ttl.toSeconds();
    try {
      RSAKey key = new RSAKeyGenerator(2048).keyID("demo-" + UUID.randomUUID()).generate();
      this.signer = new RSASSASigner(key);
      this.verifier = new RSASSAVerifier(key.toPublicJWK());
      this.keyId = key.getKeyID();
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot create the demo server's RSA key", e);
    }
  }

  long clockMillis() {
    return clock.millis();
  }

  /** Signs a new access token for {@code user}, valid from now for the configured lifetime. */
  String issue(String user) {
    long now = clock.millis() / 1000;
    JWTClaimsSet claims = new JWTClaimsSet.Builder()
        .issuer("tokenkeeper-demo")
        .subject(user)
        .issueTime(new Date(now * 1000))
        .expirationTime(new Date((now + ttlSeconds) * 1000))
        .jwtID(UUID.randomUUID().toString()) // two tokens issued in the same second still differ
        .build();
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(keyId).build(), claims);
    try {
      jwt.sign(signer);
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign an access token", e);
    }
    return jwt.serialize();
  }

  /**
   * Checks {@code token}: our signature, and not expired on the server's clock.
   *
   * @return {@code null} when the token is valid, else why it is not (for {@code error_description})
   */
  String problemWith(String token) {
    try {
      SignedJWT jwt = SignedJWT.parse(token);
      if (!JWSAlgorithm.RS256.equals(jwt.getHeader().getAlgorithm()) || !jwt.verify(verifier)) {
        return "The access token signature is invalid";
      }
      Date exp = jwt.getJWTClaimsSet().getExpirationTime();
      if (exp == null || clock.millis() >= exp.getTime()) {
        return "The access token expired";
      }
      return null;
    } catch (ParseException | JOSEException e) {
      return "The access token is malformed";
    }
  }
}
