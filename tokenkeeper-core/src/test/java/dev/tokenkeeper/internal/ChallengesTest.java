package dev.tokenkeeper.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.internal.Challenges.Challenge;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChallengesTest {

  private static List<Challenge> parse(String... values) {
    return Challenges.parse(List.of(values));
  }

  @Test
  void oneChallenge_quotedAndTokenParams_namesAndSchemeInLowerCase() {
    assertThat(parse("Bearer realm=\"api\", Error=invalid_token"))
        .containsExactly(new Challenge("bearer", Map.of("realm", "api", "error", "invalid_token")));
  }

  @Test
  void severalChallengesInOneValue_splitWhereANewSchemeStarts() {
    assertThat(parse("Basic realm=\"a, b\", Bearer error=\"invalid_token\", error_description=\"x=1, y\""))
        .containsExactly(
            new Challenge("basic", Map.of("realm", "a, b")),
            new Challenge("bearer", Map.of("error", "invalid_token", "error_description", "x=1, y")));
  }

  @Test
  void severalValues_bareSchemes_andToken68() {
    assertThat(parse("Negotiate", "Basic dXNlcjpwYXNz==, DPoP algs=\"ES256\"", "Bearer"))
        .extracting(Challenge::scheme).containsExactly("negotiate", "basic", "dpop", "bearer");
  }

  @Test
  void escapesInQuotedStrings_areUndone() {
    assertThat(parse("Bearer error_description=\"say \\\"no\\\", then\", error=\"invalid_token\""))
        .containsExactly(new Challenge("bearer", Map.of("error_description", "say \"no\", then", "error", "invalid_token")));
  }

  @Test
  void emptyListElementsAndSpaces_areSkipped() {
    assertThat(parse(" , Basic realm=x ,, ,Bearer   error = \"invalid_token\" ,"))
        .containsExactly(new Challenge("basic", Map.of("realm", "x")),
            new Challenge("bearer", Map.of("error", "invalid_token")));
  }

  @Test
  void malformedValues_neverThrow_andKeepWhatWasRead() {
    assertThat(parse("Bearer realm=\"unterminated, error=invalid_request"))
        .containsExactly(new Challenge("bearer", Map.of()));
    assertThat(parse("\"quoted\" Bearer")).isEmpty();
    assertThat(parse("Bearer error=")).containsExactly(new Challenge("bearer", Map.of()));
    assertThat(parse("")).isEmpty();
  }
}
