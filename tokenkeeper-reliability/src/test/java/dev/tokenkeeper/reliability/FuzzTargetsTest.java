package dev.tokenkeeper.reliability;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tokenkeeper.TokenEndpointException;
import dev.tokenkeeper.TokenResponse;
import dev.tokenkeeper.internal.Expiry;
import dev.tokenkeeper.internal.HttpEndpoint;
import dev.tokenkeeper.internal.JwtTimes;
import dev.tokenkeeper.internal.OAuth2Calls;
import java.time.Duration;
import java.time.Instant;

/**
 * Jazzer fuzz targets for the code that reads what a token endpoint sends: JWT expiry decoding and
 * token response parsing. The only allowed outcomes are a result or the documented typed
 * exception; anything else escapes the target and Jazzer reports it as a finding.
 *
 * <p>{@code mvn test} replays the inputs under {@code src/test/resources} (regression mode).
 * {@code JAZZER_FUZZ=1 mvn -pl tokenkeeper-reliability test -Dtest='FuzzTargetsTest#tokenResponse'}
 * fuzzes one target for its {@code maxDuration}; .ci/run does so for each target.
 */
class FuzzTargetsTest {
  private static final Instant SENT = Instant.parse("2026-06-01T00:00:00Z");

  /** Any string as an access token: decoding never throws; a non-JWT is simply opaque. */
  @FuzzTest(maxDuration = "15s")
  void jwtExpiry(FuzzedDataProvider data) {
    String token = data.consumeRemainingAsString();
    JwtTimes.decode(token);
    TokenResponse response;
    try {
      response = TokenResponse.bearer(token).withExpiresIn(Duration.ofSeconds(60)).withServerDate(SENT);
    } catch (IllegalArgumentException notHeaderSafe) {
      return; // documented: empty, or a character not allowed in an HTTP header
    }
    Expiry.compute(response, SENT);
  }

  /** Structured JWT-like strings: three base64url parts with fuzzed JSON payloads. */
  @FuzzTest(maxDuration = "15s")
  void jwtClaims(FuzzedDataProvider data) {
    java.util.Base64.Encoder b64 = java.util.Base64.getUrlEncoder().withoutPadding();
    String header = b64.encodeToString(data.consumeString(64).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    String payload = "{\"exp\":" + data.consumeString(24) + ",\"iat\":" + data.consumeString(24) + "}";
    String token = header + "." + b64.encodeToString(payload.getBytes(java.nio.charset.StandardCharsets.UTF_8)) + "."
        + b64.encodeToString(data.consumeRemainingAsBytes());
    JwtTimes.decode(token);
    Expiry.compute(TokenResponse.bearer(token).withServerDate(SENT), SENT);
  }

  /** Any body, content type and status as a token endpoint answer. */
  @FuzzTest(maxDuration = "15s")
  void tokenResponse(FuzzedDataProvider data) {
    int status = data.consumeInt(100, 599);
    String contentType = data.consumeBoolean() ? "application/json" : data.consumeString(40);
    byte[] body = data.consumeRemainingAsBytes();
    HttpEndpoint.Answer answer = new HttpEndpoint.Answer(status, contentType, body, SENT, null);
    if (answer.isSuccess()) {
      try {
        TokenResponse response = OAuth2Calls.parse(answer);
        Expiry.compute(response, SENT);
      } catch (TokenEndpointException documented) {
        // the typed failure
      }
    } else {
      HttpEndpoint.failure(answer, HttpEndpoint.errorJson(answer));
    }
  }
}
