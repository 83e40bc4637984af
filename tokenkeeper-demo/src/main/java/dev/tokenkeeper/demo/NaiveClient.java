package dev.tokenkeeper.demo;

import com.nimbusds.jwt.JWTParser;
import dev.tokenkeeper.demo.DemoHttp.Tokens;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.text.ParseException;
import java.time.InstantSource;
import java.util.Date;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Client 2: the refresh recipe that blog posts and answers teach for axios and OkHttp
 * interceptors. Before each request, decode the access token's {@code exp}; if it has passed, call
 * {@code /auth/refresh} right there, on the request's own thread, and keep whatever comes back for
 * everybody. If the auth server refuses the refresh, log the user out.
 *
 * <p>With one thread it works. With many, every thread that finds the token expired refreshes at
 * the same moment with the same refresh token. The first one wins; the others present a token the
 * server has just retired, reuse detection revokes the whole family, and the user is logged out.
 * Nothing here is wrong line by line: what is missing is coordination.
 */
final class NaiveClient implements DemoClient {
  private final HttpClient http = DemoHttp.newClient();
  private final URI base;
  private final String username;
  private final String password;
  private final InstantSource clock;

  /** The app's one copy of the tokens, shared by every thread; null once logged out. */
  private volatile @Nullable Tokens tokens;
  private volatile Outcome loggedOutBecause = Outcome.SESSION_LOST;

  NaiveClient(URI base, String username, String password, InstantSource clock) {
    this.base = base;
    this.username = username;
    this.password = password;
    this.clock = clock;
  }

  @Override
  public String id() {
    return "naive";
  }

  @Override
  public String title() {
    return "naive recipe";
  }

  @Override
  public void logIn() throws IOException, InterruptedException {
    tokens = DemoHttp.logIn(http, base, id(), username, password);
  }

  @Override
  public Outcome request() {
    try {
      Tokens current = tokens;
      if (current == null) {
        // Logged out: the app's requests go without a token now, and fail.
        return DemoHttp.getItems(http, base, id(), null) == 200 ? Outcome.OK : loggedOutBecause;
      }
      if (isExpired(current.accessToken())) {
        HttpResponse<String> answer = DemoHttp.postJson(http, base, "auth/refresh", id(),
            Map.of("refreshToken", current.refreshToken()));
        if (answer.statusCode() >= 400 && answer.statusCode() < 500) {
          loggedOutBecause = Outcome.ofRefreshError(DemoHttp.field(answer, "error"));
          tokens = null; // log the user out
          return loggedOutBecause;
        }
        if (answer.statusCode() != 200) {
          return Outcome.TIMEOUT_OR_OTHER;
        }
        current = Tokens.of(answer);
        tokens = current;
      }
      return Outcome.ofApiStatus(DemoHttp.getItems(http, base, id(), "Bearer " + current.accessToken()));
    } catch (IOException | ParseException e) {
      return Outcome.TIMEOUT_OR_OTHER;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Outcome.TIMEOUT_OR_OTHER;
    }
  }

  private boolean isExpired(String accessToken) throws ParseException {
    Date exp = JWTParser.parse(accessToken).getJWTClaimsSet().getExpirationTime();
    return exp != null && !clock.instant().isBefore(exp.toInstant());
  }
}
