package dev.tokenkeeper.okhttp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenPolicy;
import dev.tokenkeeper.TokenResponse;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The interceptor takes a request's origin from {@code HttpUrl}'s scheme, host and port (no {@code
 * URI} conversion): default ports, host case, IPv6 literals (which {@code HttpUrl} holds without
 * brackets) and http vs https must decide as the policy's URI rule does. The origins here (port
 * 443, {@code [::1]}) cannot all be served on loopback, so the client's last application
 * interceptor answers in place of the network and records the Authorization header the request
 * would have left with; everything above it is the real OkHttp client.
 */
class TokenInterceptorOriginTest {
  private final TokenKeeper keeper = TokenKeeper.newBuilder(request -> {
        throw new IllegalStateException("never refreshes");
      })
      .initialTokens(TokenResponse.bearer("tok").withExpiresIn(Duration.ofHours(1)))
      .build();
  private final TokenPolicy policy = TokenPolicy.newBuilder()
      .origin(URI.create("https://API.example.com"), keeper)
      .origin(URI.create("http://[::1]:8080"), keeper)
      .origin(URI.create("http://localhost:8081"), keeper)
      .build();
  private @Nullable String sent;
  private final OkHttpClient client = TokenInterceptor.install(new OkHttpClient.Builder(), policy)
      .addInterceptor(answer()).build();

  private Interceptor answer() {
    return chain -> {
      sent = chain.request().header("Authorization");
      return new Response.Builder().request(chain.request()).protocol(Protocol.HTTP_1_1).code(200).message("OK")
          .body(ResponseBody.create("", null)).build();
    };
  }

  @AfterEach
  void close() {
    keeper.close();
  }

  private @Nullable String authorizationFor(String url) throws IOException {
    sent = null;
    try (Response response = client.newCall(new Request.Builder().url(url).build()).execute()) {
      assertThat(response.code()).isEqualTo(200);
    }
    return sent;
  }

  @Test
  void tokenGoesToTheAllowedOrigins_only() throws IOException {
    assertThat(authorizationFor("https://api.example.com/orders")).isEqualTo("Bearer tok");
    assertThat(authorizationFor("https://api.example.com:443/orders")).isEqualTo("Bearer tok");
    assertThat(authorizationFor("https://Api.EXAMPLE.com/orders")).isEqualTo("Bearer tok");
    assertThat(authorizationFor("http://[::1]:8080/x")).isEqualTo("Bearer tok");
    assertThat(authorizationFor("http://[0:0:0:0:0:0:0:1]:8080/x")).isEqualTo("Bearer tok"); // HttpUrl: ::1
    assertThat(authorizationFor("http://LOCALHOST:8081/x")).isEqualTo("Bearer tok");

    assertThat(authorizationFor("http://api.example.com/orders")).isNull(); // http, not https
    assertThat(authorizationFor("http://api.example.com:443/orders")).isNull();
    assertThat(authorizationFor("https://api.example.com:8443/orders")).isNull();
    assertThat(authorizationFor("https://api.example.com.evil.test/orders")).isNull();
    assertThat(authorizationFor("http://[::1]:8081/x")).isNull();
    assertThat(authorizationFor("http://[::2]:8080/x")).isNull();
    assertThat(authorizationFor("https://[::1]:8080/x")).isNull();
  }

  @Test
  void theCallersRequestIsNotChanged_andTheSentOneIsTagged() throws IOException {
    Request mine = new Request.Builder().url("https://api.example.com/orders").build();
    try (Response response = client.newCall(mine).execute()) {
      assertThat(response.request().header("Authorization")).isEqualTo("Bearer tok");
      assertThat(response.request().tag(Attachment.class).url()).isEqualTo(mine.url());
    }
    assertThat(mine.header("Authorization")).isNull();
    assertThat(mine.tag(Attachment.class)).isNull();
  }
}
