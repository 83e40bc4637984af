package dev.tokenkeeper.okhttp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.TokenPolicy;
import java.util.List;
import java.util.Locale;
import okhttp3.Challenge;
import okhttp3.Headers;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The shared rejection rule parses {@code WWW-Authenticate} as OkHttp's own {@link
 * Response#challenges()} does: for every header set below, the rule applied to OkHttp's challenges
 * gives the same answer as {@link TokenPolicy#isTokenRejection}.
 */
class ChallengeRuleAgreesWithOkHttpTest {

  static List<List<String>> headerSets() {
    return List.of(
        List.of("Basic realm=\"api\""),
        List.of("Basic realm=\"a, Bearer\", charset=\"UTF-8\""),
        List.of("Basic realm=\"api\", Bearer realm=\"api\""),
        List.of("Basic realm=\"api\"", "Bearer error=invalid_token"),
        List.of("Bearer realm=\"api\", error=\"invalid_token\", error_description=\"expired, revoked\""),
        List.of("Bearer error=\"invalid_request\""),
        List.of("Bearer realm=\"x\", error_description=\"error=foo\""),
        List.of("Bearer error=\"insufficient_scope\", scope=\"admin\""),
        List.of("DPoP algs=\"ES256 PS256\", error=\"invalid_token\""),
        List.of("Negotiate", "NTLM"),
        List.of("Basic dXNlcjpwYXNz==, Bearer"),
        List.of("Newauth realm=\"apps\", type=1, title=\"Login to \\\"apps\\\"\", Basic realm=\"simple\""),
        List.of("Bearer error_description=\"say \\\"no\\\", then\", error=\"invalid_request\""));
  }

  @ParameterizedTest
  @MethodSource("headerSets")
  void sameAnswer_asTheRuleAppliedToOkHttpsChallenges(List<String> values) {
    Headers.Builder headers = new Headers.Builder();
    values.forEach(v -> headers.add("WWW-Authenticate", v));
    Response response = new Response.Builder()
        .request(new Request.Builder().url("https://api.example.com/").build())
        .protocol(Protocol.HTTP_1_1).code(401).message("Unauthorized").headers(headers.build()).build();
    boolean byOkHttp = false;
    for (Challenge c : response.challenges()) {
      String scheme = c.scheme().toLowerCase(Locale.ROOT);
      String error = c.authParams().get("error");
      if ((scheme.equals("bearer") || scheme.equals("dpop")) && (error == null || error.equals("invalid_token"))) {
        byOkHttp = true;
      }
    }
    assertThat(TokenPolicy.isTokenRejection(401, values)).as("%s", values).isEqualTo(byOkHttp);
  }
}
