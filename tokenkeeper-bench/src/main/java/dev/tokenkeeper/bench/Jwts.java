package dev.tokenkeeper.bench;

import com.nimbusds.jwt.JWTParser;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.jspecify.annotations.Nullable;

/** Real RS256 access tokens for benchmarks that need no server, and reading their expiry. */
final class Jwts {
  private Jwts() {}

  /**
   * Mints an RS256 JWT like the scripted server issues (same claims, same length), valid for {@code
   * ttl} from now; a negative {@code ttl} makes an expired one.
   */
  static String mint(Duration ttl) {
    return Issuer.SERVER.mintAccessToken("bench-service", ttl);
  }

  /** Generating the RSA key takes a while: once, on first use. */
  private static final class Issuer {
    static final ScriptedTokenServer SERVER =
        ScriptedTokenServer.newBuilder().issuer("https://auth.example.com").build();
  }

  /** Returns the {@code exp} of {@code token}, or null when it is not a JWT with an expiry. */
  static @Nullable Instant expiry(String token) {
    try {
      Date exp = JWTParser.parse(token).getJWTClaimsSet().getExpirationTime();
      return exp == null ? null : exp.toInstant();
    } catch (ParseException e) {
      return null;
    }
  }

  /** Returns {@code true} when {@code token} is a JWT that has not expired at {@code now}. */
  static boolean validAt(String token, Instant now) {
    Instant exp = expiry(token);
    return exp != null && now.isBefore(exp);
  }
}
