package dev.tokenkeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tokenkeeper.testing.Fault;
import dev.tokenkeeper.testing.ScriptedApiServer;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import dev.tokenkeeper.testing.TestClock;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The JDK HttpClient adapter against a real token server and a real API on loopback, on one test clock. */
class TokenHttpClientTest {
  private static final Duration TTL = Duration.ofMinutes(5);
  private final TestClock clock = new TestClock();
  private final ScriptedTokenServer tokens = ScriptedTokenServer.newBuilder().clock(clock).accessTokenTtl(TTL)
      .build().start();
  private final ScriptedApiServer api = ScriptedApiServer.start(tokens, clock);
  private final ScriptedApiServer other = ScriptedApiServer.startOther();
  private final RecordingListener listener = new RecordingListener();
  private final TokenKeeper keeper = TokenKeeper.newBuilder(OAuth2TokenEndpoint.newBuilder(tokens.uri())
          .clientId("test-client").clientSecret("test-secret").build().clientCredentials())
      .clock(clock).scheduler(clock::schedule).listener(listener).build();
  private final TokenPolicy policy = TokenPolicy.of(api.origin(), keeper);

  @AfterEach
  void stop() {
    keeper.close();
    api.close();
    other.close();
    tokens.close();
  }

  private TokenHttpClient client(HttpClient.Redirect redirect) {
    return TokenHttpClient.wrap(HttpClient.newBuilder().followRedirects(redirect)
        .connectTimeout(Duration.ofSeconds(5)).build(), policy);
  }

  private static HttpRequest get(URI uri) {
    return HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build();
  }

