package dev.tokenkeeper.testing;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.tokenkeeper.testing.RecordedTokenRequest.ClientAuthentication;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ScriptedTokenServerTest {

  private static final HttpClient CLIENT =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final Duration WAIT = Duration.ofSeconds(15); // generous: 50 connections at once on a loaded 2-core machine
  private static final String CLIENT_ID = ScriptedTokenServerBuilder.DEFAULT_CLIENT_ID;
  private static final String CLIENT_SECRET = ScriptedTokenServerBuilder.DEFAULT_CLIENT_SECRET;
  private static final Instant T0 = Instant.parse("2030-01-02T03:04:05.250Z");

  private final List<ScriptedTokenServer> servers = new ArrayList<>();

  @AfterEach
  void closeServers() {
    servers.forEach(ScriptedTokenServer::close);
  }

  // ---- grants and client authentication ----

  @Test
  void clientCredentials_basicAuth_issuesBearerJwtWithoutRefreshToken() throws Exception {
    ScriptedTokenServer server = start(ScriptedTokenServer.newBuilder());

    HttpResponse<String> response =
        post(server.uri(), basic(CLIENT_ID, CLIENT_SECRET), "grant_type", "client_credentials",
            "scope", "read write");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type"))
        .hasValue("application/json;charset=UTF-8");
    assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-store");
    assertThat(response.headers().firstValue("Pragma")).hasValue("no-cache");
    Map<String, Object> body = json(response);
    assertThat(body).containsEntry("token_type", "Bearer").containsEntry("expires_in", 300L)
        .containsEntry("scope", "read write").doesNotContainKey("refresh_token");
    JWTClaimsSet claims = verifiedClaims(server, body);
    assertThat(claims.getSubject()).isEqualTo(CLIENT_ID);
    assertThat(claims.getStringClaim("client_id")).isEqualTo(CLIENT_ID);
    assertThat(server.tokenRequests("client_credentials")).isEqualTo(1);
    assertThat(server.requests()).singleElement()
        .satisfies(r -> assertThat(r.clientAuthentication()).isEqualTo(ClientAuthentication.BASIC));
  }

  @Test
  void clientCredentials_postAuth_isAccepted() throws Exception {
    ScriptedTokenServer server = start(ScriptedTokenServer.newBuilder());

    HttpResponse<String> response =
        post(server.uri(), null, "grant_type", "client_credentials", "client_id", CLIENT_ID,
            "client_secret", CLIENT_SECRET);

    assertThat(response.statusCode()).isEqualTo(200);
    RecordedTokenRequest recorded = server.requests().get(0);
    assertThat(recorded.clientAuthentication()).isEqualTo(ClientAuthentication.POST);
    assertThat(recorded.clientId()).isEqualTo(CLIENT_ID);
  }

  @Test
  void clientCredentials_whenConfigured_startsRefreshTokenFamily() throws Exception {
    ScriptedTokenServer server =
        start(ScriptedTokenServer.newBuilder().issueRefreshTokenForClientCredentials(true));

    Map<String, Object> body = json(clientCredentials(server));

    assertThat(body).containsKey("refresh_token");
    assertThat(server.activeFamilies()).isEqualTo(1);
  }

  @Test
  void basicAuth_formUrlEncodesIdAndSecret() throws Exception {
    String id = "app:1 é";
    String secret = "s3cr3t/+&=:%";
    ScriptedTokenServer server = start(ScriptedTokenServer.newBuilder().client(id, secret));
    String raw = "Basic " + Base64.getEncoder().encodeToString((id + ":" + secret).getBytes(UTF_8));

    HttpResponse<String> encoded = post(server.uri(), basic(id, secret),
        "grant_type", "client_credentials");
    HttpResponse<String> unencoded = post(server.uri(), raw, "grant_type", "client_credentials");

    assertThat(encoded.statusCode()).isEqualTo(200);
    assertThat(unencoded.statusCode()).isEqualTo(401);
  }

  @Test
  void wrongOrMissingClientCredentials_return401InvalidClientWithChallenge() throws Exception {
    ScriptedTokenServer server = start(ScriptedTokenServer.newBuilder());

    List<HttpResponse<String>> responses = List.of(
        post(server.uri(), basic(CLIENT_ID, "wrong"), "grant_type", "client_credentials"),
        post(server.uri(), basic("nobody", CLIENT_SECRET), "grant_type", "client_credentials"),
        post(server.uri(), "Basic !!!not-base64", "grant_type", "client_credentials"),
        post(server.uri(), null, "grant_type", "client_credentials", "client_id", CLIENT_ID),
        post(server.uri(), null, "grant_type", "client_credentials"));

    assertThat(responses).allSatisfy(response -> {
      assertThat(response.statusCode()).isEqualTo(401);
      assertThat(error(response)).isEqualTo("invalid_client");
      assertThat(response.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(
          challenge -> assertThat(challenge).startsWith("Basic realm="));
    });
    assertThat(server.issuedAccessTokens()).isZero();
  }

  @Test
  void bothClientAuthMethods_returnInvalidRequest() throws Exception {
    ScriptedTokenServer server = start(ScriptedTokenServer.newBuilder());

    HttpResponse<String> response = post(server.uri(), basic(CLIENT_ID, CLIENT_SECRET),
        "grant_type", "client_credentials", "client_secret", CLIENT_SECRET);

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(error(response)).isEqualTo("invalid_request");
  }

  @Test
  void passwordGrant_issuesTokensForUser_andRejectsWrongPassword() throws Exception {
    ScriptedTokenServer server = start(ScriptedTokenServer.newBuilder());

    HttpResponse<String> ok = password(server, "alice", "wonderland");
    HttpResponse<String> wrong = password(server, "alice", "looking-glass");
    HttpResponse<String> missing =
        post(server.uri(), basic(CLIENT_ID, CLIENT_SECRET), "grant_type", "password");

    Map<String, Object> body = json(ok);
    assertThat(body).containsKey("refresh_token");
    assertThat(verifiedClaims(server, body).getSubject()).isEqualTo("alice");
    assertThat(wrong.statusCode()).isEqualTo(400);
    assertThat(error(wrong)).isEqualTo("invalid_grant");
    assertThat(error(missing)).isEqualTo("invalid_request");
    assertThat(server.tokenRequests("password")).isEqualTo(3);
    assertThat(server.issuedAccessTokens()).isEqualTo(1);
    assertThat(server.activeFamilies()).isEqualTo(1);
  }

  @Test
  void refresh_rotates_thenReplayOfOldTokenRevokesWholeFamily() throws Exception {
    ScriptedTokenServer server = start(ScriptedTokenServer.newBuilder());
    String first = refreshToken(password(server, "alice", "wonderland"));

    HttpResponse<String> rotated = refresh(server, first);
    String second = refreshToken(rotated);
    HttpResponse<String> replay = refresh(server, first);
    HttpResponse<String> newest = refresh(server, second);

    assertThat(rotated.statusCode()).isEqualTo(200);
    assertThat(second).isNotEqualTo(first);
    assertThat(verifiedClaims(server, json(rotated)).getSubject()).isEqualTo("alice");
    assertThat(replay.statusCode()).isEqualTo(400);
    assertThat(json(replay)).containsEntry("error", "invalid_grant")
        .containsEntry("error_description", "refresh token reuse detected");
    assertThat(newest.statusCode()).isEqualTo(400);
    assertThat(error(newest)).isEqualTo("invalid_grant");
    assertThat(server.reuseDetections()).isEqualTo(1);
    assertThat(server.activeFamilies()).isZero();
    assertThat(server.tokenRequests("refresh_token")).isEqualTo(3);
  }

  @Test
  void refresh_rotationOff_returnsSameTokenWhichStaysValid() throws Exception {
    ScriptedTokenServer server =
        start(ScriptedTokenServer.newBuilder().rotateRefreshTokens(false));
    String token = server.issueLogin("alice");

    String afterFirst = refreshToken(refresh(server, token));
    String afterSecond = refreshToken(refresh(server, token));

    assertThat(afterFirst).isEqualTo(token);
    assertThat(afterSecond).isEqualTo(token);
    assertThat(server.issuedAccessTokens()).isEqualTo(2);
  }

  @Test
  void refresh_reuseDetectionOff_refusesReplayButFamilyLivesOn() throws Exception {
    ScriptedTokenServer server = start(ScriptedTokenServer.newBuilder().reuseDetection(false));
    String first = server.issueLogin("alice");
    String second = refreshToken(refresh(server, first));

    HttpResponse<String> replay = refresh(server, first);
    HttpResponse<String> current = refresh(server, second);

    assertThat(error(replay)).isEqualTo("invalid_grant");
    assertThat(current.statusCode()).isEqualTo(200);
    assertThat(server.reuseDetections()).isZero();
    assertThat(server.activeFamilies()).isEqualTo(1);
  }

  @Test
  void refresh_unknownTokenOrOtherClientsToken_isInvalidGrant() throws Exception {
    ScriptedTokenServer server = start(
        ScriptedTokenServer.newBuilder().client("one", "secret-1").client("two", "secret-2"));
    String ownedByTwo = server.issueLogin("two", "alice");

    HttpResponse<String> unknown = post(server.uri(), basic("one", "secret-1"),
        "grant_type", "refresh_token", "refresh_token", "no-such-token");
    HttpResponse<String> foreign = post(server.uri(), basic("one", "secret-1"),
        "grant_type", "refresh_token", "refresh_token", ownedByTwo);
    HttpResponse<String> owner = post(server.uri(), basic("two", "secret-2"),
        "grant_type", "refresh_token", "refresh_token", ownedByTwo);

    assertThat(error(unknown)).isEqualTo("invalid_grant");
    assertThat(error(foreign)).isEqualTo("invalid_grant");
    assertThat(owner.statusCode()).isEqualTo(200);
  }

  @Test
  void malformedRequests_areRejectedWithTheRightError() throws Exception {
    ScriptedTokenServer server = start(ScriptedTokenServer.newBuilder());
    String auth = basic(CLIENT_ID, CLIENT_SECRET);

    HttpResponse<String> unsupported = post(server.uri(), auth, "grant_type", "authorization_code");
    HttpResponse<String> noGrant = post(server.uri(), auth, "scope", "read");
    HttpResponse<String> noToken = post(server.uri(), auth, "grant_type", "refresh_token");
    HttpResponse<String> repeated = send(server.uri(), auth,
        "application/x-www-form-urlencoded", "grant_type=client_credentials&scope=a&scope=b");
    HttpResponse<String> notAForm = send(server.uri(), auth, "application/json",
        "{\"grant_type\":\"client_credentials\"}");
    HttpResponse<String> get = CLIENT.send(HttpRequest.newBuilder(server.uri()).GET().build(),
        BodyHandlers.ofString());

    assertThat(unsupported.statusCode()).isEqualTo(400);
    assertThat(error(unsupported)).isEqualTo("unsupported_grant_type");
    assertThat(List.of(noGrant, noToken, repeated, notAForm)).allSatisfy(response -> {
      assertThat(response.statusCode()).isEqualTo(400);
      assertThat(error(response)).isEqualTo("invalid_request");
    });
    assertThat(get.statusCode()).isEqualTo(405);
    assertThat(get.headers().firstValue("Allow")).hasValue("POST");
    assertThat(server.tokenRequests()).isEqualTo(6);
  }

  // ---- access tokens and time ----

  @Test
  void accessToken_verifiesWithPublicKey_andExpIsIatPlusTtlRoundedUp() throws Exception {
    ScriptedTokenServer server = start(ScriptedTokenServer.newBuilder()
        .clock(InstantSource.fixed(T0))
        .accessTokenTtl(Duration.ofMillis(90_500))
        .issuer("https://issuer.example")
        .audience("https://api.example"));

    Map<String, Object> body = json(password(server, "alice", "wonderland", "scope", "profile"));

    JWTClaimsSet claims = verifiedClaims(server, body);
    long iat = T0.getEpochSecond();
    assertThat(claims.getIssueTime().toInstant()).isEqualTo(Instant.ofEpochSecond(iat));
    assertThat(claims.getExpirationTime().toInstant()).isEqualTo(Instant.ofEpochSecond(iat + 91));
    assertThat(body).containsEntry("expires_in", 91L);
    assertThat(claims.getIssuer()).isEqualTo("https://issuer.example");
    assertThat(claims.getAudience()).containsExactly("https://api.example");
    assertThat(claims.getStringClaim("scope")).isEqualTo("profile");
    assertThat(claims.getStringClaim("client_id")).isEqualTo(CLIENT_ID);
    assertThat(claims.getJWTID()).isNotBlank();
    SignedJWT jwt = SignedJWT.parse((String) body.get("access_token"));
    assertThat(jwt.getHeader().getKeyID()).isEqualTo(server.jwkSet().getKeys().get(0).getKeyID());
  }

  @Test
  void mintAccessToken_andJwksEndpoint_serveTheSameKey() throws Exception {
    ScriptedTokenServer server =
        start(ScriptedTokenServer.newBuilder().clock(InstantSource.fixed(T0)));

    String expired = server.mintAccessToken("bob", Duration.ofSeconds(-30));
    HttpResponse<String> jwks =
        CLIENT.send(HttpRequest.newBuilder(server.jwksUri()).build(), BodyHandlers.ofString());

    SignedJWT jwt = SignedJWT.parse(expired);
    JWKSet keys = JWKSet.parse(jwks.body());
    assertThat(jwt.verify(new RSASSAVerifier(keys.getKeys().get(0).toRSAKey()))).isTrue();
    assertThat(keys.getKeys().get(0).isPrivate()).isFalse();
    JWTClaimsSet claims = jwt.getJWTClaimsSet();
    assertThat(claims.getSubject()).isEqualTo("bob");
    assertThat(claims.getIssuer()).isEqualTo("http://127.0.0.1:" + server.uri().getPort());
    assertThat(claims.getExpirationTime().toInstant()).isEqualTo(Instant.ofEpochSecond(
        T0.getEpochSecond() - 30));
    assertThat(server.issuedAccessTokens()).isZero();
  }

  @Test
  void opaqueTokensAndNoExpiresIn_whenConfigured() throws Exception {
    ScriptedTokenServer server = start(
        ScriptedTokenServer.newBuilder().jwtAccessTokens(false).includeExpiresIn(false));

    Map<String, Object> body = json(clientCredentials(server));

    String token = (String) body.get("access_token");
    assertThat(token).hasSize(43).doesNotContain(".");
    assertThat(body).doesNotContainKey("expires_in");
    assertThatThrownBy(() -> SignedJWT.parse(token)).isInstanceOf(ParseException.class);
  }

  @Test
  void dateHeader_followsTheInjectedClock_orIsAbsentWhenDisabled() throws Exception {
    MutableClock clock = new MutableClock(T0);
    ScriptedTokenServer server = start(ScriptedTokenServer.newBuilder().clock(clock));
    ScriptedTokenServer dateless =
        start(ScriptedTokenServer.newBuilder().clock(clock).sendDateHeader(false));

    HttpResponse<String> before = clientCredentials(server);
    clock.advance(Duration.ofDays(1));
    HttpResponse<String> after = clientCredentials(server);

    assertThat(before.headers().firstValue("Date")).hasValue("Wed, 02 Jan 2030 03:04:05 GMT");
    assertThat(after.headers().firstValue("Date")).hasValue("Thu, 03 Jan 2030 03:04:05 GMT");
    assertThat(verifiedClaims(server, json(after)).getIssueTime().toInstant())
        .isEqualTo(Instant.parse("2030-01-03T03:04:05Z"));
    assertThat(clientCredentials(dateless).headers().firstValue("Date")).isEmpty();
  }

  // ---- revocation ----

  @Test
  void revocation_revokesTheWholeFamily_andAnswers200ForUnknownTokens() throws Exception {
    ScriptedTokenServer server = start(ScriptedTokenServer.newBuilder());
    String first = server.issueLogin("alice");
    String second = refreshToken(refresh(server, first));

    HttpResponse<String> revoked =
        post(server.revocationUri(), basic(CLIENT_ID, CLIENT_SECRET), "token", first);
    HttpResponse<String> unknown =
        post(server.revocationUri(), basic(CLIENT_ID, CLIENT_SECRET), "token", "no-such-token");
    HttpResponse<String> badClient =
        post(server.revocationUri(), basic(CLIENT_ID, "wrong"), "token", second);

    assertThat(revoked.statusCode()).isEqualTo(200);
    assertThat(unknown.statusCode()).isEqualTo(200);
    assertThat(badClient.statusCode()).isEqualTo(401);
    assertThat(error(refresh(server, second))).isEqualTo("invalid_grant");
    assertThat(server.revocations()).isEqualTo(1);
    assertThat(server.activeFamilies()).isZero();
    assertThat(server.reuseDetections()).isZero();
  }

  // ---- faults ----

  static Stream<Fault> answeringFaults() {
    return Stream.of(Fault.status(500), Fault.status(503), Fault.retryAfter(429, WAIT),
        Fault.malformedJson(), Fault.html(502), Fault.emptyBody(500),
        Fault.json(200, "{\"token_type\":\"Bearer\"}"), Fault.invalidGrant(),
        Fault.invalidClient(), Fault.oauthError(400, "invalid_scope"));
  }

  @ParameterizedTest
  @MethodSource("answeringFaults")
  void answeringFault_neitherConsumesNorRotatesTheRefreshToken(Fault fault) throws Exception {
    ScriptedTokenServer server = start(ScriptedTokenServer.newBuilder());
    String token = server.issueLogin("alice");
    server.enqueue(fault);

    HttpResponse<String> faulted = refresh(server, token);
    HttpResponse<String> next = refresh(server, token);

    assertThat(faulted.statusCode()).isEqualTo(fault.status());
    assertThat(next.statusCode()).isEqualTo(200);
    assertThat(server.tokenRequests()).isEqualTo(2);
    assertThat(server.issuedAccessTokens()).isEqualTo(1);
    assertThat(server.requests()).extracting(RecordedTokenRequest::fault).containsExactly(fault,
        null);
  }

  @Test
  void statusAndRetryAfterFaults_sendStatusHeaderAndOAuthErrorBody() throws Exception {
    ScriptedTokenServer server = start(ScriptedTokenServer.newBuilder());
    server.enqueue(Fault.status(503), Fault.retryAfter(429, Duration.ofMillis(1500)),
        Fault.invalidClient());

    HttpResponse<String> unavailable = clientCredentials(server);
    HttpResponse<String> tooMany = clientCredentials(server);
    HttpResponse<String> invalidClient = clientCredentials(server);

    assertThat(unavailable.statusCode()).isEqualTo(503);
    assertThat(error(unavailable)).isEqualTo("temporarily_unavailable");
    assertThat(tooMany.statusCode()).isEqualTo(429);
    assertThat(tooMany.headers().firstValue("Retry-After")).hasValue("2");
    assertThat(invalidClient.statusCode()).isEqualTo(401);
    assertThat(json(invalidClient)).isEqualTo(Map.of("error", "invalid_client"));
    assertThat(invalidClient.headers().firstValue("WWW-Authenticate")).isPresent();
  }

  @Test
  void bodyFaults_sendExactlyTheScriptedBody() throws Exception {
    ScriptedTokenServer server = start(ScriptedTokenServer.newBuilder());
    server.enqueue(Fault.malformedJson(), Fault.html(502), Fault.emptyBody(500),
        Fault.json(200, "{\"token_type\":\"Bearer\"}"));

    HttpResponse<String> malformed = clientCredentials(server);
    HttpResponse<String> html = clientCredentials(server);
    HttpResponse<String> empty = clientCredentials(server);
    HttpResponse<String> custom = clientCredentials(server);

    assertThat(malformed.statusCode()).isEqualTo(200);
    assertThat(malformed.body()).isEqualTo("{\"access_token\": \"abc\"");
    assertThatThrownBy(() -> json(malformed)).isInstanceOf(ParseException.class);
    assertThat(html.headers().firstValue("Content-Type")).hasValue("text/html;charset=UTF-8");
    assertThat(html.body()).startsWith("<!DOCTYPE html>");
    assertThat(empty.statusCode()).isEqualTo(500);
    assertThat(empty.body()).isEmpty();
    assertThat(custom.body()).isEqualTo("{\"token_type\":\"Bearer\"}");
    assertThat(server.issuedAccessTokens()).isZero();
  }

  @Test
  void dropConnection_failsTheClientWithIOException() throws Exception {
    ScriptedTokenServer server = start(ScriptedTokenServer.newBuilder());
    server.enqueue(Fault.dropConnection());

    assertThatThrownBy(() -> clientCredentials(server)).isInstanceOf(IOException.class);
    assertThat(clientCredentials(server).statusCode()).isEqualTo(200);
    assertThat(server.tokenRequests()).isEqualTo(2);
  }

  @Test
  void omitRefreshToken_servesWithoutNewTokenAndOldOneStaysValid() throws Exception {
    ScriptedTokenServer server = start(ScriptedTokenServer.newBuilder());
    String token = server.issueLogin("alice");
    server.enqueue(Fault.omitRefreshToken());

    Map<String, Object> omitted = json(refresh(server, token));
    HttpResponse<String> next = refresh(server, token);

    assertThat(omitted).containsKey("access_token").doesNotContainKey("refresh_token");
    assertThat(next.statusCode()).isEqualTo(200);
    assertThat(refreshToken(next)).isNotEqualTo(token);
    assertThat(server.reuseDetections()).isZero();
  }

  @Test
  void faults_areConsumedInOrder_thenStandingFaultUntilCleared() throws Exception {
    ScriptedTokenServer server = start(ScriptedTokenServer.newBuilder());
    server.enqueue(Fault.status(500), Fault.status(502));
    server.failAll(Fault.status(503));

    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      statuses.add(clientCredentials(server).statusCode());
    }
    server.clearFaults();
    statuses.add(clientCredentials(server).statusCode());

    assertThat(statuses).containsExactly(500, 502, 503, 503, 200);
  }

  @Test
  void delay_servesNormallyAfterRealWait() throws Exception {
    ScriptedTokenServer server = start(ScriptedTokenServer.newBuilder());
    server.enqueue(Fault.delay(Duration.ofMillis(100)));

    long start = System.nanoTime();
    HttpResponse<String> response = clientCredentials(server);

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(
        Duration.ofMillis(100));
    assertThat(response.statusCode()).isEqualTo(200);
  }

  @Test
  void hold_blocksOnlyThatRequestUntilReleased() throws Exception {
    ScriptedTokenServer server = start(ScriptedTokenServer.newBuilder());
    CountDownLatch release = new CountDownLatch(1);
    server.enqueue(Fault.hold(release));

    CompletableFuture<HttpResponse<String>> held = clientCredentialsAsync(server);
    assertThat(server.awaitTokenRequests(1, WAIT)).isTrue();
    HttpResponse<String> other = clientCredentials(server);

    assertThat(other.statusCode()).isEqualTo(200);
    assertThat(held).isNotDone();
    release.countDown();
    assertThat(held.get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    assertThat(server.issuedAccessTokens()).isEqualTo(2);
  }

  @Test
  void close_releasesHeldRequestAndStopsAllServerThreads() throws Exception {
    ScriptedTokenServer server = start(ScriptedTokenServer.newBuilder());
    server.enqueue(Fault.hold(new CountDownLatch(1)), Fault.delay(Duration.ofHours(1)));
    CompletableFuture<HttpResponse<String>> held = clientCredentialsAsync(server);
    CompletableFuture<HttpResponse<String>> delayed = clientCredentialsAsync(server);
    assertThat(server.awaitTokenRequests(2, WAIT)).isTrue();

    server.close();

    for (CompletableFuture<HttpResponse<String>> call : List.of(held, delayed)) {
      assertThatThrownBy(() -> call.get(5, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(IOException.class);
    }
    String prefix = "scripted-token-server-" + server.uri().getPort() + "-";
    for (Thread thread : Thread.getAllStackTraces().keySet()) {
      if (thread.getName().startsWith(prefix)) {
        thread.join(WAIT.toMillis()); // a worker may still be unwinding after termination
        assertThat(thread.isAlive()).as(thread.getName()).isFalse();
      }
    }
  }

  @Test
  void awaitTokenRequests_returnsFalseWithoutEnoughRequests() throws Exception {
    ScriptedTokenServer server = start(ScriptedTokenServer.newBuilder());

    assertThat(server.awaitTokenRequests(0, Duration.ZERO)).isTrue();
    assertThat(server.awaitTokenRequests(1, Duration.ZERO)).isFalse();
  }

  // ---- concurrency, logging, transport ----

  @Test
  void fiftyConcurrentRefreshes_ofSeparateFamilies_allSucceedWithExactCounts() throws Exception {
    ScriptedTokenServer server = start(ScriptedTokenServer.newBuilder());
    int callers = 50;
    List<String> tokens = new ArrayList<>();
    for (int i = 0; i < callers; i++) {
      tokens.add(server.issueLogin("user-" + i));
    }
    CountDownLatch startGate = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(callers);
    try {
      List<Future<HttpResponse<String>>> calls = new ArrayList<>();
      for (String token : tokens) {
        calls.add(pool.submit(() -> {
          startGate.await();
          return refresh(server, token);
        }));
      }
      startGate.countDown();

      Set<String> newTokens = new HashSet<>();
      for (Future<HttpResponse<String>> call : calls) {
        HttpResponse<String> response = call.get(30, TimeUnit.SECONDS);
        assertThat(response.statusCode()).isEqualTo(200);
        newTokens.add(refreshToken(response));
      }
      assertThat(newTokens).hasSize(callers).doesNotContainAnyElementsOf(tokens);
    } finally {
      pool.shutdownNow();
    }
    assertThat(server.tokenRequests()).isEqualTo(callers);
    assertThat(server.tokenRequests("refresh_token")).isEqualTo(callers);
    assertThat(server.issuedAccessTokens()).isEqualTo(callers);
    assertThat(server.reuseDetections()).isZero();
    assertThat(server.activeFamilies()).isEqualTo(callers);
  }

  @Test
  void requestLog_recordsParametersButNeverSecrets() throws Exception {
    ScriptedTokenServer server =
        start(ScriptedTokenServer.newBuilder().clock(InstantSource.fixed(T0)));
    String token = refreshToken(post(server.uri(), null, "grant_type", "password",
        "client_id", CLIENT_ID, "client_secret", CLIENT_SECRET,
        "username", "alice", "password", "wonderland"));
    String rotated = refreshToken(refresh(server, token, "audience", "https://api.example",
        "resource", "https://res.example", "scope", "read"));

    List<RecordedTokenRequest> requests = server.requests();

    assertThat(requests).extracting(RecordedTokenRequest::grantType)
        .containsExactly("password", "refresh_token");
    RecordedTokenRequest login = requests.get(0);
    assertThat(login.receivedAt()).isEqualTo(T0);
    assertThat(login.parameter("username")).isEqualTo("alice");
    assertThat(login.parameter("password")).isEqualTo(RecordedTokenRequest.REDACTED);
    assertThat(login.parameter("client_secret")).isEqualTo(RecordedTokenRequest.REDACTED);
    RecordedTokenRequest refresh = requests.get(1);
    assertThat(refresh.parameter("refresh_token")).isEqualTo(RecordedTokenRequest.REDACTED);
    assertThat(refresh.parameter("audience")).isEqualTo("https://api.example");
    assertThat(refresh.parameter("resource")).isEqualTo("https://res.example");
    assertThat(refresh.scope()).isEqualTo("read");
    assertThat(refresh.clientAuthentication()).isEqualTo(ClientAuthentication.BASIC);
    String everything = requests + " " + server;
    assertThat(everything).doesNotContain(CLIENT_SECRET, "wonderland", token, rotated);
  }

  @Test
  void chunkedHttp11Request_isServed() throws Exception {
    ScriptedTokenServer server = start(ScriptedTokenServer.newBuilder());
    HttpClient http11 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    byte[] form = "grant_type=client_credentials".getBytes(UTF_8);

    HttpResponse<String> response = http11.send(HttpRequest.newBuilder(server.uri())
        .header("Authorization", basic(CLIENT_ID, CLIENT_SECRET))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(form)))
        .build(), BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
  }

  // ---- configuration and lifecycle ----

  @Test
  void builderAndFaults_rejectInvalidArgumentsSayingWhy() {
    ScriptedTokenServerBuilder builder = ScriptedTokenServer.newBuilder().client("a", "s");

    assertThatThrownBy(() -> builder.accessTokenTtl(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be positive");
    assertThatThrownBy(() -> builder.client("a", "t"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already registered");
    assertThatThrownBy(() -> builder.client("", "t"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("client id");
    assertThatThrownBy(() -> builder.clients(Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one");
    assertThatThrownBy(() -> builder.issuer(" "))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("issuer");
    assertThatThrownBy(() -> builder.clock(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> Fault.status(99))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("99");
    assertThatThrownBy(() -> Fault.delay(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative");
    assertThat(Fault.json(200, "{\"secret\":\"s3\"}").toString()).isEqualTo("Fault.json(200)");
  }

  @Test
  void lifecycle_usesOfAnUnstartedOrClosedServer_failClearly() {
    ScriptedTokenServer server = ScriptedTokenServer.newBuilder().build();
    servers.add(server);

    assertThatThrownBy(server::uri).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("start()");
    assertThatThrownBy(() -> server.issueLogin("nobody-client", "alice"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not registered");
    server.start();
    assertThatThrownBy(server::start).isInstanceOf(IllegalStateException.class);
    server.close();
    server.close();
    assertThatThrownBy(server::start).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  // ---- helpers ----

  private ScriptedTokenServer start(ScriptedTokenServerBuilder builder) {
    ScriptedTokenServer server = builder.build();
    servers.add(server);
    return server.start();
  }

  private static HttpResponse<String> clientCredentials(ScriptedTokenServer server)
      throws IOException, InterruptedException {
    return post(server.uri(), basic(CLIENT_ID, CLIENT_SECRET), "grant_type", "client_credentials");
  }

  private static CompletableFuture<HttpResponse<String>> clientCredentialsAsync(
      ScriptedTokenServer server) {
    return CLIENT.sendAsync(formRequest(server.uri(), basic(CLIENT_ID, CLIENT_SECRET),
        "grant_type", "client_credentials"), BodyHandlers.ofString());
  }

  private static HttpResponse<String> password(
      ScriptedTokenServer server, String username, String password, String... more)
      throws IOException, InterruptedException {
    List<String> form = new ArrayList<>(
        List.of("grant_type", "password", "username", username, "password", password));
    form.addAll(List.of(more));
    return post(server.uri(), basic(CLIENT_ID, CLIENT_SECRET), form.toArray(String[]::new));
  }

  private static HttpResponse<String> refresh(
      ScriptedTokenServer server, String refreshToken, String... more)
      throws IOException, InterruptedException {
    List<String> form =
        new ArrayList<>(List.of("grant_type", "refresh_token", "refresh_token", refreshToken));
    form.addAll(List.of(more));
    return post(server.uri(), basic(CLIENT_ID, CLIENT_SECRET), form.toArray(String[]::new));
  }

  private static HttpResponse<String> post(URI uri, @Nullable String authorization,
      String... nameValuePairs) throws IOException, InterruptedException {
    return CLIENT.send(formRequest(uri, authorization, nameValuePairs), BodyHandlers.ofString());
  }

  private static HttpResponse<String> send(URI uri, String authorization, String contentType,
      String body) throws IOException, InterruptedException {
    return CLIENT.send(HttpRequest.newBuilder(uri).header("Authorization", authorization)
        .header("Content-Type", contentType).POST(BodyPublishers.ofString(body)).build(),
        BodyHandlers.ofString());
  }

  private static HttpRequest formRequest(
      URI uri, @Nullable String authorization, String... nameValuePairs) {
    Map<String, String> form = new LinkedHashMap<>();
    for (int i = 0; i < nameValuePairs.length; i += 2) {
      form.put(nameValuePairs[i], nameValuePairs[i + 1]);
    }
    String body = form.entrySet().stream()
        .map(e -> encode(e.getKey()) + "=" + encode(e.getValue()))
        .collect(Collectors.joining("&"));
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(WAIT)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(BodyPublishers.ofString(body));
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return request.build();
  }

  /** client_secret_basic per RFC 6749 section 2.3.1: id and secret form-urlencoded first. */
  private static String basic(String id, String secret) {
    String credentials = encode(id) + ":" + encode(secret);
    return "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(UTF_8));
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, UTF_8);
  }

  private static Map<String, Object> json(HttpResponse<String> response) throws ParseException {
    return JSONObjectUtils.parse(response.body());
  }

  private static String error(HttpResponse<String> response) throws ParseException {
    return (String) json(response).get("error");
  }

  private static String refreshToken(HttpResponse<String> response) throws ParseException {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return (String) json(response).get("refresh_token");
  }

  private static JWTClaimsSet verifiedClaims(ScriptedTokenServer server, Map<String, Object> body)
      throws Exception {
    SignedJWT jwt = SignedJWT.parse((String) body.get("access_token"));
    assertThat(jwt.verify(new RSASSAVerifier(server.publicKey()))).isTrue();
    return jwt.getJWTClaimsSet();
  }

  /** A clock the test moves by hand. */
  private static final class MutableClock implements InstantSource {
    private volatile Instant now;

    MutableClock(Instant start) {
      this.now = start;
    }

    void advance(Duration duration) {
      now = now.plus(duration);
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
