package dev.tokenkeeper.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.nimbusds.jose.util.Base64URL;
import dev.tokenkeeper.AccessToken;
import dev.tokenkeeper.TokenResponse;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Expiry on the local clock from JWT claims, expires_in and the Date header; bad input. */
class ExpiryTest {
  private static final Instant SENT = Instant.parse("2026-03-01T12:00:00Z");

  private static String jwt(String payloadJson) {
    return Base64URL.encode("{\"alg\":\"none\"}") + "." + Base64URL.encode(payloadJson) + ".";
  }

  private static Instant expiresAt(TokenResponse response) {
    return Expiry.compute(response, SENT).token().expiresAt();
  }

  @Test
  void opaqueToken_expiresInCountedFromTheMomentTheRequestWasSent() {
    assertThat(expiresAt(TokenResponse.bearer("opaque").withExpiresIn(Duration.ofSeconds(300))))
        .isEqualTo(SENT.plusSeconds(300));
  }

  @Test
  void noExpiryAtAll_isUnknown() {
    AccessToken token = Expiry.compute(TokenResponse.bearer("opaque"), SENT).token();
    assertThat(token.expiresAt()).isNull();
    assertThat(token.hasKnownExpiry()).isFalse();
  }

  @Test
  void jwtWithExpOnly_takenAtFaceValue() {
    long exp = SENT.getEpochSecond() + 600;
    assertThat(expiresAt(TokenResponse.bearer(jwt("{\"exp\":" + exp + "}")))).isEqualTo(SENT.plusSeconds(600));
  }

  @Test
  void jwtFromAServerWhoseClockIsAhead_iatCorrectsTheSkew() {
    long iat = SENT.getEpochSecond() + 3600; // server one hour ahead
    Expiry.Result result = Expiry.compute(
        TokenResponse.bearer(jwt("{\"iat\":" + iat + ",\"exp\":" + (iat + 300) + "}")), SENT);
    assertThat(result.token().expiresAt()).isEqualTo(SENT.plusSeconds(300));
    assertThat(result.skew()).isEqualTo(Duration.ofHours(1));
  }

  @Test
  void oldTokenWithoutDateHeader_isNotMistakenForSkew() {
    // A token the application held for 30 min of its 60: iat looks like a 30 min skew, but without
    // a Date header exp itself is the safer reading.
    long iat = SENT.getEpochSecond() - 1800;
    assertThat(expiresAt(TokenResponse.bearer(jwt("{\"iat\":" + iat + ",\"exp\":" + (iat + 3600) + "}"))))
        .isEqualTo(SENT.plusSeconds(1800));
  }

  @Test
  void jwtFromAServerWhoseClockIsBehind_dateHeaderCorrectsTheSkew() {
    Instant serverNow = SENT.minusSeconds(600);
    long exp = serverNow.getEpochSecond() + 300;
    Expiry.Result result = Expiry.compute(
        TokenResponse.bearer(jwt("{\"exp\":" + exp + "}")).withServerDate(serverNow), SENT);
    // Taken at face value the token would look expired already; it has 300 s left.
    assertThat(result.token().expiresAt()).isEqualTo(SENT.plusSeconds(300));
    // Date is whole seconds: the server's clock is between 600 and 599 s behind; the smallest
    // difference that reading allows is reported.
    assertThat(result.skew()).isEqualTo(Duration.ofSeconds(-599));
  }

  @Test
  void slowEndpoint_latencyIsNeverTakenForSkew() {
    // One clock, a 2.4 s endpoint: Date says 12:00:02, stamped when the answer left. Counted from the
    // send time that looked like +2 s of skew; the interval [sent, received] shows it is none.
    Instant received = SENT.plusMillis(2_400);
    long iat = SENT.getEpochSecond() + 2;
    TokenResponse response = TokenResponse.bearer(jwt("{\"iat\":" + iat + ",\"exp\":" + (iat + 5) + "}"))
        .withServerDate(SENT.plusSeconds(2));
    Expiry.Result result = Expiry.compute(response, SENT, received);
    assertThat(result.skew()).isEqualTo(Duration.ZERO);
    assertThat(result.token().expiresAt()).isEqualTo(Instant.ofEpochSecond(iat + 5)); // exp, exactly
    assertThat(result.laterExpiryFrom()).isEqualTo(Instant.ofEpochSecond(iat + 1));
  }