  @Test
  void twoHundredConcurrentRequests_acrossTwentyLifetimes_noFailures_oneRefreshPerLifetime() throws Exception {
    TokenHttpClient client = client(HttpClient.Redirect.NEVER);
    ExecutorService callers = Executors.newFixedThreadPool(50);
    int failed = 0;
    int unauthorized = 0;
    try {
      for (int lifetime = 0; lifetime < 20; lifetime++) {
        List<Future<HttpResponse<String>>> responses = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
          responses.add(callers.submit(() -> client.send(get(api.uri("/api/items")), HttpResponse.BodyHandlers.ofString())));
        }
        for (Future<HttpResponse<String>> response : responses) {
          try {
            int status = response.get(30, TimeUnit.SECONDS).statusCode();
            unauthorized += status == 401 ? 1 : 0;
            failed += status == 200 ? 0 : 1;
          } catch (Exception e) {
            failed++;
          }
        }
        clock.advance(TTL); // the token expires between rounds
      }
    } finally {
      callers.shutdownNow();
    }
    assertThat(failed).isZero();
    assertThat(unauthorized).isZero();
    assertThat(api.accepted()).isEqualTo(4_000);
    // One token per lifetime: the first, then one refresh at the start of each of the 19 later rounds.
    assertThat(tokens.tokenRequests()).isEqualTo(20);
  }

  /**
   * The caller's own headers arrive as it set them, several values of one name included, next to
   * the token; an {@code Authorization} or {@code DPoP} header of its own on a request to a
   * keeper's origin would be replaced, and a request without headers gets the token alone.
   */
  @Test
  void callersHeaders_arriveAsSet_nextToTheToken() throws Exception {
    List<com.sun.net.httpserver.Headers> arrived = new java.util.concurrent.CopyOnWriteArrayList<>();
    com.sun.net.httpserver.HttpServer echo = com.sun.net.httpserver.HttpServer.create(
        new java.net.InetSocketAddress("127.0.0.1", 0), 0);
    echo.createContext("/", exchange -> {
      arrived.add(exchange.getRequestHeaders());
      exchange.sendResponseHeaders(204, -1);
      exchange.close();
    });
    echo.start();
    try {
      URI origin = URI.create("http://127.0.0.1:" + echo.getAddress().getPort());
      TokenHttpClient client = TokenHttpClient.wrap(HttpClient.newHttpClient(), TokenPolicy.of(origin, keeper));
      String authorization = keeper.token().authorizationHeader();

      client.send(HttpRequest.newBuilder(origin.resolve("/a")).header("Accept", "application/json")
          .header("X-Trace", "one").header("X-Trace", "two").build(), HttpResponse.BodyHandlers.discarding());
      client.send(HttpRequest.newBuilder(origin.resolve("/b")).build(), HttpResponse.BodyHandlers.discarding());
      client.send(HttpRequest.newBuilder(origin.resolve("/c")).header("dpop", "not-ours").build(),
          HttpResponse.BodyHandlers.discarding());

      assertThat(arrived).hasSize(3);
      assertThat(arrived.get(0).get("Accept")).containsExactly("application/json");
      assertThat(arrived.get(0).get("X-trace")).containsExactly("one", "two");
      assertThat(arrived.get(0).get("Authorization")).containsExactly(authorization);
      assertThat(arrived.get(1).get("Authorization")).containsExactly(authorization);
      assertThat(arrived.get(2).get("Authorization")).containsExactly(authorization);
      assertThat(arrived.get(2).containsKey("DPoP")).isFalse();
    } finally {
      echo.stop(0);
    }
  }

  @Test
  void serverSideRevocation_exactlyOneRefresh_requestRetriedOnceAndSucceeds() throws Exception {
    TokenHttpClient client = client(HttpClient.Redirect.NEVER);
    AccessToken first = keeper.token();
    api.revoke(first.value());
    HttpResponse<String> response = client.send(get(api.uri("/api/items")), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(tokens.tokenRequests()).isEqualTo(2);
    assertThat(api.rejected()).isEqualTo(1);
    assertThat(api.requests()).isEqualTo(2);
  }

  @Test
  void serverRejectingEveryToken_oneRefreshOneRetry_thenThe401ReachesTheCaller() throws Exception {
    TokenHttpClient client = client(HttpClient.Redirect.NEVER);
    keeper.token();
    api.rejectAll(true);
    HttpResponse<String> response = client.send(get(api.uri("/api/items")), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(tokens.tokenRequests()).isEqualTo(2);
    assertThat(api.requests()).isEqualTo(2);
    assertThat(listener.rejections).hasSize(1);
  }

  @Test
  void nonReplayableBody_401_noRetry_butTheKeeperIsInvalidated() throws Exception {
    TokenHttpClient client = client(HttpClient.Redirect.NEVER);
    AccessToken first = keeper.token();
    api.revoke(first.value());
    HttpRequest upload = HttpRequest.newBuilder(api.uri("/api/upload"))
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream("data".getBytes(StandardCharsets.UTF_8))))
        .build();
    HttpResponse<String> response = client.send(upload, HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(api.requests()).isEqualTo(1);
    assertThat(keeper.token()).isNotEqualTo(first);
    assertThat(tokens.tokenRequests()).isEqualTo(2);
  }

  @Test
  void replayableBody_isSentAgainWhole() throws Exception {
    TokenHttpClient client = client(HttpClient.Redirect.NEVER);
    api.revoke(keeper.token().value());
    HttpRequest post = HttpRequest.newBuilder(api.uri("/api/items")).POST(HttpRequest.BodyPublishers.ofString("12345")).build();
    HttpResponse<String> response = client.send(post, HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).endsWith(" 5");
    HttpRequest vouched = HttpRequest.newBuilder(api.uri("/api/items")).POST(TokenHttpClient.replayable(
        HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(new byte[7])))).build();
    api.revoke(keeper.token().value());
    assertThat(client.send(vouched, HttpResponse.BodyHandlers.ofString()).body()).endsWith(" 7");
  }

  @Test
  void late401_forATokenAlreadyReplaced_retriesWithTheNewerToken_withoutARefresh() throws Exception {
    TokenHttpClient client = client(HttpClient.Redirect.NEVER);
    AccessToken first = keeper.token();
    CountDownLatch bodyReleased = new CountDownLatch(1);
    AtomicBoolean firstSubscription = new AtomicBoolean(true);
    HttpRequest.BodyPublisher slowOnce = TokenHttpClient.replayable(new HttpRequest.BodyPublisher() {
      private final HttpRequest.BodyPublisher bytes = HttpRequest.BodyPublishers.ofString("abc");

      @Override
      public long contentLength() {
        return bytes.contentLength();
      }

      @Override
      public void subscribe(java.util.concurrent.Flow.Subscriber<? super java.nio.ByteBuffer> subscriber) {
        if (firstSubscription.getAndSet(false)) {
          // Its own thread, not the common pool: on 2 cores that pool has one worker, and holding
          // it would starve whatever else completes there.
          Thread holder = new Thread(() -> {
            try {
              bodyReleased.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            bytes.subscribe(subscriber);
          }, "held-request-body");
          holder.setDaemon(true);
          holder.start();
        } else {
          bytes.subscribe(subscriber);
        }
      }
    });
    CompletableFuture<HttpResponse<String>> inFlight = client.sendAsync(
        HttpRequest.newBuilder(api.uri("/api/items")).POST(slowOnce).build(), HttpResponse.BodyHandlers.ofString());
    // While that request (carrying the first token) is on the wire, another caller's 401 refreshes.
    keeper.invalidate(first);
    AccessToken second = keeper.token();
    assertThat(second).isNotEqualTo(first);
    api.revoke(first.value());
    bodyReleased.countDown();

    HttpResponse<String> response = inFlight.get(10, TimeUnit.SECONDS);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(tokens.tokenRequests()).isEqualTo(2); // the late 401 refreshed nothing
    assertThat(api.authorizations()).containsExactly(first.authorizationHeader(), second.authorizationHeader());
  }

  @Test
  void twoOrigins_eachGetsItsOwnKeepersToken() throws Exception {
    ScriptedApiServer billing = ScriptedApiServer.start(tokens, clock);
    try (TokenKeeper billingKeeper = TokenKeeper.newBuilder(OAuth2TokenEndpoint.newBuilder(tokens.uri())
            .clientId("test-client").clientSecret("test-secret").scope("billing").build().clientCredentials())
        .clock(clock).scheduler(clock::schedule).build()) {
      TokenHttpClient client = TokenHttpClient.wrap(HttpClient.newHttpClient(), TokenPolicy.newBuilder()
          .origin(api.origin(), keeper).origin(billing.origin(), billingKeeper).build());
      client.send(get(api.uri("/api/items")), HttpResponse.BodyHandlers.ofString());
      client.send(get(billing.uri("/api/invoices")), HttpResponse.BodyHandlers.ofString());
      assertThat(api.authorizations()).containsExactly(keeper.token().authorizationHeader());
      assertThat(billing.authorizations()).containsExactly(billingKeeper.token().authorizationHeader());
      assertThat(keeper.token()).isNotEqualTo(billingKeeper.token());
    } finally {
      billing.close();
    }
  }

  @Test
  void insufficientScope403_noRefreshNoRetry() throws Exception {
    TokenHttpClient client = client(HttpClient.Redirect.NEVER);
    HttpResponse<String> response = client.send(get(api.uri("/api/admin/users")), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(403);
    assertThat(tokens.tokenRequests()).isEqualTo(1);
    assertThat(api.requests()).isEqualTo(1);
  }

  /**
   * Control for the test below: JDK 17's own client, given an {@code Authorization} header,
   * forwards it to another origin on every redirect code, so 0 tokens at the other server there
   * is the adapter's doing. JDK 25's client drops it itself (checked too; other JDKs untested).
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(ints = {301, 302, 303, 307, 308})
  void rawJdkClient_onJdk17_forwardsAuthorizationAcrossOrigins_onJdk25_doesNot(int status) throws Exception {
    int jdk = Runtime.version().feature();
    assumeTrue(jdk == 17 || jdk >= 25, "the raw client's behaviour was checked on JDK 17 and 25 only");
    String header = keeper.token().authorizationHeader();
    for (HttpClient.Redirect mode : List.of(HttpClient.Redirect.NORMAL, HttpClient.Redirect.ALWAYS)) {
      HttpClient raw = HttpClient.newBuilder().followRedirects(mode).build();
      HttpRequest request = HttpRequest.newBuilder(api.redirect(status, other.uri("/landing")))
          .header("Authorization", header).timeout(Duration.ofSeconds(10)).build();
      HttpResponse<String> response = raw.send(request, HttpResponse.BodyHandlers.ofString());
      assertThat(response.body()).isEqualTo("open");
    }
    if (jdk == 17) {
      assertThat(other.authorizations()).as("Authorization headers the other origin received")
          .containsExactly(header, header);
    } else {
      assertThat(other.authorizations()).as("Authorization headers the other origin received").isEmpty();
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(ints = {301, 302, 303, 307, 308})
  void crossOriginRedirect_neverCarriesTheToken(int status) throws Exception {
    for (HttpClient.Redirect mode : List.of(HttpClient.Redirect.NORMAL, HttpClient.Redirect.ALWAYS)) {
      TokenHttpClient client = client(mode);
      HttpRequest post = HttpRequest.newBuilder(api.redirect(status, other.uri("/landing")))
          .POST(HttpRequest.BodyPublishers.ofString("x")).build();
      HttpResponse<String> response = client.send(post, HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body()).isEqualTo("open");
      HttpResponse<String> async = client.sendAsync(post, HttpResponse.BodyHandlers.ofString()).get(10, TimeUnit.SECONDS);
      assertThat(async.body()).isEqualTo("open");
    }
    assertThat(api.authorizations()).hasSize(4); // the token went to the API, which redirected
    assertThat(other.authorizations()).isEmpty();
  }

  @Test
  void sameOriginRedirect_carriesTheToken_andTheNeverPolicyReturnsTheRedirect() throws Exception {
    HttpResponse<String> followed = client(HttpClient.Redirect.NORMAL)
        .send(get(api.redirect(302, api.uri("/api/items"))), HttpResponse.BodyHandlers.ofString());
    assertThat(followed.statusCode()).isEqualTo(200);
    assertThat(followed.body()).startsWith("ok ");
    HttpResponse<String> notFollowed = client(HttpClient.Redirect.NEVER)
        .send(get(api.redirect(302, other.uri("/x"))), HttpResponse.BodyHandlers.ofString());
    assertThat(notFollowed.statusCode()).isEqualTo(302);
    assertThat(other.authorizations()).isEmpty();
  }

  @Test
  void redirectTheClientWillNotFollow_reachesTheCallerWithItsBody() throws Exception {
    HttpResponse<String> response = client(HttpClient.Redirect.NORMAL)
        .send(get(api.redirect(302, URI.create("ftp://127.0.0.1/file"))), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(302);
    assertThat(response.body()).isEqualTo("redirect to ftp://127.0.0.1/file");
  }

  @Test
  void requestsToOtherOrigins_goOutUntouched() throws Exception {
    TokenHttpClient client = client(HttpClient.Redirect.NORMAL);
    client.send(get(other.uri("/anything")), HttpResponse.BodyHandlers.ofString());
    client.sendAsync(get(other.uri("/anything")), HttpResponse.BodyHandlers.ofString()).get(10, TimeUnit.SECONDS);
    assertThat(other.authorizations()).isEmpty();
    assertThat(tokens.tokenRequests()).isZero();
  }

  @Test
  void sendAsync_thousandRequestsOnTwoThreads_whileARefreshIsHeld_noThreadBlocked() throws Exception {
    ThreadPoolExecutor executor = new ThreadPoolExecutor(2, 2, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>());
    TokenHttpClient client = TokenHttpClient.wrap(HttpClient.newBuilder().executor(executor).build(), policy);
    CountDownLatch release = new CountDownLatch(1);
    tokens.enqueue(Fault.hold(release));
    List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      responses.add(client.sendAsync(get(api.uri("/api/items")), HttpResponse.BodyHandlers.ofString()));
    }
    assertThat(tokens.awaitTokenRequests(1, Duration.ofSeconds(10))).isTrue();
    // The refresh is held: nothing is running on the client's two threads, and nothing completed.
    assertThat(executor.getActiveCount()).isZero();
    assertThat(executor.getCompletedTaskCount()).isZero();
    assertThat(responses).noneMatch(CompletableFuture::isDone);

    release.countDown();
    CompletableFuture.allOf(responses.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
    assertThat(responses).allMatch(r -> r.join().statusCode() == 200);
    assertThat(tokens.tokenRequests()).isEqualTo(1);
    executor.shutdownNow();
  }

  @Test
  void tokenEndpointDown_tokenExpired_sendFailsWithTokenIOException_notAHang() {
    // The first retry (after 1 min, also while callers wait) falls after the 10 s deadline: callers
    // fail at once, nobody waits.
    TokenKeeper slowRetry = TokenKeeper.newBuilder(OAuth2TokenEndpoint.newBuilder(tokens.uri())
            .clientId("test-client").clientSecret("test-secret").build().clientCredentials())
        .clock(clock).scheduler(clock::schedule).backoff(Duration.ofMinutes(1), Duration.ofMinutes(1))
        .waitingRetryInterval(Duration.ofMinutes(1)).build();
    TokenHttpClient client = TokenHttpClient.wrap(HttpClient.newHttpClient(), TokenPolicy.of(api.origin(), slowRetry));
    tokens.failAll(Fault.status(503));
    assertThatThrownBy(() -> client.send(get(api.uri("/api/items")), HttpResponse.BodyHandlers.ofString()))
        .isInstanceOfSatisfying(TokenIOException.class, e -> {
          assertThat(e.isReauthenticationRequired()).isFalse();
          assertThat(e.getCause()).isInstanceOf(TokenRefreshException.class);
        });
    assertThatThrownBy(() -> client.sendAsync(get(api.uri("/api/items")), HttpResponse.BodyHandlers.ofString()).join())
        .hasCauseInstanceOf(TokenIOException.class);
    assertThat(api.requests()).isZero();
    assertThat(tokens.tokenRequests()).isEqualTo(1);
    slowRetry.close();
  }

  @Test
  void serviceCredentialsRefused_TokenIOExceptionSaysCredentialsRejected_notReauthenticate() {
    TokenHttpClient client = client(HttpClient.Redirect.NEVER);
    tokens.enqueue(Fault.invalidClient());
    assertThatThrownBy(() -> client.send(get(api.uri("/api/items")), HttpResponse.BodyHandlers.ofString()))
        .isInstanceOfSatisfying(TokenIOException.class, e -> {
          assertThat(e.isReauthenticationRequired()).isFalse();
          assertThat(e.failure()).isEqualTo(TokenFailure.CREDENTIALS_REJECTED);
          assertThat(e.getCause()).isInstanceOf(CredentialsRejectedException.class)
              .hasMessageContaining("refused the client credentials");
        });
  }

  @Test
  void callerSetAuthorization_isLeftAlone() throws Exception {
    HttpRequest own = HttpRequest.newBuilder(api.uri("/api/items")).header("Authorization", "Bearer mine").build();
    client(HttpClient.Redirect.NEVER).send(own, HttpResponse.BodyHandlers.ofString());
    assertThat(api.authorizations()).containsExactly("Bearer mine");
    assertThat(tokens.tokenRequests()).isZero();
  }

  @Test
  void policy_refusesPlainHttpToNonLoopback_andPaths() {
    assertThatThrownBy(() -> TokenPolicy.of(URI.create("http://api.example.com"), keeper))
        .hasMessageContaining("clear text");
    TokenPolicy.newBuilder().origin(URI.create("http://api.example.com"), keeper).allowPlainHttp(true).build();
    assertThatThrownBy(() -> TokenPolicy.of(URI.create("https://api.example.com/v1"), keeper))
        .hasMessageContaining("scheme, host and port only");
    assertThatThrownBy(() -> TokenPolicy.newBuilder().build()).hasMessageContaining("no origin");
    assertThat(TokenPolicy.of(URI.create("https://API.example.com"), keeper)
        .keeperFor(URI.create("https://api.example.com:443/x"))).isSameAs(keeper);
    assertThat(TokenPolicy.of(URI.create("https://api.example.com"), keeper)
        .keeperFor(URI.create("http://api.example.com/x"))).isNull();
    assertThat(TokenPolicy.of(URI.create("https://api.example.com"), keeper)
        .keeperFor(URI.create("https://api.example.com:8443/x"))).isNull();
  }

  @Test
  void rejectionRule_followsWwwAuthenticate() {
    assertThat(TokenPolicy.isTokenRejection(401, List.of())).isTrue();
    assertThat(TokenPolicy.isTokenRejection(401, List.of("Bearer error=\"invalid_token\""))).isTrue();
    assertThat(TokenPolicy.isTokenRejection(401, List.of("Bearer realm=\"x\", error_description=\"error=foo\""))).isTrue();
    assertThat(TokenPolicy.isTokenRejection(401, List.of("Bearer error=\"invalid_request\""))).isFalse();
    assertThat(TokenPolicy.isTokenRejection(403, List.of("Bearer error=\"insufficient_scope\""))).isFalse();
    assertThat(TokenPolicy.isTokenRejection(200, List.of())).isFalse();
  }

  @Test
  void rejectionRule_onlyBearerOrDPoPChallengesSpeakForTheToken() {
    assertThat(TokenPolicy.isTokenRejection(401, List.of("Basic realm=\"api\""))).isFalse();
    assertThat(TokenPolicy.isTokenRejection(401, List.of("Basic realm=\"a, Bearer\", charset=\"UTF-8\""))).isFalse();
    assertThat(TokenPolicy.isTokenRejection(401, List.of("Negotiate", "Basic realm=x"))).isFalse();
    assertThat(TokenPolicy.isTokenRejection(401, List.of("Basic realm=\"api\", Bearer realm=\"api\""))).isTrue();
    assertThat(TokenPolicy.isTokenRejection(401, List.of("Basic realm=\"api\"", "Bearer error=invalid_token"))).isTrue();
    assertThat(TokenPolicy.isTokenRejection(401, List.of("DPoP algs=\"ES256\", error=\"invalid_token\""))).isTrue();
    assertThat(TokenPolicy.isTokenRejection(401, List.of("Bearer error=\"insufficient_scope\""))).isFalse();
    assertThat(TokenPolicy.isTokenRejection(401, List.of(""))).isTrue();
  }

  /**
   * JDK 21+ only (HttpClient has no lifecycle before); compiled for 17, so it reaches the JDK 21
   * methods through TokenHttpClient's own declarations and reflection. CI runs it on JDK 25 and
   * fails if it was skipped there (.ci/run).
   */
  @Test
  void close_onJdk21Plus_closesTheWrappedClientAndTheInternalNoRedirectClient() throws Exception {
    assumeTrue(Runtime.version().feature() >= 21, "HttpClient has no close() before JDK 21");
    keeper.token(); // the keeper's own endpoint client is running before the threads are counted
    Set<String> before = selectorThreads();
    HttpClient plain = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build();
    HttpClient wrapped = TokenHttpClient.wrap(plain, policy);
    // Requests with a token go through the internal no-redirect client, others through the wrapped one.
    assertThat(wrapped.send(get(api.uri("/api/items")), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    assertThat(wrapped.send(get(other.uri("/x")), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    Set<String> started = selectorThreads();
    started.removeAll(before);
    assertThat(started).hasSize(2);

    CompletableFuture<Void> closed = CompletableFuture.runAsync(() -> {
      try (AutoCloseable closing = (AutoCloseable) wrapped) { // HttpClient is AutoCloseable on JDK 21+
        assertThat(closing).isSameAs(wrapped);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    closed.get(10, TimeUnit.SECONDS); // close() waits for both clients: a client left running would hang it
    assertThat(HttpClient.class.getMethod("isTerminated").invoke(plain)).isEqualTo(true);
    assertThat(HttpClient.class.getMethod("isTerminated").invoke(wrapped)).isEqualTo(true);
    await().atMost(Duration.ofSeconds(10)).until(() -> started.stream().noneMatch(selectorThreads()::contains));
    assertThatThrownBy(() -> wrapped.send(get(api.uri("/api/items")), HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(IOException.class);
    assertThat(api.requests()).isEqualTo(1);
  }

  @Test
  void close_returns_isIdempotent_andLeavesTheClientTerminated_onEveryJdk() {
    TokenHttpClient client = client(HttpClient.Redirect.NORMAL);
    client.close();
    client.close();
    assertThat(client.isTerminated()).isTrue();
    // Refused on every JDK: on 17 the wrapped client has no lifecycle, and sending through it would
    // let JDK 17 forward the token on a redirect.
    assertThatThrownBy(() -> client.send(get(api.uri("/api/items")), HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(IOException.class);
    assertThatThrownBy(() -> client.sendAsync(get(api.uri("/api/items")), HttpResponse.BodyHandlers.ofString()).join())
        .hasCauseInstanceOf(IOException.class);
    assertThat(api.requests()).isZero();
  }

  /** Names of the JDK HttpClient selector threads alive now: one per running client. */
  private static Set<String> selectorThreads() {
    return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
        .filter(name -> name.startsWith("HttpClient-") && name.endsWith("-SelectorManager"))
        .collect(Collectors.toSet());
  }

  @Test
  void wrapping_keepsTheClientsSettings() {
    HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3))
        .followRedirects(HttpClient.Redirect.NORMAL).build();
    TokenHttpClient wrapped = TokenHttpClient.wrap(plain, policy);
    assertThat(wrapped.connectTimeout()).contains(Duration.ofSeconds(3));
    assertThat(wrapped.followRedirects()).isEqualTo(HttpClient.Redirect.NORMAL);
    assertThatThrownBy(() -> TokenHttpClient.wrap(wrapped, policy)).hasMessageContaining("already");
  }
}
