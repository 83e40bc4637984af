package dev.tokenkeeper.okhttp;

import static dev.tokenkeeper.okhttp.TestBed.TTL;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import okhttp3.OkHttpClient;
import okhttp3.ResponseBody;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import retrofit2.Call;
import retrofit2.Response;
import retrofit2.Retrofit;
import retrofit2.converter.scalars.ScalarsConverterFactory;
import retrofit2.http.Body;
import retrofit2.http.GET;
import retrofit2.http.POST;

/** A Retrofit service on a client with the interceptor works unchanged, refreshes and retries included. */
class RetrofitTest {
  private final TestBed bed = new TestBed();

  interface Api {
    @GET("api/items")
    Call<ResponseBody> items();

    @POST("api/items")
    Call<String> create(@Body String item);

    @GET("api/admin/users")
    Call<String> users();
  }

  private Api api(OkHttpClient client) {
    return new Retrofit.Builder()
        .baseUrl(bed.api.origin() + "/")
        .client(client)
        .addConverterFactory(ScalarsConverterFactory.create())
        .build()
        .create(Api.class);
  }

  @AfterEach
  void close() throws Exception {
    bed.close();
  }

  @Test
  void callsAcrossATokenRefresh_succeed() throws IOException {
    Api api = api(bed.client());
    try (ResponseBody body = api.items().execute().body()) {
      assertThat(body.string()).isEqualTo("ok test-client 0");
    }
    bed.clock.advance(TTL);
    Response<ResponseBody> response = api.items().execute();
    assertThat(response.code()).isEqualTo(200);
    response.body().close();
    assertThat(bed.tokens.tokenRequests()).isEqualTo(2);
    assertThat(bed.api.authorizations()).hasSize(2).doesNotHaveDuplicates();
  }

  @Test
  void revokedToken_postIsRetriedOnce_andSucceeds() throws IOException {
    Api api = api(bed.client());
    bed.api.revoke(bed.keeper.token().value());
    assertThat(api.create("widget").execute().body()).isEqualTo("ok test-client 6");
    assertThat(bed.tokens.tokenRequests()).isEqualTo(2);
    assertThat(bed.api.requests()).isEqualTo(2);
  }

  @Test
  void insufficientScope_reachesRetrofitAsAnErrorResponse_noRefresh() throws IOException {
    Response<String> response = api(bed.client()).users().execute();
    assertThat(response.code()).isEqualTo(403);
    assertThat(response.isSuccessful()).isFalse();
    assertThat(bed.tokens.tokenRequests()).isEqualTo(1);
  }

  @Test
  void onlyOneOkHttpOnTheClassPath() {
    // retrofit 3.0.0 depends on okhttp 4.12.0; the pom excludes it so okhttp-jvm 5 is the only one.
    assertThat(OkHttpClient.class.getProtectionDomain().getCodeSource().getLocation().toString())
        .contains("okhttp-jvm");
    assertThat(getClass().getClassLoader().getResource("okhttp3/internal/http/RetryAndFollowUpInterceptor.class"))
        .isNotNull();
  }
}
