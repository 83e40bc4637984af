package dev.tokenkeeper.demo;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.text.ParseException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The plain HTTP the demo clients share: one {@link HttpClient} per client, the API call, and the
 * JSON posts of the hand-written login and refresh calls.
 */
final class DemoHttp {
  /** Per request: long enough for a loaded 2-core laptop, short enough to finish a 15 s demo. */
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);

  private DemoHttp() {}

  /** An HTTP/1.1 client (the demo server speaks nothing else) with a 2 s connect timeout. */
  static HttpClient newClient() {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(2))
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
  }

  /** {@code GET /api/items} with {@code authorization} (none when null); returns the status. */
  static int getItems(HttpClient http, URI base, String client, @Nullable String authorization)
      throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve("api/items"))
        .timeout(REQUEST_TIMEOUT)
        .header(DemoServer.CLIENT_HEADER, client)
        .GET();
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  /** Posts {@code body} as JSON to {@code path} and returns the answer. */
  static HttpResponse<String> postJson(HttpClient http, URI base, String path, String client,
      Map<String, ?> body) throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(base.resolve(path))
        .timeout(REQUEST_TIMEOUT)
        .header(DemoServer.CLIENT_HEADER, client)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(JSONObjectUtils.toJSONString(new LinkedHashMap<>(body))))
        .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  /** A string field of a JSON answer, or {@code ""} when the answer or the field is missing. */
  static String field(HttpResponse<String> response, String field) {
    try {
      Object value = JSONObjectUtils.parse(response.body()).get(field);
      return value instanceof String ? (String) value : "";
    } catch (ParseException e) {
      return "";
    }
  }

  /** Logs in with a hand-written call, as the no-refresh and naive clients do. */
  static Tokens logIn(HttpClient http, URI base, String client, String username, String password)
      throws IOException, InterruptedException {
    HttpResponse<String> answer = postJson(http, base, "auth/login", client,
        Map.of("username", username, "password", password));
    if (answer.statusCode() != 200) {
      throw new IOException("login as " + username + " failed: HTTP " + answer.statusCode());
    }
    return Tokens.of(answer);
  }

  /** An access token and a refresh token, as the login and refresh calls return them. */
  record Tokens(String accessToken, String refreshToken) {
    static Tokens of(HttpResponse<String> answer) throws IOException {
      Tokens tokens = new Tokens(field(answer, "accessToken"), field(answer, "refreshToken"));
      if (tokens.accessToken.isEmpty() || tokens.refreshToken.isEmpty()) {
        throw new IOException("the auth server answered " + answer.statusCode() + " without tokens");
      }
      return tokens;
    }

    @Override
    public String toString() {
      return "Tokens[…]"; // never print a token
    }
  }
}
