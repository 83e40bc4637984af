package dev.tokenkeeper.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The stories every Tokenkeeper HTTP adapter must pass, written once. An adapter's test class
 * extends this one and only says how to build its client ({@link #connect}) and how its failures
 * look ({@link #tokenFailureType()}, {@link #isReauthenticationRequired}); every test here then runs
 * against that adapter, on real loopback servers: a {@link ScriptedTokenServer}, an API that checks
 * its JWTs ({@link #api}), and a second API on another port ({@link #other}) that accepts the same
 * tokens, so a token that leaks there would be seen, and used.
 *
 * <pre>{@code
 * class TokenInterceptorConformanceTest extends AdapterConformanceSuite {
 *   protected AuthenticatedClient connect(Setup setup) { ... build keepers and the client ... }
 *   protected Class<? extends Exception> tokenFailureType() { return TokenIOException.class; }
 *   protected boolean isReauthenticationRequired(Exception e) { ... }
 * }
 * }</pre>
 *
 * <p>The rules checked are those of the design's HTTP integration policy: the token goes only to
 * allowed origins, never to plain {@code http} off loopback; a token rejection (a 401 without
 * challenge, or with a {@code Bearer} challenge naming no error or {@code invalid_token}) is
 * followed by {@code invalidate}, the current token and one retry when the body can be sent again;
 * a {@code Basic} challenge and a {@code 403 insufficient_scope} are not rejections; a redirect that
 * leaves the first request's origin carries no token on any later hop, whatever origin it leads to;
 * a keeper that cannot give a token (closed, session over) fails the request with the adapter's
 * documented exception before anything is sent.
 *
 * <p>This class needs nothing from {@code tokenkeeper-core}: the adapter's test wires keepers and
 * client behind {@link AuthenticatedClient}. It needs JUnit Jupiter (api and params) on the test
 * class path. Not thread-safe; JUnit makes one instance per test.
 */
public abstract class AdapterConformanceSuite {
  /** Lifetime of the access tokens the token server issues. */
  protected static final Duration TTL = Duration.ofMinutes(5);
  private static final Duration WAIT = Duration.ofSeconds(10);

  /** The clock of the token server, the APIs and (through {@link Setup}) the keepers. */
  protected final TestClock clock = new TestClock();
  /** The token endpoint; {@code client_id} "test-client", secret "test-secret". */
  protected final ScriptedTokenServer tokens =
      ScriptedTokenServer.newBuilder().clock(clock).accessTokenTtl(TTL).build().start();
  /** The API whose origin the tests allow. */
  protected final ScriptedApiServer api = ScriptedApiServer.start(tokens, clock);
  /** Another API, on another port, accepting the same tokens. */
  protected final ScriptedApiServer other = ScriptedApiServer.start(tokens, clock);
  private final List<AutoCloseable> opened = new ArrayList<>();

  /** What a test asks the adapter under test to build. */
  public record Setup(ScriptedTokenServer tokens, TestClock clock, List<URI> origins,
      @Nullable String userRefreshToken, boolean dpop) {
    /**
     * @param tokens the token endpoint every keeper uses, with client credentials {@code
     *     test-client}/{@code test-secret}
     * @param clock the clock and scheduler every keeper runs on
     * @param origins the allowed origins, each with a keeper of its own
     * @param userRefreshToken null for a service (each keeper uses the {@code client_credentials}
     *     grant); otherwise each keeper holds a user session: the {@code refresh_token} grant,
     *     started with an access token that has already expired and this refresh token
     * @param dpop whether each keeper has a DPoP key of its own ({@code TokenKeeper.Builder.dpop(
     *     DPoP.es256())}): its tokens are DPoP-bound and every request must carry a proof
     */
    public Setup {
      Objects.requireNonNull(tokens, "tokens");
      Objects.requireNonNull(clock, "clock");
      origins = List.copyOf(origins);
    }

    /** A setup without DPoP. */
    public Setup(ScriptedTokenServer tokens, TestClock clock, List<URI> origins, @Nullable String userRefreshToken) {
      this(tokens, clock, origins, userRefreshToken, false);
    }

    /** Whether the keepers hold a user session rather than a service's client credentials. */
    public boolean userSession() {
      return userRefreshToken != null;
    }
  }

  /** A request the suite sends through the adapter. */
  public record Exchange(String method, URI uri, @Nullable String body, boolean replayable) {
    /** A GET without body. */
    public static Exchange get(URI uri) {
      return new Exchange("GET", uri, null, true);
    }

    /** A POST whose body the adapter can send again (a string or byte-array body). */
    public static Exchange post(URI uri, String body) {
      return new Exchange("POST", uri, body, true);
    }

    /** A POST whose body can be sent only once (a stream, a one-shot body). */
    public static Exchange postOnce(URI uri, String body) {
      return new Exchange("POST", uri, body, false);
    }
  }

  /** The answer the caller got: status and body as text. */
  public record Answer(int status, String body) {}

  /** The adapter under test, with the keepers it was built with. */
  public interface AuthenticatedClient extends AutoCloseable {
    /**
     * Sends {@code exchange} through the adapter, following redirects (the client's usual
     * redirect-following setting), and returns the final answer.
     *
     * @throws Exception whatever the adapter throws; the suite checks its type
     */
    Answer send(Exchange exchange) throws Exception;

    /** Returns the {@code Authorization} value that {@code origin}'s keeper hands out now. */
    String authorization(URI origin);

    /** Invalidates the token {@code origin}'s keeper hands out now: it refreshes once. */
    void invalidate(URI origin);

    /** Closes every keeper, leaving the client open. */
    void closeKeepers();

    /** Closes the client and the keepers. */
    @Override
    void close() throws Exception;
  }

  /**
   * Builds the adapter for {@code setup}: one keeper per origin (client credentials grant at {@code
   * setup.tokens()}, on {@code setup.clock()}), and a client that follows redirects.
   *
   * @throws IllegalArgumentException when the adapter's policy refuses an origin
   * @throws Exception when the adapter cannot be built otherwise
   */
  protected abstract AuthenticatedClient connect(Setup setup) throws Exception;

  /** The exception type the adapter documents for "no token could be had". */
  protected abstract Class<? extends Exception> tokenFailureType();

  /** Whether {@code failure}, of {@link #tokenFailureType()}, says the session is over. */
  protected abstract boolean isReauthenticationRequired(Exception failure);

  /** Connects with {@code origins} allowed; closed after the test. */
  protected final AuthenticatedClient connect(URI... origins) throws Exception {
    AuthenticatedClient client = connect(new Setup(tokens, clock, List.of(origins), null));
    opened.add(client);
    return client;
  }

  /** Connects with {@code origin} allowed, its keeper holding a DPoP key; closed after the test. */
  protected final AuthenticatedClient connectDPoP(URI origin) throws Exception {
    AuthenticatedClient client = connect(new Setup(tokens, clock, List.of(origin), null, true));
    opened.add(client);
    return client;
  }

  /** Connects with a user session on {@code origin} whose refresh token is {@code refreshToken}. */
  protected final AuthenticatedClient connectUserSession(URI origin, String refreshToken) throws Exception {
    AuthenticatedClient client = connect(new Setup(tokens, clock, List.of(origin), refreshToken));
    opened.add(client);
    return client;
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : opened) {
      c.close();
    }
    api.close();
    other.close();
    tokens.close();
  }

  /** {@code origin}'s server reached through another host name: the same server, another origin. */
  protected static URI alias(URI uri) {
    return URI.create(uri.toString().replaceFirst("//127\\.0\\.0\\.1:", "//localhost:"));
  }

  // ------------------------------------------------------------------------------ origin scoping

  @Test
  void tokenGoesOnlyToTheAllowedOrigin_notToAnotherPort_norToAnAliasOfTheSameServer() throws Exception {
    AuthenticatedClient client = connect(api.origin());
    assertEquals(new Answer(200, "ok test-client 0"), client.send(Exchange.get(api.uri("/api/items"))));
    assertEquals(401, client.send(Exchange.get(other.uri("/api/items"))).status());
    assertEquals(401, client.send(Exchange.get(alias(api.uri("/api/items")))).status());
    assertEquals(List.of(client.authorization(api.origin())), api.authorizations());
    assertEquals(List.of(), other.authorizations());
    assertEquals(1, tokens.tokenRequests(), "the 401s from origins without a token are not ours to answer");
  }

  @Test
  void plainHttpOriginOffLoopback_isRefused() {
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
        () -> connect(URI.create("http://api.example.com")));
    assertTrue(refused.getMessage().contains("clear text"), refused.getMessage());
  }

  // ----------------------------------------------------------------------------- DPoP (RFC 9449)

  @Test
  void dpop_everyRequestCarriesAProofForItsMethodAndUri_theApiVerifiesProofAndBinding() throws Exception {
    AuthenticatedClient client = connectDPoP(api.origin());
    assertEquals(new Answer(200, "ok test-client 0"), client.send(Exchange.get(api.uri("/api/items?page=2"))));
    assertEquals(new Answer(200, "ok test-client 3"), client.send(Exchange.post(api.uri("/api/items/7"), "abc")));
    assertEquals(0, api.dpopFailures(), api.lastDPoPFailure());
    assertEquals(2, api.dpopAccepted());
    assertTrue(client.authorization(api.origin()).startsWith("DPoP "), "token_type DPoP");
    assertEquals(List.of(client.authorization(api.origin()), client.authorization(api.origin())), api.authorizations());
    assertEquals(1, tokens.dpopBoundTokens());
  }

  @Test
  void dpop_apiNonceRequiredThenSupplied_sentOnceMoreWithTheSameToken_noRefresh() throws Exception {
    AuthenticatedClient client = connectDPoP(api.origin());
    api.requireDPoPNonce(true);
    assertEquals(new Answer(200, "ok test-client 0"), client.send(Exchange.get(api.uri("/api/items"))));
    assertEquals(new Answer(200, "ok test-client 3"), client.send(Exchange.post(api.uri("/api/items"), "abc")));
    assertEquals(1, api.dpopNonceChallenges(), "the nonce is remembered for the origin");
    assertEquals(3, api.requests());
    assertEquals(1, tokens.tokenRequests(), "a nonce challenge is not a token rejection");
    assertEquals(0, api.rejected());
  }

  @Test
  void dpop_sameOriginRedirect_getsAProofOfItsOwn_crossOriginRedirect_carriesNoToken() throws Exception {
    AuthenticatedClient client = connectDPoP(api.origin());
    assertEquals(new Answer(200, "ok test-client 0"),
        client.send(Exchange.get(api.redirect(302, api.uri("/api/items")))));
    assertEquals(0, api.dpopFailures(), api.lastDPoPFailure());
    client.send(Exchange.get(api.redirect(307, other.uri("/api/items"))));
    assertEquals(List.of(), other.authorizations());
  }

  @Test
  void dpop_invalidTokenChallenge_isARejection_oneRefreshAndOneRetry() throws Exception {
    AuthenticatedClient client = connectDPoP(api.origin());
    api.rejectAll(true); // answered 401 WWW-Authenticate: DPoP error="invalid_token"
    assertEquals(401, client.send(Exchange.get(api.uri("/api/items"))).status());
    assertEquals(2, tokens.tokenRequests());
    assertEquals(2, api.requests());
  }

  // ---------------------------------------------------------------------------------- rejection

  @Test
  void revokedToken_invalidatedRefreshedOnce_andTheRequestRetriedOnce() throws Exception {
    AuthenticatedClient client = connect(api.origin());
    String first = client.authorization(api.origin());
    api.revoke(first.substring("Bearer ".length()));
    assertEquals(new Answer(200, "ok test-client 0"), client.send(Exchange.get(api.uri("/api/items"))));
    assertEquals(2, tokens.tokenRequests());
    assertEquals(List.of(first, client.authorization(api.origin())), api.authorizations());
    assertEquals(1, api.rejected());
  }

  @Test
  void everyTokenRejected_oneRefreshAndOneRetryOnly_thenThe401ReachesTheCaller() throws Exception {
    AuthenticatedClient client = connect(api.origin());
    api.rejectAll(true);
    assertEquals(401, client.send(Exchange.get(api.uri("/api/items"))).status());
    assertEquals(2, tokens.tokenRequests());
    assertEquals(2, api.requests());
  }

  @Test
  void late401_forATokenAlreadyReplaced_retriesWithTheNewerToken_withoutAnotherRefresh() throws Exception {
    AuthenticatedClient client = connect(api.origin());
    String first = client.authorization(api.origin());
    ScriptedApiServer.Held held = api.holdNext();
    ExecutorService caller = Executors.newSingleThreadExecutor();
    try {
      Future<Answer> late = caller.submit(() -> client.send(Exchange.get(api.uri("/api/items"))));
      assertTrue(held.awaitArrival(WAIT), "the request did not reach the API");
      // While it is on the wire with the first token, another request's 401 replaced that token.
      client.invalidate(api.origin());
      String second = client.authorization(api.origin());
      assertNotEquals(first, second);
      api.revoke(first.substring("Bearer ".length()));
      held.release();
      assertEquals(new Answer(200, "ok test-client 0"), late.get(WAIT.toSeconds(), TimeUnit.SECONDS));
      assertEquals(2, tokens.tokenRequests(), "the late 401 refreshed nothing");
      assertEquals(List.of(first, second), api.authorizations());
    } finally {
      held.release();
      caller.shutdownNow();
    }
  }

  @Test
  void nonReplayableBody_401_noRetry_butTheKeeperIsInvalidated() throws Exception {
    AuthenticatedClient client = connect(api.origin());
    String first = client.authorization(api.origin());
    api.revoke(first.substring("Bearer ".length()));
    assertEquals(401, client.send(Exchange.postOnce(api.uri("/api/upload"), "stream")).status());
    assertEquals(1, api.requests());
    assertNotEquals(first, client.authorization(api.origin()));
    assertEquals(2, tokens.tokenRequests());
  }

  @Test
  void replayableBody_isSentAgainWhole() throws Exception {
    AuthenticatedClient client = connect(api.origin());
    api.revoke(client.authorization(api.origin()).substring("Bearer ".length()));
    assertEquals(new Answer(200, "ok test-client 12"), client.send(Exchange.post(api.uri("/api/items"), "twelve bytes")));
    assertEquals(2, api.requests());
  }

  @Test
  void basicChallenge_isNotATokenRejection_fiveRequestsNoRefresh() throws Exception {
    AuthenticatedClient client = connect(api.origin());
    URI basic = api.challenge("Basic realm=\"api\", charset=\"UTF-8\"");
    for (int i = 0; i < 5; i++) {
      assertEquals(401, client.send(Exchange.get(basic)).status());
    }
    assertEquals(1, tokens.tokenRequests(), "a new token cannot answer a Basic challenge");
    assertEquals(5, api.requests());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("challengesNamingTheBearerToken")
  void bearerChallengeAmongOthers_isATokenRejection(List<String> challenges) throws Exception {
    AuthenticatedClient client = connect(api.origin());
    assertEquals(401, client.send(Exchange.get(api.challenge(challenges.toArray(String[]::new)))).status());
    assertEquals(2, tokens.tokenRequests());
    assertEquals(2, api.requests(), "one retry, no more");
  }

  static Stream<Arguments> challengesNamingTheBearerToken() {
    return Stream.of(
        Arguments.of(List.of()),
        Arguments.of(List.of("Basic realm=\"a, b\", Bearer realm=\"api\", error=\"invalid_token\"")),
        Arguments.of(List.of("Basic realm=\"api\"", "Bearer error_description=\"expired, or revoked\"")),
        Arguments.of(List.of("DPoP algs=\"ES256\", error=\"invalid_token\"")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("challengesNotAboutTheToken")
  void challengeNotAboutTheToken_noRefreshNoRetry(List<String> challenges) throws Exception {
    AuthenticatedClient client = connect(api.origin());
    assertEquals(401, client.send(Exchange.get(api.challenge(challenges.toArray(String[]::new)))).status());
    assertEquals(1, tokens.tokenRequests());
    assertEquals(1, api.requests());
  }

  static Stream<Arguments> challengesNotAboutTheToken() {
    return Stream.of(
        Arguments.of(List.of("Basic realm=\"Bearer, error=invalid_token\"")),
        Arguments.of(List.of("Negotiate", "Basic realm=\"api\"")),
        Arguments.of(List.of("Bearer realm=\"api\", error=\"invalid_request\"")));
  }

  @Test
  void insufficientScope403_noRefreshNoRetry() throws Exception {
    AuthenticatedClient client = connect(api.origin());
    assertEquals(403, client.send(Exchange.get(api.uri("/api/admin/users"))).status());
    assertEquals(1, tokens.tokenRequests());
    assertEquals(1, api.requests());
  }

  // ---------------------------------------------------------------------------------- redirects

  @ParameterizedTest(name = "{0}")
  @ValueSource(ints = {301, 302, 303, 307, 308})
  void redirectToAnotherPort_carriesNoToken_andIts401RefreshesNothing(int status) throws Exception {
    AuthenticatedClient client = connect(api.origin());
    assertRedirectCarriesNoToken(client, status, other.uri("/api/items"));
    assertEquals(List.of(), other.authorizations());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(ints = {301, 302, 303, 307, 308})
  void redirectToAHostAliasOfTheSameServer_127001ToLocalhost_carriesNoToken(int status) throws Exception {
    AuthenticatedClient client = connect(api.origin());
    assertRedirectCarriesNoToken(client, status, alias(api.uri("/api/items")));
    assertEquals(List.of(client.authorization(api.origin()), client.authorization(api.origin())),
        api.authorizations(), "only the two requests to 127.0.0.1's /redirect carried it");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(ints = {301, 302, 303, 307, 308})
  void redirectToAnotherAllowedOrigin_carriesNeitherToken(int status) throws Exception {
    AuthenticatedClient client = connect(api.origin(), other.origin());
    assertRedirectCarriesNoToken(client, status, other.uri("/api/items"));
    assertEquals(List.of(), other.authorizations());
  }

  @Test
  void redirectThatLeavesTheOriginAndComesBack_carriesNoTokenBack() throws Exception {
    AuthenticatedClient client = connect(api.origin(), other.origin());
    URI back = other.redirect(302, api.uri("/api/items"));
    assertEquals(401, client.send(Exchange.get(api.redirect(302, back))).status());
    assertEquals(1, api.authorizations().size(), "only the first hop carried the token");
    assertEquals(List.of(), other.authorizations());
    assertEquals(1, tokens.tokenRequests());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(ints = {301, 302, 303, 307, 308})
  void sameOriginRedirect_keepsTheToken(int status) throws Exception {
    AuthenticatedClient client = connect(api.origin());
    assertEquals(new Answer(200, "ok test-client 0"),
        client.send(Exchange.get(api.redirect(status, api.uri("/api/items")))));
    String header = client.authorization(api.origin());
    assertEquals(List.of(header, header), api.authorizations());
  }

  /** A GET and a POST to a {@code status} redirect to {@code target}: each ends in a 401 there. */
  private void assertRedirectCarriesNoToken(AuthenticatedClient client, int status, URI target) throws Exception {
    URI start = api.redirect(status, target);
    assertEquals(401, client.send(Exchange.get(start)).status());
    // 307 and 308 send the body again, never the token; 301, 302 and 303 turn the POST into a GET.
    assertEquals(401, client.send(Exchange.post(start, "body")).status());
    assertEquals(1, tokens.tokenRequests(), "a 401 from where the token was not sent is not a rejection of it");
  }

  // ----------------------------------------------------------------------------------- failures

  @Test
  void closedKeeper_failsTheRequestWithTheAdaptersTokenFailure_nothingSent() throws Exception {
    AuthenticatedClient client = connect(api.origin());
    client.closeKeepers();
    Exception failure = assertThrows(Exception.class, () -> client.send(Exchange.get(api.uri("/api/items"))));
    assertInstanceOf(tokenFailureType(), failure, "not the documented failure: " + failure);
    assertNotNull(failure.getCause(), "the keeper's exception is kept as the cause");
    assertEquals(0, api.requests());
  }

  @Test
  void sessionOver_failsWithReauthenticationRequired_nothingSent() throws Exception {
    // A user session whose refresh token the server refuses (invalid_grant): only a new sign-in helps.
    AuthenticatedClient client = connectUserSession(api.origin(), "a-refresh-token-never-issued");
    Exception failure = assertThrows(Exception.class, () -> client.send(Exchange.get(api.uri("/api/items"))));
    assertInstanceOf(tokenFailureType(), failure, "not the documented failure: " + failure);
    assertTrue(isReauthenticationRequired(failure), failure.toString());
    assertEquals(0, api.requests());
    assertEquals(1, tokens.tokenRequests("refresh_token"));
  }

  @Test
  void serviceCredentialsRefused_failsWithTheAdaptersTokenFailure_butNotReauthentication() throws Exception {
    // A service has no user to sign in again: refused client credentials are retried, not final.
    AuthenticatedClient client = connect(api.origin());
    tokens.enqueue(Fault.invalidClient());
    Exception failure = assertThrows(Exception.class, () -> client.send(Exchange.get(api.uri("/api/items"))));
    assertInstanceOf(tokenFailureType(), failure, "not the documented failure: " + failure);
    assertFalse(isReauthenticationRequired(failure), failure.toString());
    assertEquals(0, api.requests());
  }
}
