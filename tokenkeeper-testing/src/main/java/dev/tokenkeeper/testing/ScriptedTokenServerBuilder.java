package dev.tokenkeeper.testing;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.InstantSource;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Configures a {@link ScriptedTokenServer}; obtain one from {@link
 * ScriptedTokenServer#newBuilder()}.
 *
 * <p>Defaults: the system clock, 5-minute access tokens as RS256 JWTs with {@code expires_in},
 * refresh token rotation and reuse detection on, no reuse grace window, one client {@value #DEFAULT_CLIENT_ID} / {@value
 * #DEFAULT_CLIENT_SECRET}, one user {@value #DEFAULT_USERNAME} / {@value #DEFAULT_PASSWORD}, no
 * refresh tokens for {@code client_credentials}, the server's base URI as issuer, no audience, and
 * a {@code Date} header on every response.
 *
 * <p>Each setter checks its argument and throws {@link IllegalArgumentException} or {@link
 * NullPointerException} saying what is wrong. Not thread-safe: configure from one thread, then
 * call {@link #build()}. The built servers share nothing with the builder.
 */
public final class ScriptedTokenServerBuilder {

  /** The client id registered when no client is configured. */
  public static final String DEFAULT_CLIENT_ID = "test-client";

  /** The secret of {@link #DEFAULT_CLIENT_ID}. */
  public static final String DEFAULT_CLIENT_SECRET = "test-secret";

  /** The user registered for the password grant when no user is configured. */
  public static final String DEFAULT_USERNAME = "alice";

  /** The password of {@link #DEFAULT_USERNAME}. */
  public static final String DEFAULT_PASSWORD = "wonderland";

  private InstantSource clock = InstantSource.system();
  private Duration accessTokenTtl = Duration.ofMinutes(5);
  private boolean rotateRefreshTokens = true;
  private boolean reuseDetection = true;
  private Duration reuseGraceWindow = Duration.ZERO;
  private final Map<String, String> clients = new LinkedHashMap<>();
  private final Map<String, java.security.PublicKey> clientKeys = new LinkedHashMap<>();
  private final Map<String, String> users = new LinkedHashMap<>();
  private boolean issueRefreshTokenForClientCredentials;
  private @Nullable String issuer;
  private @Nullable String audience;
  private boolean includeExpiresIn = true;
  private boolean jwtAccessTokens = true;
  private boolean sendDateHeader = true;
  private boolean roundExpiryUp;

  ScriptedTokenServerBuilder() {}

  /**
   * Sets the clock for {@code iat}, {@code exp}, the {@code Date} header and the request log's
   * arrival times, so a test can move time instead of sleeping (default: the system clock). It is
   * read when a request arrives, once when its token is issued, and for each response's {@code
   * Date}.
   */
  public ScriptedTokenServerBuilder clock(InstantSource clock) {
    this.clock = requireNonNull(clock, "clock");
    return this;
  }

  /**
   * Sets the access token lifetime (default 5 minutes). JWT times are whole seconds, so {@code exp}
   * is {@code iat} plus the lifetime rounded up to whole seconds, and so is {@code expires_in}.
   *
   * @throws IllegalArgumentException if {@code ttl} is zero or negative
   */
  public ScriptedTokenServerBuilder accessTokenTtl(Duration ttl) {
    requireNonNull(ttl, "ttl");
    if (ttl.isZero() || ttl.isNegative()) {
      throw new IllegalArgumentException("access token TTL must be positive, was " + ttl);
    }
    this.accessTokenTtl = ttl;
    return this;
  }

  /**
   * Sets whether each {@code refresh_token} grant returns a new refresh token and retires the
   * presented one (default true). When false, the same refresh token is returned and stays valid.
   */
  public ScriptedTokenServerBuilder rotateRefreshTokens(boolean rotate) {
    this.rotateRefreshTokens = rotate;
    return this;
  }

  /**
   * Sets whether replaying a retired refresh token revokes its whole family and answers {@code
   * invalid_grant} "refresh token reuse detected" (default true). When false, the replay is
   * refused and the family lives on.
   */
  public ScriptedTokenServerBuilder reuseDetection(boolean detect) {
    this.reuseDetection = detect;
    return this;
  }

  /**
   * Sets a reuse grace window, as Auth0 (reuse interval) and Okta (grace period for token
   * rotation) offer (default zero: none). Within {@code window} of a rotation, presenting the token
   * that rotation retired is forgiven: the answer is the family's current pair, its current refresh
   * token (not rotated again) and a new access token, and {@link
   * ScriptedTokenServer#graceReuses()} counts it. Only the token retired by the family's latest
   * rotation is forgiven; an older one, or one presented after the window, is reuse as {@link
   * #reuseDetection} says. The window is measured on the {@link #clock} between the two requests
   * (after any delay or hold).
   *
   * <p>This is what lets a client survive a process killed after the server rotated its refresh
   * token and before the new one was saved: the next process presents the saved, just-retired
   * token and gets the pair the dead one never stored.
   *
   * @throws IllegalArgumentException if {@code window} is negative
   */
  public ScriptedTokenServerBuilder reuseGraceWindow(Duration window) {
    requireNonNull(window, "window");
    if (window.isNegative()) {
      throw new IllegalArgumentException(
          "reuse grace window must be zero (none) or positive, was " + window);
    }
    this.reuseGraceWindow = window;
    return this;
  }

  /**
   * Registers a confidential client; the first registration replaces the default client. Clients
   * authenticate with {@code client_secret_basic} (form-urlencoded id and secret, RFC 6749 section
   * 2.3.1) or {@code client_secret_post}.
   *
   * @throws IllegalArgumentException if {@code id} or {@code secret} is empty or {@code id} is
   *     already registered
   */
  public ScriptedTokenServerBuilder client(String id, String secret) {
    requireNonEmpty(id, "client id");
    requireNonEmpty(secret, "client secret");
    if (clients.putIfAbsent(id, secret) != null) {
      throw new IllegalArgumentException("client " + id + " is already registered");
    }
    return this;
  }

  /**
   * Replaces all registered clients with {@code secretsById}, in its iteration order (the first is
   * the default client of {@link ScriptedTokenServer#issueLogin(String)}).
   *
   * @throws IllegalArgumentException if the map is empty or holds an empty id or secret
   */
  public ScriptedTokenServerBuilder clients(Map<String, String> secretsById) {
    requireNonNull(secretsById, "secretsById");
    if (secretsById.isEmpty()) {
      throw new IllegalArgumentException("at least one client is required");
    }
    Map<String, String> previous = new LinkedHashMap<>(clients);
    clients.clear();
    try {
      secretsById.forEach(this::client);
    } catch (RuntimeException e) {
      clients.putAll(previous); // a rejected map leaves the builder as it was
      throw e;
    }
    return this;
  }

  /**
   * Registers a user for the password grant; the first registration replaces the default user.
   *
   * @throws IllegalArgumentException if {@code username} or {@code password} is empty or the user
   *     is already registered
   */
  public ScriptedTokenServerBuilder user(String username, String password) {
    requireNonEmpty(username, "username");
    requireNonEmpty(password, "password");
    if (users.putIfAbsent(username, password) != null) {
      throw new IllegalArgumentException("user " + username + " is already registered");
    }
    return this;
  }

  /**
   * Sets whether the {@code client_credentials} grant also starts a refresh token family (default
   * false, as RFC 6749 section 4.4.3 recommends).
   */
  public ScriptedTokenServerBuilder issueRefreshTokenForClientCredentials(boolean issue) {
    this.issueRefreshTokenForClientCredentials = issue;
    return this;
  }

  /**
   * Sets the {@code iss} claim (default: the server's base URI, {@code http://127.0.0.1:<port>}).
   *
   * @throws IllegalArgumentException if {@code issuer} is blank
   */
  public ScriptedTokenServerBuilder issuer(String issuer) {
    this.issuer = requireNonBlank(issuer, "issuer");
    return this;
  }

  /**
   * Sets the {@code aud} claim of every access token (default: no {@code aud}).
   *
   * @throws IllegalArgumentException if {@code audience} is blank
   */
  public ScriptedTokenServerBuilder audience(String audience) {
    this.audience = requireNonBlank(audience, "audience");
    return this;
  }

  /**
   * Sets whether {@code exp} is rounded up to the next whole second ({@code ceil(now + ttl)}), so a
   * token lives at least its TTL. Default false: like Spring Authorization Server and most real
   * servers, {@code iat} is {@code now} truncated and {@code exp = iat + ttl}, so a token lives
   * between {@code ttl - 1 s} and {@code ttl} — with 1-second tokens, anything from 0 to 1 s.
   */
  public ScriptedTokenServerBuilder roundExpiryUp(boolean roundUp) {
    this.roundExpiryUp = roundUp;
    return this;
  }

  /** Sets whether token responses carry {@code expires_in} (default true). */
  public ScriptedTokenServerBuilder includeExpiresIn(boolean include) {
    this.includeExpiresIn = include;
    return this;
  }

  /**
   * Sets whether access tokens are RS256 JWTs (default true) or opaque random strings. {@link
   * ScriptedTokenServer#mintAccessToken} always makes JWTs.
   */
  public ScriptedTokenServerBuilder jwtAccessTokens(boolean jwt) {
    this.jwtAccessTokens = jwt;
    return this;
  }

  /** Sets whether responses carry a {@code Date} header from the clock (default true). */
  public ScriptedTokenServerBuilder sendDateHeader(boolean send) {
    this.sendDateHeader = send;
    return this;
  }

  /**
   * Registers a client that authenticates with {@code private_key_jwt} (RFC 7523): its {@code
   * client_assertion} must be signed by the private key of {@code publicKey} (RSA: RS256; EC:
   * ES256, ES384 or ES512), with {@code iss} and {@code sub} equal to {@code id}, an {@code aud}
   * naming the token endpoint URL or the issuer, an {@code exp} after the server clock's now, and a
   * {@code jti} the server has not seen before; otherwise the answer is 401 {@code invalid_client}.
   * Clients registered with a secret may authenticate with {@code client_secret_jwt} (HS256 with
   * the secret) under the same rules. The revocation endpoint takes secrets only.
   *
   * @throws IllegalArgumentException if the id is empty or already has a key
   */
  public ScriptedTokenServerBuilder clientKey(String id, java.security.PublicKey publicKey) {
    requireNonEmpty(id, "client id");
    requireNonNull(publicKey, "publicKey");
    if (clientKeys.putIfAbsent(id, publicKey) != null) {
      throw new IllegalArgumentException("client " + id + " already has a key");
    }
    return this;
  }

  /**
   * Creates an unstarted server with this configuration and a freshly generated RSA signing key;
   * call {@link ScriptedTokenServer#start()} to serve.
   */
  public ScriptedTokenServer build() {
    Map<String, String> clientSecrets = new LinkedHashMap<>(clients);
    if (clientSecrets.isEmpty()) {
      clientSecrets.put(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET);
    }
    Map<String, String> passwords = new LinkedHashMap<>(users);
    if (passwords.isEmpty()) {
      passwords.put(DEFAULT_USERNAME, DEFAULT_PASSWORD);
    }
    return new ScriptedTokenServer(
        new ServerSettings(
            clock,
            accessTokenTtl,
            rotateRefreshTokens,
            reuseDetection,
            reuseGraceWindow,
            Collections.unmodifiableMap(clientSecrets),
            Collections.unmodifiableMap(passwords),
            issueRefreshTokenForClientCredentials,
            issuer,
            audience,
            includeExpiresIn,
            jwtAccessTokens,
            sendDateHeader,
            roundExpiryUp,
            Collections.unmodifiableMap(new LinkedHashMap<>(clientKeys))));
  }

  private static void requireNonEmpty(String value, String what) {
    requireNonNull(value, what);
    if (value.isEmpty()) {
      throw new IllegalArgumentException(what + " must not be empty");
    }
  }

  private static String requireNonBlank(String value, String what) {
    requireNonNull(value, what);
    if (value.isBlank()) {
      throw new IllegalArgumentException(what + " must not be blank, was '" + value + "'");
    }
    return value;
  }
}
