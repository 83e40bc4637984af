package dev.tokenkeeper.bench;

import com.nimbusds.jwt.JWTParser;
import dev.tokenkeeper.TokenRequest;
import dev.tokenkeeper.TokenSource;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Date;
import org.jspecify.annotations.Nullable;

/**
 * The recipe blog posts teach (and {@code tokenkeeper-demo}'s naive client follows): before each
 * request check the token's {@code exp}; if it has passed, call the token endpoint right there, on
 * the caller's thread, and keep whatever comes back. No coordination: every caller that finds the
 * token expired calls the endpoint.
 *
 * <p>Written the fast way an honest implementer would: {@code exp} is decoded once per token and
 * kept next to it, so a call is one volatile read and one clock comparison. B1's ratio against it
 * then measures what coordination costs, not JWT parsing.
 */
final class NaiveRecipe implements Contender {
  private final TokenSource endpoint;
  private final InstantSource clock = InstantSource.system();
  private volatile Held held;

  /** A token and its decoded {@code exp} (null: none, so it never expires by our reading). */
  private record Held(String token, @Nullable Instant exp) {
    static Held of(String token) throws java.text.ParseException {
      Date exp = JWTParser.parse(token).getJWTClaimsSet().getExpirationTime();
      return new Held(token, exp == null ? null : exp.toInstant());
    }
  }

  NaiveRecipe(TokenSource endpoint, String initialToken) {
    this.endpoint = endpoint;
    try {
      this.held = Held.of(initialToken);
    } catch (java.text.ParseException e) {
      throw new IllegalArgumentException("the initial token must be a JWT", e);
    }
  }

  @Override
  public String token() throws Exception {
    Held current = held;
    if (current.exp() == null || clock.instant().isBefore(current.exp())) {
      return current.token();
    }
    Held fresh = Held.of(endpoint.fetch(new TokenRequest(null, TokenRequest.Reason.EXPIRED)).accessToken());
    held = fresh;
    return fresh.token();
  }
}
