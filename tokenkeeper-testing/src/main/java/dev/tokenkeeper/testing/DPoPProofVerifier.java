package dev.tokenkeeper.testing;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.AsymmetricJWK;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Checks DPoP proofs as RFC 9449 section 4.3 says a server must: {@code typ} {@code dpop+jwt}, an
 * asymmetric {@code alg}, a public {@code jwk} that verifies the signature, {@code htm} and {@code
 * htu} equal to the request's, {@code iat} within {@link #MAX_AGE} of the real clock (proofs take
 * the system clock), a {@code jti} never seen before, {@code ath} equal to the SHA-256 of the
 * access token when one goes with the request, and the server's nonce when it requires one.
 * Thread-safe: the seen {@code jti}s are a concurrent set.
 */
final class DPoPProofVerifier {
  /** How far a proof's {@code iat} may be from the server's clock, either way. */
  static final Duration MAX_AGE = Duration.ofSeconds(60);
  private static final JOSEObjectType DPOP_JWT = new JOSEObjectType("dpop+jwt");
  private static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.ES256, JWSAlgorithm.RS256,
      JWSAlgorithm.PS256, JWSAlgorithm.ES384, JWSAlgorithm.EdDSA);

  private final Set<String> seen = ConcurrentHashMap.newKeySet();
  private final java.util.concurrent.atomic.AtomicInteger replays = new java.util.concurrent.atomic.AtomicInteger();

  /**
   * The outcome: the proof key's thumbprint when the proof is good; else why not, and whether
   * only the nonce was missing or stale.
   */
  record Check(@Nullable String jkt, @Nullable String failure, boolean nonceRequired) {
    static Check ok(String jkt) {
      return new Check(jkt, null, false);
    }

    static Check failed(String why) {
      return new Check(null, why, false);
    }

    boolean ok() {
      return failure == null;
    }
  }

  /** How many proofs repeated a {@code jti} this verifier had already seen. */
  int replays() {
    return replays.get();
  }

  Check verify(@Nullable String proof, String method, String htu, @Nullable String accessToken,
      @Nullable String nonce) {
    if (proof == null) {
      return Check.failed("no DPoP proof");
    }
    SignedJWT jwt;
    JWTClaimsSet claims;
    try {
      jwt = SignedJWT.parse(proof);
      claims = jwt.getJWTClaimsSet();
    } catch (ParseException e) {
      return Check.failed("the proof is not a signed JWT");
    }
    JWSHeader header = jwt.getHeader();
    if (!DPOP_JWT.equals(header.getType())) {
      return Check.failed("typ is not dpop+jwt");
    }
    if (!ALGORITHMS.contains(header.getAlgorithm())) {
      return Check.failed("alg " + header.getAlgorithm() + " is not an asymmetric signature");
    }
    JWK jwk = header.getJWK();
    if (!(jwk instanceof AsymmetricJWK) || jwk.isPrivate()) {
      return Check.failed("no public jwk in the header (or a private one)");
    }
    try {
      java.security.Key key = ((AsymmetricJWK) jwk).toPublicKey();
      if (!jwt.verify(new DefaultJWSVerifierFactory().createJWSVerifier(header, key))) {
        return Check.failed("the signature does not verify with the header's jwk");
      }
    } catch (JOSEException e) {
      return Check.failed("the signature cannot be checked: " + e.getMessage());
    }
    Object htm = claims.getClaim("htm");
    Object htuClaim = claims.getClaim("htu");
    if (!method.equals(htm)) {
      return Check.failed("htm " + htm + " is not " + method);
    }
    if (!htu.equals(htuClaim)) {
      return Check.failed("htu " + htuClaim + " is not " + htu);
    }
    Instant iat = claims.getIssueTime() == null ? null : claims.getIssueTime().toInstant();
    Instant now = Instant.now();
    if (iat == null || iat.isBefore(now.minus(MAX_AGE)) || iat.isAfter(now.plus(MAX_AGE))) {
      return Check.failed("iat " + iat + " is not within " + MAX_AGE.toSeconds() + " s of " + now);
    }
    if (accessToken != null) {
      if (!sha256(accessToken).equals(claims.getClaim("ath"))) {
        return Check.failed("ath is not the access token's SHA-256");
      }
    } else if (claims.getClaim("ath") != null) {
      return Check.failed("ath without an access token");
    }
    if (nonce != null && !nonce.equals(claims.getClaim("nonce"))) {
      return new Check(null, "nonce " + (claims.getClaim("nonce") == null ? "missing" : "stale"), true);
    }
    String jti = claims.getJWTID();
    if (jti == null || jti.isEmpty()) {
      return Check.failed("no jti");
    }
    if (!seen.add(jti)) {
      replays.incrementAndGet();
      return Check.failed("jti replayed");
    }
    try {
      return Check.ok(jwk.computeThumbprint().toString());
    } catch (JOSEException e) {
      return Check.failed("cannot compute the jwk thumbprint");
    }
  }

  /** {@code scheme://host:port/path}, as a proof's {@code htu} names a request. */
  static String htu(String origin, String path) {
    return Objects.requireNonNull(origin) + (path.isEmpty() ? "/" : path);
  }

  static String sha256(String token) {
    try {
      return Base64URL.encode(MessageDigest.getInstance("SHA-256")
          .digest(token.getBytes(StandardCharsets.US_ASCII))).toString();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
