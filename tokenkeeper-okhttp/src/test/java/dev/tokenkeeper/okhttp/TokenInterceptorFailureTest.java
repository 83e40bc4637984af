package dev.tokenkeeper.okhttp;

import static dev.tokenkeeper.okhttp.TestBed.TTL;
import static dev.tokenkeeper.okhttp.TestBed.call;
import static dev.tokenkeeper.okhttp.TestBed.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tokenkeeper.ReauthenticationRequiredException;
import dev.tokenkeeper.TokenIOException;
import dev.tokenkeeper.TokenInterruptedException;
import dev.tokenkeeper.TokenRefreshException;
import dev.tokenkeeper.TokenTimeoutException;
import dev.tokenkeeper.testing.Fault;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.OkHttpClient;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** When no token can be had, calls fail fast with an IOException that says why; nothing is sent. */
class TokenInterceptorFailureTest {
  private final CountDownLatch hold = new CountDownLatch(1);
  private TestBed bed = new TestBed();

  @AfterEach
  void close() throws Exception {
    hold.countDown();
    bed.close();
  }

  @Test
  void tokenEndpointDown_tokenExpired_failsWithTokenIOException_notAHang() throws Exception {
    bed.close();
    // The first retry would come after the caller's 10 s deadline (also while callers wait), so the
    // caller is told at once.
    bed = new TestBed(b -> b.backoff(Duration.ofMinutes(1), Duration.ofMinutes(2))
        .waitingRetryInterval(Duration.ofMinutes(1)));
    OkHttpClient client = bed.client();
    call(client, get(bed.api.uri("/api/items")));
    bed.tokens.close();
    bed.clock.advance(TTL);
    assertThatThrownBy(() -> call(client, get(bed.api.uri("/api/items"))))
        .isInstanceOfSatisfying(TokenIOException.class, e -> {
          assertThat(e.isReauthenticationRequired()).isFalse();
          assertThat(e.getCause()).isInstanceOf(TokenRefreshException.class);
        });
    assertThat(bed.api.requests()).isEqualTo(1); // the failed call never reached the API
  }

  @Test
  void tokenEndpointHangs_callFailsWhenTheKeepersDeadlinePasses() throws Exception {
    OkHttpClient client = bed.client();
    call(client, get(bed.api.uri("/api/items")));
    bed.tokens.enqueue(Fault.hold(hold));
    bed.clock.advance(TTL);
    ExecutorService caller = Executors.newSingleThreadExecutor();
    try {
      Future<String> pending = caller.submit(() -> call(client, get(bed.api.uri("/api/items"))));
      assertThat(bed.tokens.awaitTokenRequests(2, Duration.ofSeconds(10))).isTrue();
      await().atMost(Duration.ofSeconds(10)).until(() -> !bed.clock.pendingTasks().isEmpty());
      bed.clock.advance(Duration.ofSeconds(10)); // the caller's deadline (the keeper's default timeout)
      assertThatThrownBy(() -> pending.get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause().isInstanceOfSatisfying(TokenIOException.class,
              e -> assertThat(e.getCause()).isInstanceOf(TokenTimeoutException.class));
    } finally {
      caller.shutdownNow();
    }
    assertThat(bed.api.requests()).isEqualTo(1);
  }

  @Test
  void serviceCredentialsRefused_failsWithCredentialsRejected_syncAndAsync_noCallDuringTheBackoff()
      throws Exception {
    OkHttpClient client = bed.client();
    call(client, get(bed.api.uri("/api/items")));
    bed.tokens.enqueue(Fault.invalidClient());
    bed.clock.advance(TTL);
    assertThatThrownBy(() -> call(client, get(bed.api.uri("/api/items"))))
        .isInstanceOfSatisfying(TokenIOException.class, e -> {
          assertThat(e.isReauthenticationRequired()).isFalse(); // a service has nobody to sign in
          assertThat(e.failure()).isEqualTo(dev.tokenkeeper.TokenFailure.CREDENTIALS_REJECTED);
          assertThat(e.getCause()).isInstanceOf(dev.tokenkeeper.CredentialsRejectedException.class);
        });
    assertThat(bed.listener.expiries).isEmpty();

    CompletableFuture<Response> async = new CompletableFuture<>();
    client.newCall(get(bed.api.uri("/api/items"))).enqueue(new Callback() {
      @Override
      public void onFailure(Call call, IOException e) {
        async.completeExceptionally(e);
      }

      @Override
      public void onResponse(Call call, Response response) {
        async.complete(response);
      }
    });
    assertThatThrownBy(() -> async.get(10, TimeUnit.SECONDS))
        .cause().isInstanceOfSatisfying(TokenIOException.class,
            e -> assertThat(e.failure()).isEqualTo(dev.tokenkeeper.TokenFailure.CREDENTIALS_REJECTED));
    assertThat(bed.tokens.tokenRequests()).isEqualTo(2); // no call during the 30 s backoff
    assertThat(bed.api.requests()).isEqualTo(1);
  }

  @Test
  void rejectedToken_andTheRefreshIsRefused_failsWithCredentialsRejected() throws IOException {
    OkHttpClient client = bed.client();
    bed.api.revoke(bed.keeper.token().value());
    bed.tokens.enqueue(Fault.invalidClient());
    assertThatThrownBy(() -> call(client, get(bed.api.uri("/api/items"))))
        .isInstanceOfSatisfying(TokenIOException.class,
            e -> assertThat(e.failure()).isEqualTo(dev.tokenkeeper.TokenFailure.CREDENTIALS_REJECTED));
    assertThat(bed.api.requests()).isEqualTo(1); // the 401, and no retry without a token
  }

  @Test
  void interruptedWhileWaitingForARefresh_failsWithInterruptedIOException_flagKept() throws Exception {
    OkHttpClient client = bed.client();
    call(client, get(bed.api.uri("/api/items")));
    bed.tokens.enqueue(Fault.hold(hold));
    bed.clock.advance(TTL);
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    AtomicBoolean flagKept = new AtomicBoolean();
    Thread caller = new Thread(() -> {
      try {
        call(client, get(bed.api.uri("/api/items")));
      } catch (Throwable t) {
        thrown.set(t);
      }
      flagKept.set(Thread.currentThread().isInterrupted());
    });
    caller.start();
    assertThat(bed.tokens.awaitTokenRequests(2, Duration.ofSeconds(10))).isTrue();
    await().atMost(Duration.ofSeconds(10)).until(() -> !bed.clock.pendingTasks().isEmpty());
    caller.interrupt();
    caller.join(TimeUnit.SECONDS.toMillis(10));
    assertThat(caller.isAlive()).isFalse();
    assertThat(thrown.get()).isInstanceOf(InterruptedIOException.class)
        .hasCauseInstanceOf(TokenInterruptedException.class);
    assertThat(flagKept).isTrue();
    assertThat(bed.api.requests()).isEqualTo(1);
  }
}
