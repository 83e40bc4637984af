package dev.tokenkeeper;

import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import java.time.Instant;
import java.util.Date;
import org.jspecify.annotations.Nullable;

/** Unsigned JWTs for expiry tests: the keeper reads claims without verifying signatures. */
final class Jwts {
  private Jwts() {}

  static String unsigned(@Nullable Instant iat, @Nullable Instant exp) {
    JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().subject("alice");
    if (iat != null) {
      claims.issueTime(Date.from(iat));
    }
    if (exp != null) {
      claims.expirationTime(Date.from(exp));
    }
    return new PlainJWT(claims.build()).serialize();
  }
}
