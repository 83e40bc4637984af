package dev.tokenkeeper.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.SignedJWT;
import dev.tokenkeeper.demo.DemoHttp.Tokens;
import dev.tokenkeeper.testing.TestClock;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DemoServerTest {
  private final TestClock clock = new TestClock();
  private final HttpClient http = DemoHttp.newClient();
  private DemoServer server;
  private URI base;

  @BeforeEach
  void start() throws Exception {
    server = DemoServer.newBuilder().clock(clock).accessTokenTtl(Duration.ofSeconds(3))
        .user("alice", "secret").start();
    base = server.baseUri();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void login_issuesRs256JwtExpiringTtlAfterIssue_andARefreshToken() throws Exception {
    Tokens tokens = logIn();

    SignedJWT jwt = SignedJWT.parse(tokens.accessToken());
    assertThat(jwt.getHeader().getAlgorithm().getName()).isEqualTo("RS256");
    assertThat(jwt.getJWTClaimsSet().getSubject()).isEqualTo("alice");
    assertThat(jwt.getJWTClaimsSet().getIssueTime().toInstant()).isEqualTo(clock.instant());
    assertThat(jwt.getJWTClaimsSet().getExpirationTime().toInstant()).isEqualTo(clock.instant().plusSeconds(3));
    assertThat(tokens.refreshToken()).isNotBlank();
    assertThat(server.counts("test").logins()).isEqualTo(1);
  }

  @Test
  void login_wrongPassword_is401() throws Exception {
    HttpResponse<String> answer = post("auth/login", Map.of("username", "alice", "password", "guess"));

    assertThat(answer.statusCode()).isEqualTo(401);
    assertThat(DemoHttp.field(answer, "error")).isEqualTo("invalid_credentials");
  }

  @Test
  void refresh_rotates_andReusingARetiredTokenRevokesTheWholeFamily() throws Exception {
    Tokens first = logIn();
    HttpResponse<String> rotated = refresh(first.refreshToken());
    assertThat(rotated.statusCode()).isEqualTo(200);
    Tokens second = Tokens.of(rotated);
    assertThat(second.refreshToken()).isNotEqualTo(first.refreshToken());

    HttpResponse<String> reused = refresh(first.refreshToken());
    assertThat(reused.statusCode()).isEqualTo(401);
    assertThat(DemoHttp.field(reused, "error")).isEqualTo("refresh_token_reused");

    // The current token of the family died with it.
    HttpResponse<String> afterRevocation = refresh(second.refreshToken());
    assertThat(afterRevocation.statusCode()).isEqualTo(401);
    assertThat(DemoHttp.field(afterRevocation, "error")).isEqualTo("refresh_token_revoked");

    assertThat(server.counts("test").refreshCalls()).isEqualTo(3);
    assertThat(server.counts("test").reuseDetections()).isEqualTo(1);
    assertThat(server.counts("test").refreshRejected()).isEqualTo(2);
  }

  @Test
  void refresh_revokesOnlyTheReusedFamily() throws Exception {
    Tokens mine = logIn();
    Tokens other = logIn();
    refresh(mine.refreshToken());
    refresh(mine.refreshToken()); // reuse: my family is revoked

    assertThat(refresh(other.refreshToken()).statusCode()).isEqualTo(200);
  }

  @Test
  void refresh_unknownToken_is401InvalidRefreshToken() throws Exception {
    HttpResponse<String> answer = refresh("never-issued");

    assertThat(answer.statusCode()).isEqualTo(401);
    assertThat(DemoHttp.field(answer, "error")).isEqualTo("invalid_refresh_token");
    assertThat(server.counts("test").reuseDetections()).isZero();
  }

  @Test
  void api_validToken_is200_untilExp_thenExpiredTokenIs401WithInvalidTokenChallenge() throws Exception {
    Tokens tokens = logIn();
    assertThat(get("Bearer " + tokens.accessToken()).statusCode()).isEqualTo(200);

    clock.advance(Duration.ofMillis(2999));
    assertThat(get("Bearer " + tokens.accessToken()).statusCode()).isEqualTo(200);

    clock.advance(Duration.ofMillis(1));
    HttpResponse<String> expired = get("Bearer " + tokens.accessToken());
    assertThat(expired.statusCode()).isEqualTo(401);
    assertThat(expired.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(challenge ->
        assertThat(challenge).startsWith("Bearer ").contains("error=\"invalid_token\"").contains("expired"));
    assertThat(server.counts("test").apiCalls()).isEqualTo(3);
    assertThat(server.counts("test").apiRejected()).isEqualTo(1);
  }

  @Test
  void api_tamperedSignature_is401InvalidToken() throws Exception {
    String token = logIn().accessToken();
    String tampered = token.substring(0, token.length() - 4) + (token.endsWith("AAAA") ? "BBBB" : "AAAA");

    HttpResponse<String> answer = get("Bearer " + tampered);

    assertThat(answer.statusCode()).isEqualTo(401);
    assertThat(answer.headers().firstValue("WWW-Authenticate").orElseThrow()).contains("error=\"invalid_token\"");
  }

  @Test
  void api_noToken_is401ChallengeWithoutErrorCode() throws Exception {
    HttpResponse<String> answer = get(null);

    assertThat(answer.statusCode()).isEqualTo(401);
    assertThat(answer.headers().firstValue("WWW-Authenticate").orElseThrow()).startsWith("Bearer").doesNotContain("error=");
  }

  @Test
  void wrongMethod_is405() throws Exception {
    HttpResponse<String> answer = http.send(HttpRequest.newBuilder(base.resolve("auth/refresh")).GET().build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(answer.statusCode()).isEqualTo(405);
  }

  private Tokens logIn() throws Exception {
    return DemoHttp.logIn(http, base, "test", "alice", "secret");
  }

  private HttpResponse<String> refresh(String refreshToken) throws Exception {
    return post("auth/refresh", Map.of("refreshToken", refreshToken));
  }

  private HttpResponse<String> post(String path, Map<String, String> body) throws Exception {
    return DemoHttp.postJson(http, base, path, "test", body);
  }

  private HttpResponse<String> get(String authorization) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve("api/items"))
        .header(DemoServer.CLIENT_HEADER, "test");
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
