package dev.tokenkeeper;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The origin rule in parts ({@link TokenPolicy#keeperFor(String, String, int)}, {@link
 * TokenPolicy#sameOrigin(String, String, int, String, String, int)}), which OkHttp and Apache use
 * without building a URI: it must agree with the URI form on default ports, case, IPv6 brackets and
 * scheme, and with many origins (the hash lookup) as with few.
 */
class TokenPolicyOriginTest {
  private final TokenKeeper api = keeper();
  private final TokenKeeper billing = keeper();
  private final TokenKeeper local6 = keeper();

  private static TokenKeeper keeper() {
    return TokenKeeper.newBuilder(request -> {
          throw new IllegalStateException("never refreshes");
        })
        .initialTokens(TokenResponse.bearer("t").withExpiresIn(Duration.ofHours(1)))
        .build();
  }

  @AfterEach
  void close() {
    api.close();
    billing.close();
    local6.close();
  }

  private TokenPolicy policy() {
    return TokenPolicy.newBuilder()
        .origin(URI.create("https://API.example.com"), api)
        .origin(URI.create("https://billing.example.com:8443"), billing)
        .origin(URI.create("http://[::1]:8080"), local6)
        .build();
  }

  @Test
  void keeperForParts_defaultPorts_case_ipv6_scheme() {
    TokenPolicy policy = policy();
    assertThat(policy.keeperFor("https", "api.example.com", 443)).isSameAs(api);
    assertThat(policy.keeperFor("https", "api.example.com", -1)).isSameAs(api);
    assertThat(policy.keeperFor("HTTPS", "Api.Example.COM", 443)).isSameAs(api);
    assertThat(policy.keeperFor("http", "api.example.com", 80)).isNull();
    assertThat(policy.keeperFor("http", "api.example.com", 443)).isNull();
    assertThat(policy.keeperFor("https", "api.example.com", 8443)).isNull();
    assertThat(policy.keeperFor("https", "api.example.com.evil.test", 443)).isNull();
    assertThat(policy.keeperFor("https", "pi.example.com", 443)).isNull();
    assertThat(policy.keeperFor("https", "billing.example.com", 8443)).isSameAs(billing);
    assertThat(policy.keeperFor("https", "billing.example.com", -1)).isNull();
    // OkHttp's HttpUrl.host() gives an IPv6 literal without brackets, URI.getHost() with them.
    assertThat(policy.keeperFor("http", "::1", 8080)).isSameAs(local6);
    assertThat(policy.keeperFor("http", "[::1]", 8080)).isSameAs(local6);
    assertThat(policy.keeperFor("http", "::1", 80)).isNull();
    assertThat(policy.keeperFor("http", "[::1", 8080)).isNull();
  }

  @Test
  void keeperForParts_agreesWithTheUriForm() {
    TokenPolicy policy = policy();
    for (String s : new String[] {"https://api.example.com/x", "https://API.EXAMPLE.COM:443/", "http://api.example.com/",
        "https://api.example.com:8443/", "https://billing.example.com:8443/i", "https://billing.example.com/i",
        "http://[::1]:8080/a", "http://[::1]/a", "https://[::1]:8080/a"}) {
      URI uri = URI.create(s);
      assertThat(policy.keeperFor(uri.getScheme(), uri.getHost(), uri.getPort())).as(s).isSameAs(policy.keeperFor(uri));
    }
  }

  @Test
  void manyOrigins_hashLookup_sameRule() {
    TokenPolicy.Builder builder = TokenPolicy.newBuilder();
    for (int i = 0; i < 12; i++) {
      builder.origin(URI.create("https://api" + i + ".example.com"), i == 7 ? api : billing);
    }
    builder.origin(URI.create("http://[::1]:8080"), local6);
    TokenPolicy policy = builder.build();
    assertThat(policy.keeperFor("HTTPS", "API7.example.com", -1)).isSameAs(api);
    assertThat(policy.keeperFor("https", "api7.example.com", 443)).isSameAs(api);
    assertThat(policy.keeperFor(URI.create("https://api7.example.com/x"))).isSameAs(api);
    assertThat(policy.keeperFor("http", "api7.example.com", -1)).isNull();
    assertThat(policy.keeperFor("http", "::1", 8080)).isSameAs(local6);
    assertThat(policy.keeperFor("http", "[::1]", 8080)).isSameAs(local6);
  }

  @Test
  void sameOriginParts() {
    assertThat(TokenPolicy.sameOrigin("https", "a.example", -1, "HTTPS", "A.Example", 443)).isTrue();
    assertThat(TokenPolicy.sameOrigin("http", "a.example", -1, "http", "a.example", 80)).isTrue();
    assertThat(TokenPolicy.sameOrigin("http", "a.example", 443, "https", "a.example", 443)).isFalse();
    assertThat(TokenPolicy.sameOrigin("https", "a.example", -1, "https", "a.example", 8443)).isFalse();
    assertThat(TokenPolicy.sameOrigin("https", "a.example", -1, "https", "b.example", -1)).isFalse();
    assertThat(TokenPolicy.sameOrigin("http", "::1", 8080, "http", "[::1]", 8080)).isTrue();
    assertThat(TokenPolicy.sameOrigin("http", "::1", 8080, "http", "::2", 8080)).isFalse();
    assertThat(TokenPolicy.sameOrigin(URI.create("https://a.example/x"), URI.create("https://A.EXAMPLE:443/y"))).isTrue();
    assertThat(TokenPolicy.sameOrigin(URI.create("https://a.example/x"), URI.create("http://a.example/y"))).isFalse();
    assertThat(TokenPolicy.sameOrigin(URI.create("https://a.example/x"), URI.create("/relative"))).isFalse();
  }

  /**
   * {@code String.equalsIgnoreCase} folds {@code ı} (U+0131) onto {@code i} and {@code ſ} (U+017F)
   * onto {@code s}: a look-alike host or scheme must not pass for a configured origin, on the
   * linear path (up to 8 origins) and on the hash path alike.
   */
  @Test
  void lookAlikeLetters_neverMatch() {
    TokenPolicy few = policy();
    assertThat(few.keeperFor("https", "ap\u0131.example.com", 443)).isNull();
    assertThat(few.keeperFor("https", "AP\u0130.example.com", 443)).isNull();
    assertThat(few.keeperFor("http\u017F", "api.example.com", 443)).isNull();
    assertThat(few.keeperFor("https", "billing.example.com\u017F", 8443)).isNull();
    assertThat(TokenPolicy.sameOrigin("https", "api.example.com", -1, "https", "ap\u0131.example.com", -1)).isFalse();
    assertThat(TokenPolicy.sameOrigin("https", "a.example", -1, "http\u017F", "a.example", 443)).isFalse();
    TokenPolicy.Builder builder = TokenPolicy.newBuilder();
    for (int i = 0; i < 12; i++) {
      builder.origin(URI.create("https://api" + i + ".example.com"), i == 7 ? api : billing);
    }
    TokenPolicy many = builder.build();
    assertThat(many.keeperFor("https", "ap\u01317.example.com", 443)).isNull();
    assertThat(many.keeperFor("http\u017F", "api7.example.com", 443)).isNull();
  }
}
