package dev.tokenkeeper.testing;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link ScriptedTokenServerBuilder#reuseGraceWindow}: the just-retired refresh token presented
 * within the window redeems to the family's current pair; outside it, reuse detection as always.
 * Time moves on the injected {@link TestClock}; nothing sleeps.
 */
class ReuseGraceWindowTest {

  private static final HttpClient CLIENT =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final Duration WINDOW = Duration.ofSeconds(30);

  private final TestClock clock = new TestClock();
  private final List<ScriptedTokenServer> servers = new ArrayList<>();

  @AfterEach
  void closeServers() {
    servers.forEach(ScriptedTokenServer::close);
  }

  @Test
  void previousToken_atTheEndOfTheWindow_returnsTheCurrentPair_andTheFamilyLivesOn()
      throws Exception {
    ScriptedTokenServer server = start(WINDOW);
    String first = server.issueLogin("alice");
    Map<String, Object> rotated = ok(refresh(server, first));
    String second = (String) rotated.get("refresh_token");
    clock.advance(WINDOW); // the window includes its last millisecond

    Map<String, Object> forgiven = ok(refresh(server, first));

    assertThat(forgiven.get("refresh_token")).isEqualTo(second); // current, not rotated again
    assertThat(forgiven.get("access_token")).isNotEqualTo(rotated.get("access_token"));
    assertThat(server.graceReuses()).isEqualTo(1);
    assertThat(server.reuseDetections()).isZero();
    assertThat(server.activeFamilies()).isEqualTo(1);
    assertThat(server.issuedAccessTokens()).isEqualTo(2);
    // The family goes on rotating from the current token.
    String third = (String) ok(refresh(server, second)).get("refresh_token");
    assertThat(third).isNotIn(first, second);
    assertThat(server.graceReuses()).isEqualTo(1);
  }

  @Test
  void previousToken_oneMillisecondAfterTheWindow_isReuse_andRevokesTheFamily() throws Exception {
    ScriptedTokenServer server = start(WINDOW);
    String first = server.issueLogin("alice");
    String second = (String) ok(refresh(server, first)).get("refresh_token");
    clock.advance(WINDOW.plusMillis(1));

    HttpResponse<String> replay = refresh(server, first);

    assertThat(replay.statusCode()).isEqualTo(400);
    assertThat(json(replay)).containsEntry("error", "invalid_grant")
        .containsEntry("error_description", "refresh token reuse detected");
    assertThat(server.graceReuses()).isZero();
    assertThat(server.reuseDetections()).isEqualTo(1);
    assertThat(server.activeFamilies()).isZero();
    assertThat(refresh(server, second).statusCode()).isEqualTo(400); // the whole family
  }

  @Test
  void tokenTwoRotationsOld_isReuse_evenWithinTheWindow() throws Exception {
    ScriptedTokenServer server = start(WINDOW);
    String first = server.issueLogin("alice");
    String second = (String) ok(refresh(server, first)).get("refresh_token");
    ok(refresh(server, second));

    HttpResponse<String> replay = refresh(server, first);

    assertThat(json(replay)).containsEntry("error_description", "refresh token reuse detected");
    assertThat(server.graceReuses()).isZero();
    assertThat(server.reuseDetections()).isEqualTo(1);
  }

  @Test
  void noWindowByDefault_previousTokenAtOnce_isReuse() throws Exception {
    ScriptedTokenServer server = start(ScriptedTokenServer.newBuilder().clock(clock));
    String first = server.issueLogin("alice");
    ok(refresh(server, first));

    HttpResponse<String> replay = refresh(server, first);

    assertThat(json(replay)).containsEntry("error_description", "refresh token reuse detected");
    assertThat(server.graceReuses()).isZero();
    assertThat(server.reuseDetections()).isEqualTo(1);
  }

  @Test
  void windowWithReuseDetectionOff_forgivesWithinAndRefusesAfter_familyLivesOn() throws Exception {
    ScriptedTokenServer server =
        start(ScriptedTokenServer.newBuilder().clock(clock).reuseDetection(false)
            .reuseGraceWindow(WINDOW));
    String first = server.issueLogin("alice");
    String second = (String) ok(refresh(server, first)).get("refresh_token");

    assertThat(ok(refresh(server, first)).get("refresh_token")).isEqualTo(second);
    clock.advance(WINDOW.plusMillis(1));
    HttpResponse<String> late = refresh(server, first);

    assertThat(json(late)).containsEntry("error_description", "refresh token was already used");
    assertThat(server.graceReuses()).isEqualTo(1);
    assertThat(server.reuseDetections()).isZero();
    assertThat(server.activeFamilies()).isEqualTo(1);
  }

