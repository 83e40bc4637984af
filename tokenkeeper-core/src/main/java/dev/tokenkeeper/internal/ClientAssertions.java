package dev.tokenkeeper.internal;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.KeyLengthException;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Date;
import org.jspecify.annotations.Nullable;

/**
 * Signs the JWTs of {@code client_secret_jwt} and {@code private_key_jwt} (RFC 7523 section 3,
 * OpenID Connect Core section 9): {@code iss} = {@code sub} = the client id, {@code aud} the token
 * endpoint (or what the user set), a {@code jti} of 128 random bits from {@link SecureRandom} for
 * every assertion, {@code iat} now and {@code exp} a short lifetime later. Thread-safe.
 */
public final class ClientAssertions {
  /** The {@code client_assertion_type} of a JWT assertion (RFC 7523 section 2.2). */
  public static final String JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

  private final JWSSigner signer;
  private final JWSHeader header;
  private final String clientId;
  private final @Nullable String audience;
  private final Duration lifetime;
  private final InstantSource clock;
  private final SecureRandom random = new SecureRandom();

  private ClientAssertions(JWSSigner signer, JWSHeader header, String clientId,
      @Nullable String audience, Duration lifetime, InstantSource clock) {
    this.signer = signer;
    this.header = header;
    this.clientId = clientId;
    this.audience = audience;
    this.lifetime = lifetime;
    this.clock = clock;
  }

  /**
   * {@code client_secret_jwt}: HS256 with the client secret's UTF-8 bytes.
   *
   * @throws IllegalStateException if the secret is shorter than 32 bytes: HS256 needs a 256-bit key
   *     (RFC 7518 section 3.2), and a shorter one would be refused by the server or, worse, accepted
   */
  public static ClientAssertions secret(String clientId, String secret, @Nullable String audience,
      Duration lifetime, InstantSource clock) {
    // MACSigner keeps this array: it must not be cleared while the endpoint lives.
    byte[] key = secret.getBytes(StandardCharsets.UTF_8);
    try {
      return new ClientAssertions(new MACSigner(key), new JWSHeader.Builder(JWSAlgorithm.HS256)
          .type(JOSEObjectType.JWT).build(), clientId, audience, lifetime, clock);
    } catch (KeyLengthException e) {
      throw new IllegalStateException("client_secret_jwt signs with HS256, which needs a client secret of"
          + " at least 32 bytes (256 bits, RFC 7518 section 3.2); this one has " + key.length
          + ". Ask the provider for a longer secret, or use client_secret_basic");
    }
  }

  /** {@code private_key_jwt}: the key's algorithm, with {@code kid} and {@code x5t#S256} when known. */
  public static ClientAssertions privateKey(JWSSigner signer, String algorithm, @Nullable String keyId,
      @Nullable String thumbprint, String clientId, @Nullable String audience, Duration lifetime,
      InstantSource clock) {
    JWSHeader.Builder header = new JWSHeader.Builder(JWSAlgorithm.parse(algorithm)).type(JOSEObjectType.JWT);
    if (keyId != null) {
      header.keyID(keyId);
    }
    if (thumbprint != null) {
      header.x509CertSHA256Thumbprint(new Base64URL(thumbprint));
    }
    return new ClientAssertions(signer, header.build(), clientId, audience, lifetime, clock);
  }

  /** A new signed assertion for a request to {@code tokenEndpoint}. */
  public String create(URI tokenEndpoint) throws IOException {
    Instant now = clock.instant();
    byte[] jti = new byte[16];
    random.nextBytes(jti);
    JWTClaimsSet claims = new JWTClaimsSet.Builder()
        .issuer(clientId)
        .subject(clientId)
        .audience(audience != null ? audience : tokenEndpoint.toString())
        .jwtID(Base64URL.encode(jti).toString())
        .issueTime(Date.from(now))
        .expirationTime(Date.from(now.plus(lifetime)))
        .build();
    SignedJWT jwt = new SignedJWT(header, claims);
    try {
      jwt.sign(signer);
    } catch (JOSEException e) {
      // The message names the algorithm or key problem, never key material.
      throw new IOException("cannot sign the client assertion: " + e.getMessage(), e);
    }
    return jwt.serialize();
  }

  @Override
  public String toString() {
    return header.getAlgorithm() + (header.getKeyID() == null ? "" : " kid=" + header.getKeyID());
  }
}
