package dev.tokenkeeper.okhttp;

import static dev.tokenkeeper.okhttp.TestBed.TTL;
import static dev.tokenkeeper.okhttp.TestBed.call;
import static dev.tokenkeeper.okhttp.TestBed.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.AccessToken;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenPolicy;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import okhttp3.ConnectionPool;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The proactive and reactive paths against a real token server and a real API on loopback. */
class TokenInterceptorTest {
  private static final MediaType TEXT = MediaType.get("text/plain; charset=utf-8");

  private final TestBed bed = new TestBed();

  @AfterEach
  void close() throws Exception {
    bed.close();
  }

  @Test
  void twoHundredConcurrentRequests_acrossTwentyLifetimes_noFailures_oneRefreshPerLifetime() throws Exception {
    OkHttpClient client = bed.track(TokenInterceptor.install(new OkHttpClient.Builder(), bed.policy)
        .connectionPool(new ConnectionPool(200, 1, TimeUnit.MINUTES)).build());
    assertThat(call(client, get(bed.api.uri("/api/items")))).isEqualTo("200 ok test-client 0");
    ExecutorService callers = Executors.newFixedThreadPool(200);
    int failed = 0;
    int unauthorized = 0;
    try {
      for (int lifetime = 0; lifetime < 20; lifetime++) {
        bed.clock.advance(TTL); // the token expires: the first of the 200 callers starts the refresh
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Integer>> statuses = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
          statuses.add(callers.submit(() -> {
            start.await();
            try (Response response = client.newCall(get(bed.api.uri("/api/items"))).execute()) {
              return response.code();
            }
          }));
        }
        start.countDown();
        for (Future<Integer> status : statuses) {
          try {
            int code = status.get(30, TimeUnit.SECONDS);
            unauthorized += code == 401 ? 1 : 0;
            failed += code == 200 ? 0 : 1;
          } catch (Exception e) {
            failed++;
          }
        }
      }
    } finally {
      callers.shutdownNow();
    }
    assertThat(failed).isZero();
    assertThat(unauthorized).isZero();
    assertThat(bed.api.rejected()).isZero(); // not even a 401 that a retry hid
    assertThat(bed.api.accepted()).isEqualTo(1 + 20 * 200);
    // The first token, then exactly one refresh per lifetime however many callers found it expired.
    assertThat(bed.tokens.tokenRequests()).isEqualTo(1 + 20);
  }

  @Test
  void tokenIsAttached_onlyForTheAllowedOrigin() throws IOException {
    OkHttpClient client = bed.client();
    assertThat(call(client, get(bed.api.uri("/api/items")))).isEqualTo("200 ok test-client 0");
    assertThat(call(client, get(bed.other.uri("/anything")))).isEqualTo("200 open");
    assertThat(bed.api.authorizations()).containsExactly(bed.keeper.token().authorizationHeader());
    assertThat(bed.other.authorizations()).isEmpty();
  }

  @Test
  void eachOriginGetsItsOwnKeepersToken() throws IOException {
    TokenKeeper second = bed.newKeeper(b -> b.name("second"));
    TokenPolicy policy = TokenPolicy.newBuilder()
        .origin(bed.api.origin(), bed.keeper)
        .origin(bed.other.origin(), second)
        .build();
    OkHttpClient client = bed.track(TokenInterceptor.install(new OkHttpClient.Builder(), policy).build());
    call(client, get(bed.api.uri("/api/items")));
    call(client, get(bed.other.uri("/anything")));
    assertThat(bed.api.authorizations()).containsExactly(bed.keeper.token().authorizationHeader());
    assertThat(bed.other.authorizations()).containsExactly(second.token().authorizationHeader());
    assertThat(second.token()).isNotEqualTo(bed.keeper.token());
  }

  @Test
  void requestWithItsOwnAuthorization_isLeftAlone_andIts401IsTheCallers() throws IOException {
    OkHttpClient client = bed.client();
    Request own = get(bed.api.uri("/api/items")).newBuilder().header("Authorization", "Bearer mine").build();
    assertThat(call(client, own)).startsWith("401");
    assertThat(bed.api.authorizations()).containsExactly("Bearer mine");
    assertThat(bed.tokens.tokenRequests()).isZero();
  }

  @Test
  void serverSideRevocation_exactlyOneRefresh_requestRetriedOnceAndSucceeds() throws IOException {
    OkHttpClient client = bed.client();
    AccessToken first = bed.keeper.token();
    bed.api.revoke(first.value());
    assertThat(call(client, get(bed.api.uri("/api/items")))).isEqualTo("200 ok test-client 0");
    assertThat(bed.tokens.tokenRequests()).isEqualTo(2);
    assertThat(bed.api.requests()).isEqualTo(2);
    assertThat(bed.api.rejected()).isEqualTo(1);
    assertThat(bed.api.authorizations()).containsExactly(first.authorizationHeader(),
        bed.keeper.token().authorizationHeader());
  }

  @Test
  void revocation_postWithReplayableBody_isRetriedWithTheSameBody() throws IOException {
    OkHttpClient client = bed.client();
    bed.api.revoke(bed.keeper.token().value());
    Request post = new Request.Builder().url(bed.api.uri("/api/items").toString())
        .post(RequestBody.create("twelve bytes", TEXT)).build();
    assertThat(call(client, post)).isEqualTo("200 ok test-client 12");
    assertThat(bed.api.requests()).isEqualTo(2);
  }

  @Test
  void serverRejectingEveryToken_oneRefreshOneRetry_thenThe401ReachesTheCaller() throws IOException {
    OkHttpClient client = bed.client();
    bed.keeper.token();
    bed.api.rejectAll(true);
    try (Response response = client.newCall(get(bed.api.uri("/api/items"))).execute()) {
      assertThat(response.code()).isEqualTo(401);
      assertThat(response.header("WWW-Authenticate")).contains("invalid_token");
    }
    assertThat(bed.tokens.tokenRequests()).isEqualTo(2);
    assertThat(bed.api.requests()).isEqualTo(2);
    assertThat(bed.listener.rejections).hasSize(1);
  }

  @Test
  void oneShotBody_401_noRetry_butTheKeeperIsInvalidated() throws IOException {
    OkHttpClient client = bed.client();
    AccessToken first = bed.keeper.token();
    bed.api.revoke(first.value());
    Request post = new Request.Builder().url(bed.api.uri("/api/items").toString()).post(oneShot("stream")).build();
    assertThat(call(client, post)).startsWith("401");
    assertThat(bed.api.requests()).isEqualTo(1);
    AccessToken next = bed.keeper.token(); // the refresh the 401 started
    assertThat(next).isNotEqualTo(first);
    assertThat(bed.tokens.tokenRequests()).isEqualTo(2);
    assertThat(call(client, get(bed.api.uri("/api/items")))).isEqualTo("200 ok test-client 0");
    assertThat(bed.tokens.tokenRequests()).isEqualTo(2);
  }

  @Test
  void insufficientScope403_noRefreshNoRetry() throws IOException {
    OkHttpClient client = bed.client();
    try (Response response = client.newCall(get(bed.api.uri("/api/admin/users"))).execute()) {
      assertThat(response.code()).isEqualTo(403);
      assertThat(response.header("WWW-Authenticate")).contains("insufficient_scope");
    }
    assertThat(bed.tokens.tokenRequests()).isEqualTo(1);
    assertThat(bed.api.requests()).isEqualTo(1);
  }

  @Test
  void late401_retriesWithTheNewerToken_withoutAnotherRefresh() throws Exception {
    CountDownLatch parked = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    // Holds the request marked "X-Park" on its way out, after it took the old token.
    Interceptor park = chain -> {
      if (chain.request().header("X-Park") != null && parked.getCount() > 0) {
        parked.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("parked request interrupted");
        }
      }
      return chain.proceed(chain.request());
    };
    OkHttpClient client = bed.track(TokenInterceptor.install(new OkHttpClient.Builder(), bed.policy)
        .addNetworkInterceptor(park).build());
    AccessToken old = bed.keeper.token();
    ExecutorService slow = Executors.newSingleThreadExecutor();
    try {
      Future<String> late = slow.submit(() -> call(client,
          get(bed.api.uri("/api/items")).newBuilder().header("X-Park", "1").build()));
      assertThat(parked.await(10, TimeUnit.SECONDS)).isTrue();
      bed.api.revoke(old.value());
      assertThat(call(client, get(bed.api.uri("/api/items")))).isEqualTo("200 ok test-client 0");
      assertThat(bed.tokens.tokenRequests()).isEqualTo(2);
      release.countDown(); // the parked request now sends the old token and gets a late 401
      assertThat(late.get(10, TimeUnit.SECONDS)).isEqualTo("200 ok test-client 0");
    } finally {
      release.countDown();
      slow.shutdownNow();
    }
    assertThat(bed.tokens.tokenRequests()).isEqualTo(2);
    assertThat(bed.api.rejected()).isEqualTo(2);
    assertThat(bed.listener.rejections).isEmpty();
  }

  @Test
  void addedAsNetworkInterceptor_failsWithAMessageSayingHowToFixIt() {
    OkHttpClient client = bed.track(new OkHttpClient.Builder()
        .addNetworkInterceptor(TokenInterceptor.of(bed.policy)).build());
    assertThatThrownBy(() -> call(client, get(bed.api.uri("/api/items"))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("addInterceptor()");
  }

  @Test
  void attachmentTag_neverShowsTheToken() throws IOException {
    OkHttpClient client = bed.client();
    try (Response response = client.newCall(get(bed.api.uri("/api/items"))).execute()) {
      String value = bed.keeper.token().value();
      assertThat(response.request().tag(Attachment.class)).isNotNull();
      assertThat(response.request().toString()).doesNotContain(value);
      assertThat(response.toString()).doesNotContain(value);
      assertThat(TokenInterceptor.of(bed.policy).toString()).doesNotContain(value);
    }
  }

  static RequestBody oneShot(String content) {
    return new RequestBody() {
      @Override
      public MediaType contentType() {
        return TEXT;
      }

      @Override
      public void writeTo(BufferedSink sink) throws IOException {
        sink.writeUtf8(content);
      }

      @Override
      public boolean isOneShot() {
        return true;
      }
    };
  }
}
