package dev.tokenkeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AccessTokenTest {
  private static final Instant OBTAINED = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void authorizationHeader_isBuiltOnce_theSameStringOnEveryCall() {
    AccessToken token = new AccessToken("abc.def", "Bearer", OBTAINED, OBTAINED.plusSeconds(60), Set.of("read"));
    assertThat(token.authorizationHeader()).isEqualTo("Bearer abc.def");
    assertThat(token.authorizationHeader()).isSameAs(token.authorizationHeader());
    assertThat(new AccessToken("xyz", "DPoP", OBTAINED, null, Set.of()).authorizationHeader()).isEqualTo("DPoP xyz");
  }

  @Test
  void accessorsEqualsHashCodeAndToString_areThoseTheRecordHad() {
    Set<String> scopes = new HashSet<>(Set.of("read"));
    AccessToken token = new AccessToken("secret-value", "Bearer", OBTAINED, OBTAINED.plusSeconds(60), scopes);
    scopes.add("write"); // copied: the token does not change
    assertThat(token.value()).isEqualTo("secret-value");
    assertThat(token.type()).isEqualTo("Bearer");
    assertThat(token.obtainedAt()).isEqualTo(OBTAINED);
    assertThat(token.expiresAt()).isEqualTo(OBTAINED.plusSeconds(60));
    assertThat(token.scopes()).containsExactly("read");
    assertThat(token.hasKnownExpiry()).isTrue();
    AccessToken sameValue = AccessToken.bearer("secret-value", OBTAINED.plusSeconds(5));
    assertThat(token).isEqualTo(sameValue).hasSameHashCodeAs(sameValue);
    assertThat(token).isNotEqualTo(AccessToken.bearer("other", OBTAINED));
    assertThat(token.toString()).doesNotContain("secret-value").contains(token.fingerprint());
  }

  @Test
  void constructor_rejectsWhatCannotGoInAHeader_withoutEchoingTheValue() {
    assertThatThrownBy(() -> AccessToken.bearer("bad value", OBTAINED))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("index 3").hasMessageNotContaining("bad value");
    assertThatThrownBy(() -> new AccessToken("v", "Bearer", OBTAINED, OBTAINED.minusSeconds(1), Set.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("before obtainedAt");
  }
}
