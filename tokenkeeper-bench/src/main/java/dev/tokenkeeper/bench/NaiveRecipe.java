package dev.tokenkeeper.bench;

import com.nimbusds.jwt.JWTParser;
import dev.tokenkeeper.TokenRequest;
import dev.tokenkeeper.TokenSource;
import java.time.InstantSource;
import java.util.Date;

/**
 * The recipe blog posts teach (and {@code tokenkeeper-demo}'s naive client follows): before each
 * request decode the token's {@code exp}; if it has passed, call the token endpoint right there, on
 * the caller's thread, and keep whatever comes back. No coordination: every caller that finds the
 * token expired calls the endpoint.
 */
final class NaiveRecipe implements Contender {
  private final TokenSource endpoint;
  private final InstantSource clock = InstantSource.system();
  private volatile String token;

  NaiveRecipe(TokenSource endpoint, String initialToken) {
    this.endpoint = endpoint;
    this.token = initialToken;
  }

  @Override
  public String token() throws Exception {
    String current = token;
    Date exp = JWTParser.parse(current).getJWTClaimsSet().getExpirationTime();
    if (exp != null && clock.instant().isBefore(exp.toInstant())) {
      return current;
    }
    String fresh = endpoint.fetch(new TokenRequest(null, TokenRequest.Reason.EXPIRED)).accessToken();
    token = fresh;
    return fresh;
  }
}