  @Test
  void dateFromAnotherClockThanIat_noLaterExpiryBound_soNoRefreshIsHeldBack() {
    // A gateway's Date a day behind the token service's iat: which clock is right is unknowable,
    // and a bound computed from either could hold refreshes back for a day.
    long iat = SENT.getEpochSecond();
    TokenResponse response = TokenResponse.bearer(jwt("{\"iat\":" + iat + ",\"exp\":" + (iat + 3) + "}"))
        .withServerDate(SENT.minus(Duration.ofDays(1)));
    Expiry.Result result = Expiry.compute(response, SENT, SENT.plusMillis(20));
    assertThat(result.skew()).isNotEqualTo(Duration.ZERO);
    assertThat(result.laterExpiryFrom()).isNull();
    assertThat(result.token().expiresAt()).isEqualTo(SENT.plusSeconds(3));
  }

  @Test
  void skewLargerThanTheUncertainty_isReportedAsItsSmallestPossibleValue() {
    Instant received = SENT.plusMillis(500);
    Instant serverNow = SENT.plusSeconds(30); // 29.5 to 31 s ahead
    long exp = serverNow.getEpochSecond() + 60;
    Expiry.Result result = Expiry.compute(
        TokenResponse.bearer(jwt("{\"exp\":" + exp + "}")).withServerDate(serverNow), SENT, received);
    assertThat(result.skew()).isEqualTo(Duration.ofMillis(29_500));
    assertThat(result.token().expiresAt()).isEqualTo(SENT.plusSeconds(60)); // exp - Date, from the send
  }

  @Test
  void cachedHalfUsedTokenFromTheServer_dateHeaderGivesTheTrueRemainder() {
    Instant serverNow = SENT;
    long iat = SENT.getEpochSecond() - 3000;
    long exp = SENT.getEpochSecond() + 600;
    TokenResponse response = TokenResponse.bearer(jwt("{\"iat\":" + iat + ",\"exp\":" + exp + "}"))
        .withServerDate(serverNow);
    assertThat(expiresAt(response)).isEqualTo(SENT.plusSeconds(600));
  }

  @Test
  void clocksInSync_subSecondSend_expIsUsedExactly_notAWholeSecondLate() {
    // Sent at .900; the server truncates iat and Date to the second: exp - iat = 1 s would say
    // the token lives until 12:00:01.900, but it dies at 12:00:01.
    Instant sent = SENT.plusMillis(900);
    long iat = SENT.getEpochSecond();
    TokenResponse response = TokenResponse.bearer(jwt("{\"iat\":" + iat + ",\"exp\":" + (iat + 1) + "}"))
        .withServerDate(SENT).withExpiresIn(Duration.ofSeconds(1));
    Expiry.Result result = Expiry.compute(response, sent);
    assertThat(result.token().expiresAt()).isEqualTo(SENT.plusSeconds(1));
    // Date 12:00:00 read at 12:00:00.900: the server's clock could be anywhere in that second.
    assertThat(result.skew()).isEqualTo(Duration.ZERO);
  }

  @Test
  void jwtAndAMuchShorterExpiresIn_expiresInWins() {
    long iat = SENT.getEpochSecond();
    TokenResponse response = TokenResponse.bearer(jwt("{\"iat\":" + iat + ",\"exp\":" + (iat + 600) + "}"))
        .withExpiresIn(Duration.ofSeconds(300));
    assertThat(expiresAt(response)).isEqualTo(SENT.plusSeconds(301)); // rounded down by up to a second
  }

  @Test
  void expiresInRoundedDownToZero_doesNotKillAOneSecondJwt() {
    // Spring Authorization Server with a 1 s TTL: exp one second on, expires_in 0.
    long iat = SENT.getEpochSecond();
    TokenResponse response = TokenResponse.bearer(jwt("{\"iat\":" + iat + ",\"exp\":" + (iat + 1) + "}"))
        .withExpiresIn(Duration.ZERO).withServerDate(SENT);
    assertThat(expiresAt(response)).isEqualTo(SENT.plusSeconds(1));
  }

