package dev.tokenkeeper.testing;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.JWKSet;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A scripted OAuth 2.0 authorization server (RFC 6749 token endpoint, RFC 7009 revocation) on
 * 127.0.0.1, for testing clients that keep themselves authenticated.
 *
 * <p>It serves the {@code client_credentials}, {@code password} and {@code refresh_token} grants
 * with RS256-signed JWT (or opaque) access tokens, rotates refresh tokens and detects their reuse,
 * and misbehaves on demand: {@link #enqueue(Fault...)} scripts delays, held requests, error
 * statuses, broken bodies and dropped connections for the next token requests. Counters and a
 * redacted request log let tests assert exactly what the client did; {@link
 * #awaitTokenRequests(int, Duration)} waits for requests without sleeping.
 *
 * <pre>{@code
 * try (ScriptedTokenServer server = ScriptedTokenServer.newBuilder().clock(clock).build()) {
 *   server.start();
 *   String refreshToken = server.issueLogin("alice");
 *   server.enqueue(Fault.status(503));
 *   // point the client under test at server.uri() with test-client / test-secret ...
 *   assertThat(server.tokenRequests("refresh_token")).isEqualTo(2);
 * }
 * }</pre>
 *
 * <p>Thread-safe: any number of requests are served concurrently, each on its own daemon thread,
 * so a held request never blocks another, and every method may be called from any thread. {@link
 * #close()} stops the server at once, dropping the connections of requests still held or delayed.
 * {@link #toString()} never shows secrets.
 */
public final class ScriptedTokenServer implements AutoCloseable {

  private static final String TOKEN_PATH = "/oauth2/token";
  private static final String REVOCATION_PATH = "/oauth2/revoke";
  private static final String JWKS_PATH = "/oauth2/jwks";
  private static final String METADATA_PATH = "/.well-known/oauth-authorization-server";

  private final ServerSettings settings;
  private final AccessTokenMinter minter = new AccessTokenMinter();
  private final RefreshTokenFamilies families = new RefreshTokenFamilies();
  private final TokenServerStats stats = new TokenServerStats();
  private final FaultScript faults = new FaultScript();
  private final DPoPState dpop = new DPoPState();
  private final Object lifecycleLock = new Object();
  private @Nullable LoopbackHttpServer http; // guarded by lifecycleLock
  private boolean closed; // guarded by lifecycleLock
  private volatile @Nullable URI baseUri;
  private volatile @Nullable String issuer;
  private volatile @Nullable ClientAssertionVerifier assertionVerifier;
  private final java.util.concurrent.atomic.AtomicInteger metadataRequests =
      new java.util.concurrent.atomic.AtomicInteger();

  ScriptedTokenServer(ServerSettings settings) {
    this.settings = settings;
  }

  /** Returns a builder with the documented defaults; see {@link ScriptedTokenServerBuilder}. */
  public static ScriptedTokenServerBuilder newBuilder() {
    return new ScriptedTokenServerBuilder();
  }

  /**
   * Binds a random port on 127.0.0.1 and starts serving.
   *
   * @return this server, for {@code newBuilder().build().start()}
   * @throws IllegalStateException if the server was already started or has been closed
   * @throws UncheckedIOException if no loopback port can be bound
   */
  public ScriptedTokenServer start() {
    synchronized (lifecycleLock) {
      if (closed) {
        throw new IllegalStateException("this server was closed; build a new one");
      }
      if (http != null) {
        throw new IllegalStateException("start() was already called");
      }
      LoopbackHttpServer server;
      try {
        server = new LoopbackHttpServer(settings.sendDateHeader() ? settings.clock() : null);
      } catch (IOException e) {
        throw new UncheckedIOException("could not bind a port on 127.0.0.1", e);
      }
      URI base = URI.create("http://127.0.0.1:" + server.port());
      String issuer = settings.issuer() != null ? settings.issuer() : base.toString();
      ClientAssertionVerifier verifier =
          new ClientAssertionVerifier(settings, base.resolve(TOKEN_PATH).toString(), issuer);
      assertionVerifier = verifier;
      server.start(
          Map.of(
              METADATA_PATH,
              request -> metadata(request, base, issuer),
              TOKEN_PATH,
              new TokenEndpoint(settings, issuer, minter, families, stats, faults, verifier, dpop),
              REVOCATION_PATH,
              new RevocationEndpoint(settings.clients(), families, stats),
              JWKS_PATH,
              request ->
                  request.method().equals("GET")
                      ? OAuthHttp.json(200, jwkSet().toJSONObject())
                      : OAuthHttp.methodNotAllowed("GET")));
      http = server;
      baseUri = base;
      this.issuer = issuer;
    }
    return this;
  }

  /**
   * Returns the token endpoint, {@code http://127.0.0.1:<port>/oauth2/token}.
   *
   * @throws IllegalStateException if the server has not been started
   */
  public URI uri() {
    return base().resolve(TOKEN_PATH);
  }

  /**
   * Returns the RFC 7009 revocation endpoint, {@code http://127.0.0.1:<port>/oauth2/revoke}.
   * Revoking a refresh token revokes its whole family; unknown tokens, access tokens and other
   * clients' tokens are answered 200 and left alone. Faults and the request log cover only the
   * token endpoint.
   *
   * @throws IllegalStateException if the server has not been started
   */
  public URI revocationUri() {
    return base().resolve(REVOCATION_PATH);
  }

  /**
   * Returns the endpoint serving {@link #jwkSet()} as JSON, {@code
   * http://127.0.0.1:<port>/oauth2/jwks}, for resource servers that fetch their keys.
   *
   * @throws IllegalStateException if the server has not been started
   */
  public URI jwksUri() {
    return base().resolve(JWKS_PATH);
  }

  /**
   * Returns the issuer this server names in its tokens and its metadata: {@code
   * http://127.0.0.1:<port>} unless {@link ScriptedTokenServerBuilder#issuer} set another.
   *
   * @throws IllegalStateException if the server has not been started
   */
  public URI issuerUri() {
    base();
    return URI.create(requireNonNull(issuer));
  }

  /**
   * Returns how many requests reached the RFC 8414 metadata document, {@code
   * http://127.0.0.1:<port>/.well-known/oauth-authorization-server}. It names this server's
   * {@linkplain #issuerUri() issuer}, token, revocation and JWK set endpoints and the client
   * authentication methods the token endpoint accepts.
   */
  public int metadataRequests() {
    return metadataRequests.get();
  }

  private LoopbackHttpServer.Response metadata(
      LoopbackHttpServer.Request request, URI base, String issuer) {
    if (!request.method().equals("GET")) {
      return OAuthHttp.methodNotAllowed("GET");
    }
    metadataRequests.incrementAndGet();
    Map<String, Object> body = new java.util.LinkedHashMap<>();
    body.put("issuer", issuer);
    body.put("token_endpoint", base.resolve(TOKEN_PATH).toString());
    body.put("revocation_endpoint", base.resolve(REVOCATION_PATH).toString());
    body.put("jwks_uri", base.resolve(JWKS_PATH).toString());
    body.put("grant_types_supported", List.of("client_credentials", "password", "refresh_token"));
    body.put("token_endpoint_auth_methods_supported", OAuthHttp.AUTH_METHODS);
    return OAuthHttp.json(200, body);
  }

  /**
   * Returns the {@code jti} of every client assertion ({@code client_secret_jwt}, {@code
   * private_key_jwt}) the token endpoint accepted, in order. A {@code jti} seen before is refused
   * (401 {@code invalid_client}) and not listed again.
   */
  public List<String> acceptedClientAssertionIds() {
    ClientAssertionVerifier verifier = assertionVerifier;
    return verifier == null ? List.of() : verifier.acceptedIds();
  }

  /** Returns the RSA public key that verifies this server's RS256 access tokens. */
  public RSAPublicKey publicKey() {
    try {
      return minter.publicKey().toRSAPublicKey();
    } catch (JOSEException e) {
      throw new IllegalStateException("the generated signing key is not a valid RSA key", e);
    }
  }

  /**
   * Sets whether the token endpoint requires its DPoP nonce (RFC 9449 section 8) in every proof:
   * a token request whose proof lacks it is answered 400 {@code use_dpop_nonce} with a {@code
   * DPoP-Nonce} header. Default false. Token requests without a proof are not affected.
   */
  public void requireDPoPNonce(boolean require) {
    dpop.requireNonce = require;
  }

  /**
   * Sets whether the token endpoint binds tokens to a DPoP proof's key (default true): a token
   * request with a valid proof ({@code DPoP} header: {@code typ dpop+jwt}, signature by its {@code
   * jwk}, {@code htm} POST, {@code htu} this endpoint, fresh {@code iat}, new {@code jti}) gets a
   * JWT with {@code cnf.jkt} and {@code token_type} {@code DPoP}; an invalid proof gets 400 {@code
   * invalid_dpop_proof}. With false the header is ignored and tokens are Bearer, as on a server
   * without DPoP.
   */
  public void bindDPoP(boolean bind) {
    dpop.bind = bind;
  }

  /** How many token requests were answered {@code use_dpop_nonce}. */
  public int dpopNonceChallenges() {
    return dpop.nonceChallenges.get();
  }

  /** How many access tokens were bound to a DPoP key. */
  public int dpopBoundTokens() {
    return dpop.boundTokens.get();
  }

  /** How many token requests carried an invalid DPoP proof (a replayed {@code jti} included). */
  public int dpopInvalidProofs() {
    return dpop.invalidProofs.get();
  }

  /** Returns the public signing key as a JWK set; its key id matches the tokens' {@code kid}. */
  public JWKSet jwkSet() {
    return new JWKSet(minter.publicKey());
  }

  /**
   * Scripts faults for the next token requests: each request takes one, in order, and a request
   * finding the queue empty gets the {@link #failAll(Fault) standing fault}, if any, or is served
   * normally. Every request to the token endpoint takes a fault, whatever its method or body.
   */
  public void enqueue(Fault... faults) {
    requireNonNull(faults, "faults");
    this.faults.enqueue(List.of(faults)); // List.of rejects null elements
  }

  /** Applies {@code fault} to every token request that finds no queued fault, until cleared. */
  public void failAll(Fault fault) {
    faults.failAll(requireNonNull(fault, "fault"));
  }

  /** Discards the queued faults and the standing fault; requests are served normally again. */
  public void clearFaults() {
    faults.clear();
  }

  /**
   * Signs an access token for {@code subject}, as the token endpoint would, issued now by the
   * server's clock for the first registered client. A zero or negative {@code ttl} makes a token
   * that is already expired. Does not count as an issued token.
   *
   * @throws IllegalStateException if no {@code issuer} was configured and the server has not been
   *     started (the default issuer is its base URI)
   */
  public String mintAccessToken(String subject, Duration ttl) {
    requireNonNull(subject, "subject");
    requireNonNull(ttl, "ttl");
    String issuer = settings.issuer() != null ? settings.issuer() : base().toString();
    return minter.signedJwt(
        issuer,
        settings.audience(),
        subject,
        settings.defaultClientId(),
        null,
        settings.clock().instant(),
        ttl,
        settings.roundExpiryUp());
  }

  /**
   * Starts a login for {@code username} with the first registered client, as if it had used the
   * password grant, and returns the family's first refresh token. For tests that begin with
   * tokens the application already holds; {@code username} need not be a registered user, and
   * nothing is counted or logged.
   */
  public String issueLogin(String username) {
    return issueLogin(settings.defaultClientId(), username);
  }

  /**
   * Starts a login for {@code username} with {@code clientId} and returns the family's first
   * refresh token; only that client can redeem it.
   *
   * @throws IllegalArgumentException if {@code clientId} is not registered
   */
  public String issueLogin(String clientId, String username) {
    requireNonNull(clientId, "clientId");
    requireNonNull(username, "username");
    if (!settings.clients().containsKey(clientId)) {
      throw new IllegalArgumentException(
          "client " + clientId + " is not registered; registered: " + settings.clients().keySet());
    }
    return families.start(clientId, username, null);
  }

  /** Returns how many requests reached the token endpoint, faulted or not. */
  public int tokenRequests() {
    return stats.tokenRequests();
  }

  /** Returns how many token requests carried {@code grant_type=grantType}, faulted or not. */
  public int tokenRequests(String grantType) {
    return stats.tokenRequests(requireNonNull(grantType, "grantType"));
  }

  /** Returns how many access tokens the token endpoint issued ({@link #mintAccessToken} aside). */
  public int issuedAccessTokens() {
    return stats.issuedAccessTokens();
  }

  /** Returns how many times a retired refresh token was replayed and its family revoked. */
  public int reuseDetections() {
    return stats.reuseDetections();
  }

  /**
   * Returns how many times a just-retired refresh token was presented within the {@linkplain
   * ScriptedTokenServerBuilder#reuseGraceWindow reuse grace window} and answered with the family's
   * current pair instead of being treated as reuse.
   */
  public int graceReuses() {
    return stats.graceReuses();
  }

  /** Returns how many refresh token families the revocation endpoint revoked. */
  public int revocations() {
    return stats.revocations();
  }

  /** Returns how many refresh token families are live: neither revoked nor ended by reuse. */
  public int activeFamilies() {
    return families.activeFamilies();
  }

  /** Returns an immutable snapshot of the token requests received so far, oldest first. */
  public List<RecordedTokenRequest> requests() {
    return stats.requests();
  }

  /**
   * Waits until at least {@code count} token requests have arrived (counted on arrival, before a
   * fault delays or holds them), or {@code timeout} elapses. Wakes as soon as the request arrives;
   * never polls.
   *
   * @return true if that many requests arrived, false on timeout
   * @throws IllegalArgumentException if {@code count} or {@code timeout} is negative
   * @throws InterruptedException if interrupted while waiting
   */
  public boolean awaitTokenRequests(int count, Duration timeout) throws InterruptedException {
    requireNonNull(timeout, "timeout");
    if (count < 0 || timeout.isNegative()) {
      throw new IllegalArgumentException(
          "count and timeout must not be negative, were " + count + " and " + timeout);
    }
    return stats.awaitTokenRequests(count, timeout);
  }

  /**
   * Stops the server immediately: closes the port and every connection, ends held and delayed
   * requests without answering them, and stops all of the server's threads. Idempotent; a server
   * never started just becomes unusable.
   */
  @Override
  public void close() {
    LoopbackHttpServer server;
    synchronized (lifecycleLock) {
      closed = true;
      server = http;
    }
    if (server != null) {
      server.close();
    }
  }

  /** Describes the server's address and configuration without any secret. */
  @Override
  public String toString() {
    URI base = baseUri;
    return "ScriptedTokenServer{" + (base == null ? "not started" : base) + ", " + settings + "}";
  }

  private URI base() {
    URI base = baseUri;
    if (base == null) {
      throw new IllegalStateException("the server is not started; call start() first");
    }
    return base;
  }
}