  /**
   * The crash the window exists for: the server rotated and holds its answer (the client dies with
   * it); the next client presents the token it saved, the one just retired.
   */
  @Test
  void holdResponse_rotatesBeforeAnswering_andTheSavedTokenIsForgivenWithinTheWindow()
      throws Exception {
    ScriptedTokenServer server = start(WINDOW);
    String saved = server.issueLogin("alice");
    CountDownLatch release = new CountDownLatch(1);
    server.enqueue(Fault.holdResponse(release));
    CompletableFuture<HttpResponse<String>> lost = refreshAsync(server, saved);
    await().atMost(WAIT).until(() -> server.issuedAccessTokens() == 1); // rotated, answer held
    assertThat(lost).isNotDone();
    clock.advance(Duration.ofSeconds(10));

    Map<String, Object> recovered = ok(refresh(server, saved));
    release.countDown();
    Map<String, Object> lateAnswer = ok(lost.get(WAIT.toSeconds(), TimeUnit.SECONDS));

    assertThat(recovered.get("refresh_token")).isEqualTo(lateAnswer.get("refresh_token"));
    assertThat(recovered.get("refresh_token")).isNotEqualTo(saved);
    assertThat(server.graceReuses()).isEqualTo(1);
    assertThat(server.reuseDetections()).isZero();
    assertThat(server.requests().get(0).fault()).hasToString("Fault.holdResponse");
  }

  @Test
  void holdResponse_withoutAWindow_theSavedTokenIsReuse_theSessionIsLost() throws Exception {
    ScriptedTokenServer server = start(ScriptedTokenServer.newBuilder().clock(clock));
    String saved = server.issueLogin("alice");
    CountDownLatch release = new CountDownLatch(1);
    server.enqueue(Fault.holdResponse(release));
    CompletableFuture<HttpResponse<String>> lost = refreshAsync(server, saved);
    await().atMost(WAIT).until(() -> server.issuedAccessTokens() == 1);

    HttpResponse<String> next = refresh(server, saved);
    release.countDown();

    assertThat(json(next)).containsEntry("error_description", "refresh token reuse detected");
    assertThat(server.activeFamilies()).isZero();
    assertThat(lost.get(WAIT.toSeconds(), TimeUnit.SECONDS).statusCode()).isEqualTo(200);
  }

  @Test
  void builder_rejectsANegativeWindow_andToStringShowsIt() {
    ScriptedTokenServerBuilder builder = ScriptedTokenServer.newBuilder();

    assertThatThrownBy(() -> builder.reuseGraceWindow(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("zero (none) or positive");
    assertThatThrownBy(() -> builder.reuseGraceWindow(null))
        .isInstanceOf(NullPointerException.class);
    assertThat(builder.reuseGraceWindow(WINDOW).build().toString())
        .contains("reuseGraceWindow=PT30S");
  }

  // ---- helpers ----

  private ScriptedTokenServer start(Duration window) {
    return start(ScriptedTokenServer.newBuilder().clock(clock).reuseGraceWindow(window));
  }

  private ScriptedTokenServer start(ScriptedTokenServerBuilder builder) {
    ScriptedTokenServer server = builder.build();
    servers.add(server);
    return server.start();
  }

  private static HttpResponse<String> refresh(ScriptedTokenServer server, String refreshToken)
      throws Exception {
    return CLIENT.send(refreshRequest(server.uri(), refreshToken), BodyHandlers.ofString());
  }

  private static CompletableFuture<HttpResponse<String>> refreshAsync(
      ScriptedTokenServer server, String refreshToken) {
    return CLIENT.sendAsync(refreshRequest(server.uri(), refreshToken), BodyHandlers.ofString());
  }

  private static HttpRequest refreshRequest(URI uri, String refreshToken) {
    String credentials = ScriptedTokenServerBuilder.DEFAULT_CLIENT_ID + ":"
        + ScriptedTokenServerBuilder.DEFAULT_CLIENT_SECRET;
    return HttpRequest.newBuilder(uri).timeout(WAIT)
        .header("Authorization",
            "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(UTF_8)))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(BodyPublishers.ofString(
            "grant_type=refresh_token&refresh_token=" + URLEncoder.encode(refreshToken, UTF_8)))
        .build();
  }

  private static Map<String, Object> ok(HttpResponse<String> response) throws ParseException {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return json(response);
  }

  private static Map<String, Object> json(HttpResponse<String> response) throws ParseException {
    return JSONObjectUtils.parse(response.body());
  }
}