  @Test
  void nbfStandsInForIat() {
    long nbf = SENT.getEpochSecond() + 100;
    assertThat(expiresAt(TokenResponse.bearer(jwt("{\"nbf\":" + nbf + ",\"exp\":" + (nbf + 60) + "}"))))
        .isEqualTo(SENT.plusSeconds(60));
  }

  @Test
  void tokenTypeBearerInAnyCase_isNormalised_andScopesSplit() {
    AccessToken token = Expiry.compute(new TokenResponse("t", "bearer", null, null, "read  write", null), SENT).token();
    assertThat(token.type()).isEqualTo("Bearer");
    assertThat(token.scopes()).containsExactlyInAnyOrder("read", "write");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {
      "not-a-jwt",
      "a.b.c",
      "%%%.$$$.###",
      "eyJhbGciOiJub25lIn0.bm90IGpzb24.",          // payload is not JSON
      "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",       // JSON without exp
      "eyJhbGciOiJub25lIn0.eyJleHAiOiJzb29uIn0.",   // "exp":"soon"
      "eyJhbGciOiJub25lIn0.eyJleHAiOnt9fQ.",        // "exp":{}
      "eyJhbGciOiJub25lIn0.eyJleHAiOjFlMzAwfQ.",    // "exp":1e300
      "eyJhbGciOiJub25lIn0.W10.",                   // payload is an array
      "....",
  })
  void badJwt_fallsBackToAnOpaqueToken_withExpiresIn(String value) {
    TokenResponse response = TokenResponse.bearer(value).withExpiresIn(Duration.ofSeconds(60));
    assertThatCode(() -> Expiry.compute(response, SENT)).doesNotThrowAnyException();
    Instant expiresAt = Expiry.compute(response, SENT).token().expiresAt();
    assertThat(expiresAt).isEqualTo(SENT.plusSeconds(60)); // expires_in is kept, never dropped
  }

  /**
   * The header is read for its algorithm only: a signed or unsecured JWT's claims are read whatever
   * else its header holds; an encrypted one (an {@code enc} parameter), or a header without an
   * algorithm or not JSON, makes the token opaque.
   */
  @Test
  void jwtHeader_readForItsAlgorithmOnly() {
    String claims = Base64URL.encode("{\"exp\":1772366460,\"iat\":1772366400}").toString();
    assertThat(JwtTimes.decode(Base64URL.encode("{\"alg\":\"RS256\",\"kid\":\"k1\",\"typ\":\"at+jwt\"}")
        + "." + claims + ".c2ln")).isEqualTo(new JwtTimes(Instant.ofEpochSecond(1772366460),
            Instant.ofEpochSecond(1772366400), null));
    assertThat(JwtTimes.decode(Base64URL.encode("{\"alg\":\"none\"}") + "." + claims + "."))
        .extracting(JwtTimes::exp).isEqualTo(Instant.ofEpochSecond(1772366460));
    assertThat(JwtTimes.decode(Base64URL.encode("{\"alg\":\"RSA-OAEP\",\"enc\":\"A128GCM\"}") + "." + claims + "."))
        .isNull();
    assertThat(JwtTimes.decode(Base64URL.encode("{\"typ\":\"JWT\"}") + "." + claims + ".")).isNull();
    assertThat(JwtTimes.decode(Base64URL.encode("{\"alg\":5}") + "." + claims + ".")).isNull();
    assertThat(JwtTimes.decode(Base64URL.encode("not json") + "." + claims + ".")).isNull();
    assertThat(JwtTimes.decode("." + claims + ".")).isNull();
  }

  @Test
  void oneMegabyteToken_isNotDecoded_treatedAsOpaque() {
    String huge = jwt("{\"exp\":1}") + "A".repeat(1024 * 1024);
    assertThat(JwtTimes.decode(huge)).isNull();
    assertThat(expiresAt(TokenResponse.bearer(huge).withExpiresIn(Duration.ofSeconds(60))))
        .isEqualTo(SENT.plusSeconds(60));
  }

  @Test
  void expInTheFarFuture_isTreatedAsUnknown_notOverflowed() {
    assertThat(expiresAt(TokenResponse.bearer(jwt("{\"exp\":99999999999999}")))).isNull();
  }
}
