package dev.tokenkeeper;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import dev.tokenkeeper.testing.Fault;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import dev.tokenkeeper.testing.TestClock;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * Drives a keeper through success, every fault, session end, rejection and sign-out with logging at
 * the lowest level, then searches every log line, exception message and {@code toString} for the
 * exact values of every token, refresh token, client secret and password involved; with DPoP and
 * client assertions ({@code private_key_jwt}, {@code client_secret_jwt}) also for every encoding of
 * the private keys and HMAC secret, and for every DPoP proof and client assertion that was sent.
 */
class SecretsNeverLeakTest {
  private static final String CLIENT_SECRET = "client-secret-7f3a9c";
  private static final String PASSWORD = "password-b81d44";
  /** client_secret_jwt: HS256 needs at least 32 bytes. */
  private static final String HMAC_SECRET = "hmac-secret-of-forty-bytes-9c2e41d07a5b";
  /** private_key_jwt with an RSA key given as PKCS#8 PEM. */
  private static final KeyPair RSA_ASSERTION_KEY = rsaKeyPair();
  /** private_key_jwt with an EC key given as a JWK. */
  private static final ECKey EC_ASSERTION_JWK = ecJwk("assertion-kid");

  private final TestClock clock = new TestClock();
  private final ScriptedTokenServer server = ScriptedTokenServer.newBuilder().clock(clock)
      .client("app", CLIENT_SECRET).client("hs-app", HMAC_SECRET).user("alice", PASSWORD)
      .clientKey("rsa-app", RSA_ASSERTION_KEY.getPublic()).clientKey("ec-app", publicKey(EC_ASSERTION_JWK)).accessTokenTtl(Duration.ofMinutes(5))
      .build().start();
  // System.Logger goes to java.util.logging here; hold the logger strongly while capturing.
  private final Logger julLogger = Logger.getLogger("dev.tokenkeeper.TokenKeeper");
  private final List<String> output = new CopyOnWriteArrayList<>();
  private final Set<String> secrets = new LinkedHashSet<>(List.of(CLIENT_SECRET, PASSWORD, HMAC_SECRET));
  /** Every DPoP proof and client assertion the keepers sent, captured on the way out. */
  private final List<String> sentJwts = new CopyOnWriteArrayList<>();
  private final Handler capture = new Handler() {
    @Override
    public void publish(LogRecord record) {
      output.add(record.getLevel() + " " + new java.util.logging.SimpleFormatter().formatMessage(record));
      describe(record.getThrown());
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };

  @BeforeEach
  void captureLogs() {
    julLogger.setLevel(Level.ALL);
    julLogger.addHandler(capture);
  }

  @AfterEach
  void stop() {
    julLogger.removeHandler(capture);
    julLogger.setLevel(null);
    server.close();
  }

  @Test
  void noTokenRefreshTokenOrSecret_inLogsExceptionsOrToString() throws Exception {
    TokenStore store = TokenStore.inMemory();
    RecordingListener listener = new RecordingListener();
    OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(server.uri()).clientId("app")
        .clientSecret(CLIENT_SECRET).revocationEndpoint(server.revocationUri()).build();
    TokenSource password = endpoint.password("alice", PASSWORD.toCharArray());
    TokenKeeper keeper = TokenKeeper.newBuilder(password).name("leaks").store(store).clock(clock)
        .scheduler(clock::schedule).executor(Runnable::run).listener(listener)
        .revoker(endpoint.revoker()).build();
    output.add(endpoint.toString());
    output.add(keeper.toString());

    remember(call(keeper)); // password grant
    remember(store);
    for (Fault fault : List.of(Fault.status(500), Fault.retryAfter(503, Duration.ofSeconds(1)),
        Fault.retryAfter(429, Duration.ofSeconds(1)), Fault.html(502), Fault.malformedJson(),
        Fault.emptyBody(200), Fault.json(200, "{\"token_type\":\"Bearer\"}"), Fault.dropConnection(),
        Fault.omitRefreshToken())) {
      server.enqueue(fault);
      clock.advance(Duration.ofMinutes(5)); // expired: the caller sees the failure
      remember(call(keeper));
      clock.advance(Duration.ofSeconds(40)); // past any backoff: next call succeeds
      remember(call(keeper));
      remember(store);
    }
    AccessToken rejected = keeper.token();
    keeper.invalidate(rejected);
    remember(call(keeper));
    keeper.reportRejectedAfterRefresh(keeper.token());
    remember(store);

    server.enqueue(Fault.invalidGrant());
    clock.advance(Duration.ofMinutes(5));
    call(keeper); // session expired
    call(keeper);

    keeper.signIn(password);
    remember(store);
    keeper.signOut().get();
    call(keeper);
    keeper.close();

    // Values from the server side too, and every event.
    secrets.add(server.issueLogin("app", "alice"));
    listener.refreshes.forEach(e -> output.add(e.toString()));
    listener.failures.forEach(e -> output.add(e.toString()));
    listener.expiries.forEach(e -> output.add(e.toString()));
    listener.rejections.forEach(e -> output.add(e.toString()));

    assertThat(secrets).hasSizeGreaterThan(20);
    assertThat(output).anyMatch(line -> line.contains("session expired"))
        .anyMatch(line -> line.contains("token refresh failed")).hasSizeGreaterThan(30);
    for (String line : output) {
      for (String secret : secrets) {
        assertThat(line).as("output line must not contain a secret").doesNotContain(secret);
      }
    }
  }

  @Test
  void dpopEcKeyAndPrivateKeyJwtFromPem_noKeyProofOrAssertion_inLogsExceptionsOrToString() throws Exception {
    ECKey dpopKey = ecJwk(null);
    rememberEcKey(dpopKey);
    DPoP dpop = DPoP.fromJwk(dpopKey.toJSONString());
    RSAPrivateCrtKey rsa = (RSAPrivateCrtKey) RSA_ASSERTION_KEY.getPrivate();
    rememberRsaKey(rsa);
    String base64 = java.util.Base64.getEncoder().encodeToString(rsa.getEncoded());
    secrets.add(base64);
    String pem = "-----BEGIN PRIVATE KEY-----\n" + java.util.Base64.getMimeEncoder().encodeToString(rsa.getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
    List<String> pemLines = List.of(pem.split("\n"));
    secrets.addAll(pemLines.subList(2, pemLines.size() - 2)); // the first base64 line is the same for every key
    ClientAssertionKey key = ClientAssertionKey.fromPem(pem);
    output.add(key.toString());
    output.add(key.withKeyId("rsa-kid").toString());

    driveDPoPKeeper(dpop, () -> OAuth2TokenEndpoint.newBuilder(server.uri()).clientId("rsa-app")
        .privateKeyJwt(key));
  }

  @Test
  void dpopRsaKeyAndPrivateKeyJwtFromJwk_noKeyProofOrAssertion_inLogsExceptionsOrToString() throws Exception {
    RSAKey dpopKey = new RSAKeyGenerator(2048).generate();
    rememberRsaKey((RSAPrivateCrtKey) dpopKey.toRSAPrivateKey());
    DPoP dpop = DPoP.fromJwk(dpopKey.toJSONString());
    rememberEcKey(EC_ASSERTION_JWK);
    ClientAssertionKey key = ClientAssertionKey.fromJwk(EC_ASSERTION_JWK.toJSONString());
    output.add(key.toString());

    driveDPoPKeeper(dpop, () -> OAuth2TokenEndpoint.newBuilder(server.uri()).clientId("ec-app")
        .privateKeyJwt(key));
  }

  @Test
  void dpopAndClientSecretJwt_noSecretProofOrAssertion_inLogsExceptionsOrToString() throws Exception {
    secrets.add(Base64URL.encode(HMAC_SECRET).toString()); // the secret as a JWK "k"
    secrets.add(java.util.Base64.getEncoder().encodeToString(HMAC_SECRET.getBytes(StandardCharsets.UTF_8)));
    ECKey dpopKey = ecJwk(null);
    rememberEcKey(dpopKey);

    driveDPoPKeeper(DPoP.fromJwk(dpopKey.toJSONString()), () -> OAuth2TokenEndpoint.newBuilder(server.uri())
        .clientId("hs-app").clientSecret(HMAC_SECRET).clientAuthentication(ClientAuthentication.CLIENT_SECRET_JWT));
  }

  /**
   * Runs a DPoP keeper whose endpoint signs client assertions through a nonce challenge, the grant,
   * faults (503, 500, invalid DPoP proof, refused client, dropped connection), rejection, session
   * end, a real refusal of an assertion (wrong audience), sign-in, sign-out and close; adds every
   * describing string to the output and checks it against the secrets, the sent proofs and
   * assertions included.
   */
  private void driveDPoPKeeper(DPoP dpop, java.util.function.Supplier<OAuth2TokenEndpoint.Builder> endpointBuilder)
      throws Exception {
    HttpClient http = new RecordingHttpClient(HttpClient.newHttpClient(), sentJwts);
    TokenStore store = TokenStore.inMemory();
    RecordingListener listener = new RecordingListener();
    OAuth2TokenEndpoint endpoint = endpointBuilder.get().httpClient(http)
        .revocationEndpoint(server.revocationUri()).build();
    TokenSource password = endpoint.password("alice", PASSWORD.toCharArray());
    TokenKeeper keeper = TokenKeeper.newBuilder(password).name("leaks-dpop").store(store).clock(clock)
        .scheduler(clock::schedule).executor(Runnable::run).listener(listener)
        .revoker(endpoint.revoker()).dpop(dpop).build();
    output.add(dpop.toString());
    output.add(DPoP.es256().toString());
    output.add(DPoP.rs256().toString());
    output.add(endpoint.toString());
    output.add(keeper.toString());

    server.requireDPoPNonce(true);
    AccessToken first = call(keeper); // answered use_dpop_nonce first, then sent again with the nonce
    assertThat(first).as("the grant sent again with the nonce (and a new client assertion)").isNotNull();
    assertThat(server.dpopNonceChallenges()).isEqualTo(1);
    remember(store);
    for (Fault fault : List.of(Fault.retryAfter(503, Duration.ofSeconds(1)), Fault.status(500),
        Fault.oauthError(400, "invalid_dpop_proof"), Fault.oauthError(400, "use_dpop_nonce"),
        Fault.invalidClient(), Fault.dropConnection())) {
      server.enqueue(fault);
      clock.advance(Duration.ofMinutes(5));
      remember(call(keeper));
      clock.advance(Duration.ofMinutes(2)); // past any backoff
      AccessToken after = call(keeper);
      if (after == null) { // a refused client or proof ends the session: sign in again
        keeper.signIn(password);
      }
      remember(after);
      remember(store);
    }
    AccessToken rejected = keeper.token();
    keeper.invalidate(rejected);
    remember(call(keeper));
    keeper.reportRejectedAfterRefresh(keeper.token());
    remember(store);
    StoredTokens stored = store.load();
    output.add(new TokenRequest(stored.refreshToken(), TokenRequest.Reason.EXPIRED, dpop).toString());
    output.add(new TokenRequest(null, TokenRequest.Reason.SIGN_IN, dpop).toString());

    server.enqueue(Fault.invalidGrant());
    clock.advance(Duration.ofMinutes(5));
    call(keeper); // session expired
    call(keeper);

    // A real refusal: the server checks the assertion and finds the wrong audience.
    OAuth2TokenEndpoint wrongAudience = endpointBuilder.get().httpClient(http)
        .assertionAudience("https://elsewhere.example/token").build();
    try (TokenKeeper refused = TokenKeeper.newBuilder(wrongAudience.password("alice", PASSWORD.toCharArray()))
        .name("leaks-refused").clock(clock).scheduler(clock::schedule).executor(Runnable::run)
        .listener(listener).dpop(dpop).build()) {
      output.add(wrongAudience.toString());
      call(refused);
    }

    keeper.signIn(password);
    remember(store);
    try {
      keeper.signOut().get();
      throw new AssertionError("the scripted revocation endpoint takes client secrets only");
    } catch (java.util.concurrent.ExecutionException e) {
      describe(e); // refused: 401 invalid_client
    }
    call(keeper);
    keeper.close();
    call(keeper);

    // Key material handed to the factories, mostly in a wrong shape: neither their messages nor the
    // toString of what they accept (the whole PKCS#8 of a key is a valid PEM body) may quote it.
    for (String secret : List.copyOf(secrets)) {
      describeFactory(() -> DPoP.fromJwk("{\"kty\":\"EC\",\"crv\":\"P-256\",\"d\":\"" + secret + "\""));
      describeFactory(() -> ClientAssertionKey.fromJwk("{\"kty\":\"oct\",\"k\":\"" + secret + "\"}"));
      describeFactory(() -> ClientAssertionKey.fromJwk("{\"kty\":\"RSA\",\"d\":\"" + secret + "\"}"));
      describeFactory(() -> ClientAssertionKey.fromPem("-----BEGIN PRIVATE KEY-----\n" + secret
          + "\n-----END PRIVATE KEY-----"));
      describeFactory(() -> ClientAssertionKey.fromPem("-----BEGIN RSA PRIVATE KEY-----\n" + secret
          + "\n-----END RSA PRIVATE KEY-----"));
    }

    secrets.add(server.issueLogin("app", "alice"));
    listener.refreshes.forEach(e -> output.add(e.toString()));
    listener.failures.forEach(e -> output.add(e.toString()));
    listener.expiries.forEach(e -> output.add(e.toString()));
    listener.rejections.forEach(e -> output.add(e.toString()));
    long proofs = sentJwts.stream().filter(jwt -> jwt.startsWith("proof ")).count();
    long assertions = sentJwts.stream().filter(jwt -> jwt.startsWith("assertion ")).count();
    for (String jwt : sentJwts) {
      String value = jwt.substring(jwt.indexOf(' ') + 1);
      secrets.add(value);
      secrets.add(value.substring(value.lastIndexOf('.') + 1)); // its signature alone
    }

    assertThat(server.dpopBoundTokens()).isGreaterThan(5);
    assertThat(server.acceptedClientAssertionIds()).hasSizeGreaterThan(5);
    assertThat(proofs).isGreaterThan(10);
    assertThat(assertions).isGreaterThan(10);
    assertThat(secrets).hasSizeGreaterThan(50);
    assertThat(output).anyMatch(line -> line.contains("session expired"))
        .anyMatch(line -> line.contains("token refresh failed"))
        .anyMatch(line -> line.contains("invalid_dpop_proof"))
        .anyMatch(line -> line.contains("invalid_client")).hasSizeGreaterThan(30);
    for (String line : output) {
      for (String secret : secrets) {
        assertThat(line).as("output line must not contain a secret").doesNotContain(secret);
      }
    }
  }

  /** Adds the factory's result's {@code toString}, or the text of the exception it threw, to the output. */
  private void describeFactory(java.util.function.Supplier<Object> factory) {
    try {
      output.add(factory.get().toString());
    } catch (RuntimeException e) {
      describe(e);
    }
  }

  /** The private parts of an EC key: the JWK's d and the scalar in decimal and hex. */
  private void rememberEcKey(ECKey key) throws Exception {
    secrets.add(key.getD().toString());
    ECPrivateKey privateKey = key.toECPrivateKey();
    secrets.add(privateKey.getS().toString());
    secrets.add(privateKey.getS().toString(16));
    secrets.add(java.util.Base64.getEncoder().encodeToString(privateKey.getEncoded()));
  }

  /** The private parts of an RSA key: JWK d, p, q, dp, dq, qi, and d, p, q in decimal and hex. */
  private void rememberRsaKey(RSAPrivateCrtKey key) {
    for (BigInteger part : List.of(key.getPrivateExponent(), key.getPrimeP(), key.getPrimeQ(),
        key.getPrimeExponentP(), key.getPrimeExponentQ(), key.getCrtCoefficient())) {
      secrets.add(Base64URL.encode(part).toString());
      secrets.add(part.toString());
      secrets.add(part.toString(16));
    }
    secrets.add(java.util.Base64.getEncoder().encodeToString(key.getEncoded()));
  }

  /** Calls the keeper, recording the token's value as a secret and any exception's text as output. */
  private AccessToken call(TokenKeeper keeper) {
    try {
      AccessToken token = keeper.token(Duration.ZERO);
      secrets.add(token.value());
      output.add(token.toString());
      return token;
    } catch (RuntimeException e) {
      describe(e);
      return null;
    }
  }

  private void remember(AccessToken token) {
    if (token != null) {
      secrets.add(token.value());
    }
  }

  private void remember(TokenStore store) {
    StoredTokens stored = store.load();
    output.add(stored.toString());
    if (stored.accessToken() != null) {
      secrets.add(stored.accessToken().value());
    }
    if (stored.refreshToken() != null) {
      secrets.add(stored.refreshToken().value());
      output.add(stored.refreshToken().toString());
    }
  }

  private void describe(Throwable t) {
    List<Throwable> seen = new ArrayList<>();
    for (Throwable c = t; c != null && !seen.contains(c); c = c.getCause()) {
      seen.add(c);
      output.add(c.toString());
      for (Throwable s : c.getSuppressed()) {
        output.add(s.toString());
      }
    }
  }

  private static KeyPair rsaKeyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      return generator.generateKeyPair();
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static ECKey ecJwk(String keyId) {
    try {
      return new ECKeyGenerator(Curve.P_256).keyID(keyId).generate();
    } catch (com.nimbusds.jose.JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  private static java.security.PublicKey publicKey(ECKey key) {
    try {
      return key.toECPublicKey();
    } catch (com.nimbusds.jose.JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A real JDK client that notes, on the way out, each request's DPoP proof ({@code "proof <jwt>"})
   * and form {@code client_assertion} ({@code "assertion <jwt>"}); it does not change requests.
   */
  private static final class RecordingHttpClient extends HttpClient {
    private final HttpClient delegate;
    private final List<String> sent;

    RecordingHttpClient(HttpClient delegate, List<String> sent) {
      this.delegate = delegate;
      this.sent = sent;
    }

    private void record(HttpRequest request) {
      request.headers().allValues("DPoP").forEach(proof -> sent.add("proof " + proof));
      request.bodyPublisher().ifPresent(publisher -> {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CompletableFuture<String> body = new CompletableFuture<>();
        publisher.subscribe(new Flow.Subscriber<ByteBuffer>() {
          @Override
          public void onSubscribe(Flow.Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
          }

          @Override
          public void onNext(ByteBuffer item) {
            byte[] chunk = new byte[item.remaining()];
            item.get(chunk);
            bytes.write(chunk, 0, chunk.length);
          }

          @Override
          public void onError(Throwable throwable) {
            body.completeExceptionally(throwable);
          }

          @Override
          public void onComplete() {
            body.complete(bytes.toString(StandardCharsets.UTF_8));
          }
        });
        String form;
        try {
          form = body.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
          throw new AssertionError("could not read the request body", e);
        }
        for (String pair : form.split("&")) {
          int eq = pair.indexOf('=');
          if (eq > 0 && pair.substring(0, eq).equals("client_assertion")) {
            sent.add("assertion " + URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
          }
        }
      });
    }

    @Override
    public Optional<CookieHandler> cookieHandler() {
      return delegate.cookieHandler();
    }

    @Override
    public Optional<Duration> connectTimeout() {
      return delegate.connectTimeout();
    }

    @Override
    public Redirect followRedirects() {
      return delegate.followRedirects();
    }

    @Override
    public Optional<ProxySelector> proxy() {
      return delegate.proxy();
    }

    @Override
    public SSLContext sslContext() {
      return delegate.sslContext();
    }

    @Override
    public SSLParameters sslParameters() {
      return delegate.sslParameters();
    }

    @Override
    public Optional<Authenticator> authenticator() {
      return delegate.authenticator();
    }

    @Override
    public Version version() {
      return delegate.version();
    }

    @Override
    public Optional<Executor> executor() {
      return delegate.executor();
    }

    @Override
    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
        throws IOException, InterruptedException {
      record(request);
      return delegate.send(request, handler);
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request,
        HttpResponse.BodyHandler<T> handler) {
      record(request);
      return delegate.sendAsync(request, handler);
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request,
        HttpResponse.BodyHandler<T> handler, HttpResponse.PushPromiseHandler<T> push) {
      record(request);
      return delegate.sendAsync(request, handler, push);
    }
  }
}
