package dev.tokenkeeper;

import dev.tokenkeeper.internal.Engine;
import dev.tokenkeeper.internal.KeeperConfig;
import dev.tokenkeeper.internal.OwnedThreads;
import dev.tokenkeeper.internal.Timing;
import java.io.IOException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * Keeps one identity's access token valid: hands it out, refreshes it ahead of expiry, and
 * coordinates every thread, HTTP adapter and retry that needs it. Create one per identity and
 * share it.
 *
 * <pre>{@code
 * OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(URI.create("https://auth.example.com/oauth2/token"))
 *     .clientId("my-service").clientSecret(secret).build();
 * try (TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.clientCredentials()).build()) {
 *   request.header("Authorization", keeper.token().authorizationHeader());
 * }
 * }</pre>
 *
 * <h2>Freshness</h2>
 * Each call reads the clock once. A <b>fresh</b> token is returned at once (no lock, no allocation).
 * A <b>stale</b> one (inside the refresh-ahead window, a share of its lifetime) is returned at once
 * too, and one background refresh starts. When the token has <b>expired</b>, or there is none yet,
 * the caller waits for the single refresh in flight, up to its own deadline. A token of
 * <b>unknown</b> expiry is used until a server rejects it ({@link #invalidate}).
 *
 * <h2>Failures</h2>
 * Every refresh attempt is bounded by the {@linkplain Builder#attemptTimeout attempt timeout}: no
 * endpoint, stalled body or custom source can hold the refresh forever. A temporary failure (I/O,
 * timeout, 5xx, 429, nonsense answer, an abandoned attempt) leaves a still-valid token in service;
 * the keeper retries with exponential backoff and jitter (capped at about a second while callers
 * wait on an expired token), no sooner than the server's {@code Retry-After}. Callers that need a
 * new token get {@link TokenRefreshException} when no attempt can succeed within their deadline,
 * {@link TokenTimeoutException} when the deadline passes.
 *
 * <p>A refusal means two different things. When a {@linkplain
 * TokenSource#usesConfiguredCredentials() service's configured credentials} are refused ({@code
 * invalid_client} on {@code client_credentials}), callers get {@link CredentialsRejectedException}
 * and the keeper keeps retrying with a long capped backoff: a service recovers by itself once the
 * credentials are accepted again. When a user's refresh token or grant is refused ({@code
 * invalid_grant}), the keeper re-reads its {@link TokenStore} (another process may have rotated the
 * refresh token), then ends the session, and records that in the store: every waiter gets {@link
 * ReauthenticationRequiredException}, the listener hears {@link TokenListener#onSessionExpired}
 * once, and no endpoint call is made until {@link #signIn}. {@link TokenException#failure()} tells
 * all of these apart. <b>Background refresh failures are logged and reported to the listener, never
 * thrown</b> at a caller whose token is still valid.
 *
 * <h2>Threads</h2>
 * Thread-safe and lock-free. At most one endpoint call is in flight; all waiters share its result;
 * a waiter that times out or is interrupted does not cancel it for the others. Works with virtual
 * threads (nothing is {@code synchronized}). Unless an executor and scheduler are given, the keeper
 * owns two daemon threads that exist only while there is work; {@link #close()} stops them. With
 * those threads, a refresh that callers wait for is started by the caller that found the token
 * unusable when the source is a built-in endpoint ({@link OAuth2TokenEndpoint}, without DPoP,
 * discovery or {@code private_key_jwt}): that caller builds the request and hands it to the HTTP
 * client without blocking, instead of waiting for a hand-off to the keeper's thread (which, when many
 * callers are released together, is scheduled behind them). With the default in-memory store, the
 * new token is then published, the blocking callers released and the listener told on the HTTP
 * client's thread that delivered the answer; callbacks of {@link #tokenAsync()} futures run on the
 * keeper's thread. Any other store, and any failure, is handled on the keeper's thread. Given an
 * executor, every refresh runs on it.
 */
public final class TokenKeeper implements AutoCloseable {
  private final Engine engine;
  private final Duration defaultTimeout;
  private final @Nullable OwnedThreads threads;
  private final @Nullable DPoP dpop;

  private TokenKeeper(Engine engine, Duration defaultTimeout, @Nullable OwnedThreads threads,
      @Nullable DPoP dpop) {
    this.engine = engine;
    this.defaultTimeout = defaultTimeout;
    this.dpop = dpop;
    this.threads = threads;
  }

  /** Returns a builder for a keeper that obtains its tokens from {@code source}. */
  public static Builder newBuilder(TokenSource source) {
    return new Builder(source);
  }

  /**
   * Returns this keeper's DPoP key ({@link Builder#dpop}), or {@code null} when its tokens are
   * Bearer tokens. The HTTP adapters ask for it on every request: with a key, each request carries
   * a {@code DPoP} proof made with it ({@link DPoP#proof}).
   */
  public @Nullable DPoP dpop() {
    return dpop;
  }

  /**
   * Returns a valid access token, waiting up to the default timeout if it must be refreshed.
   *
   * @throws TokenRefreshException when no token can be obtained in time (temporary)
   * @throws TokenTimeoutException when the deadline passed while the refresh was in flight
   * @throws ReauthenticationRequiredException when the session is over
   * @throws TokenInterruptedException when the thread was interrupted (its flag is set again)
   * @throws TokenKeeperClosedException when the keeper is closed
   */
  public AccessToken token() {
    return engine.token(defaultTimeout);
  }

  /**
   * Returns a valid access token, waiting at most {@code timeout} if it must be refreshed.
   *
   * @throws IllegalArgumentException if {@code timeout} is negative
   * @see #token()
   */
  public AccessToken token(Duration timeout) {
    return engine.token(checkTimeout(timeout));
  }

  /**
   * Returns a future valid access token; never blocks the calling thread. The future fails with
   * the exceptions {@link #token()} throws, and times out after the default timeout.
   */
  public CompletableFuture<AccessToken> tokenAsync() {
    return engine.tokenAsync(defaultTimeout);
  }

  /** Like {@link #tokenAsync()}, timing out after {@code timeout}. */
  public CompletableFuture<AccessToken> tokenAsync(Duration timeout) {
    return engine.tokenAsync(checkTimeout(timeout));
  }

  /**
   * Reports that a server rejected {@code rejected} (HTTP 401). If it is still the current token,
   * it stops being handed out and one refresh starts; if a newer token already exists (the 401
   * arrived late), nothing is refreshed. Either way, call {@link #token()} and retry once.
   *
   * @return {@code true} if {@code rejected} was the current token
   */
  public boolean invalidate(AccessToken rejected) {
    return engine.invalidate(Objects.requireNonNull(rejected, "rejected"));
  }

  /**
   * Reports that a request retried with a token obtained after {@link #invalidate} was rejected
   * again. The keeper refreshes nothing (the caller gets the 401); the listener hears {@link
   * TokenListener#onRejectedAfterRefresh}. HTTP adapters call this; applications rarely need to.
   */
  public void reportRejectedAfterRefresh(AccessToken token) {
    engine.rejectedAfterRefresh(Objects.requireNonNull(token, "token"));
  }

  /**
   * Starts a new session with tokens the application obtained itself (a login page, a token it
   * already holds). Saves them to the store and ends any session-expired state.
   *
   * @return the access token, with its expiry computed as if the request was sent now
   */
  public AccessToken signIn(TokenResponse tokens) {
    return engine.signIn(Objects.requireNonNull(tokens, "tokens"), clockMillis());
  }

  /**
   * Starts a new session by calling {@code login} on this thread, for example {@link
   * OAuth2TokenEndpoint#password}.
   *
   * @throws ReauthenticationRequiredException when the endpoint refused the credentials
   * @throws TokenRefreshException when the endpoint could not be reached (temporary)
   * @throws TokenInterruptedException when the thread was interrupted
   */
  public AccessToken signIn(TokenSource login) {
    Objects.requireNonNull(login, "login");
    long sentAt = clockMillis();
    TokenResponse response;
    try {
      response = login.fetch(new TokenRequest(null, TokenRequest.Reason.SIGN_IN, dpop));
    } catch (TokenEndpointException e) {
      if (e.isTerminal()) {
        throw ReauthenticationRequiredException.of(ReauthenticationRequiredException.Reason.CREDENTIALS_REJECTED, e);
      }
      throw TokenRefreshException.refreshFailed(null, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TokenInterruptedException(e);
    } catch (IOException | RuntimeException e) {
      throw TokenRefreshException.refreshFailed(null, e);
    }
    return engine.signIn(Objects.requireNonNull(response, "login returned null"), sentAt);
  }

  /**
   * Ends the session: clears the store at once, fails every waiter with {@link
   * ReauthenticationRequiredException} ({@code SIGNED_OUT}), and revokes the refresh token when a
   * {@link TokenRevoker} is configured.
   *
   * @return completes when the revocation is done; fails with {@link TokenRefreshException} when
   *     the revocation failed (the local sign-out has happened regardless)
   */
  public CompletableFuture<Void> signOut() {
    return engine.revoke(engine.signOut());
  }

  /**
   * Returns the estimated difference between the token endpoint's clock and this machine's
   * (server minus local), taken from the last response's {@code Date} header or the JWT's {@code
   * iat}; {@code null} before the first refresh or when there was nothing to measure against. Both
   * have whole-second resolution and were stamped somewhere between sending the request and
   * receiving the answer: when that interval allows no difference at all the estimate is zero,
   * otherwise it is the smallest difference the interval allows, so endpoint latency is never
   * taken for skew. Expiry decisions already account for it.
   */
  public @Nullable Duration clockSkew() {
    return engine.clockSkew();
  }

  /**
   * Stops background work: a refresh in flight is abandoned, waiters fail with {@link
   * TokenKeeperClosedException}, owned threads stop. Idempotent.
   */
  @Override
  public void close() {
    engine.close();
    if (threads != null) {
      threads.shutdown();
    }
  }

  @Override
  public String toString() {
    return "TokenKeeper[" + engine.name() + "]";
  }

  private long clockMillis() {
    return engine.clockMillis();
  }

  /** How many callers are waiting for a refresh right now: a gauge for metrics. */
  public int waitingCallers() {
    return engine.waiting();
  }

  /**
   * How many calls so far found no usable token and had to wait for a refresh (or failed): a counter
   * for metrics. While refresh-ahead keeps up it grows only at the first token and after a server
   * rejected a token.
   */
  public long callersThatWaited() {
    return engine.callersThatWaited();
  }

  private static Duration checkTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("timeout must not be negative: " + timeout);
    }
    return timeout;
  }

  /**
   * Builds a {@link TokenKeeper}. Every setter checks its argument; {@link #build()} cross-checks.
   * Not thread-safe.
   */
  public static final class Builder {
    private final TokenSource source;
    private String name = "default";
    private TokenStore store = TokenStore.inMemory();
    private InstantSource clock = InstantSource.system();
    private @Nullable Scheduler scheduler;
    private @Nullable Executor executor;
    private @Nullable TokenResponse initialTokens;
    private double refreshAheadRatio = Timing.DEFAULTS.refreshAheadRatio();
    private Duration maxRefreshAhead = Timing.DEFAULTS.maxRefreshAhead();
    private double jitter = Timing.DEFAULTS.jitter();
    private Duration leeway = Timing.DEFAULTS.leeway();
    private Duration backoffInitial = Timing.DEFAULTS.backoffInitial();
    private Duration backoffMax = Timing.DEFAULTS.backoffMax();
    private Duration maxRetryAfter = Timing.DEFAULTS.maxRetryAfter();
    private Duration defaultTimeout = Duration.ofSeconds(10);
    private @Nullable Duration attemptTimeout;
    private Duration rejectedBackoffInitial = Timing.DEFAULTS.rejectedBackoffInitial();
    private Duration rejectedBackoffMax = Timing.DEFAULTS.rejectedBackoffMax();
    private Duration waitingRetryCap = Timing.DEFAULTS.waitingRetryCap();
    private RandomGenerator random = () -> ThreadLocalRandom.current().nextLong();
    private TokenListener listener = TokenListener.NONE;
    private @Nullable TokenRevoker revoker;
    private @Nullable DPoP dpop;

    private Builder(TokenSource source) {
      this.source = Objects.requireNonNull(source, "source");
    }

    /** Names the identity in logs and thread names (default {@code "default"}). */
    public Builder name(String name) {
      Objects.requireNonNull(name, "name");
      if (name.isBlank()) {
        throw new IllegalArgumentException("name must not be blank");
      }
      this.name = name;
      return this;
    }

    /**
     * Where tokens are kept (default {@link TokenStore#inMemory()}); loaded when the keeper is built.
     * On a {@link SharedTokenStore} such as {@link FileTokenStore}, the keeper coordinates its
     * refreshes with every other keeper of the same identity, in this process or others: it re-reads
     * the store before refreshing, refreshes only while holding the store's refresh lease, and saves
     * before handing a new token out (see {@link SharedTokenStore}). Give each keeper its own store
     * object; sharing one {@link TokenStore#inMemory()} between keepers does not coordinate them.
     */
    public Builder store(TokenStore store) {
      this.store = Objects.requireNonNull(store, "store");
      return this;
    }

    /**
     * Tokens the application already holds, used when the store is empty at build time (a first
     * start). A store that already holds tokens keeps them: they may have been rotated since these
     * were issued. To replace stored tokens, call {@link TokenKeeper#signIn(TokenResponse)}.
     */
    public Builder initialTokens(TokenResponse tokens) {
      this.initialTokens = Objects.requireNonNull(tokens, "tokens");
      return this;
    }

    /**
     * The clock every expiry decision reads (default the system clock). Timers (deadlines,
     * retries) run on the {@linkplain #scheduler scheduler}, in real time unless one is given: give
     * a clock that moves in real time, or a scheduler that follows it (as {@code TestClock} does).
     */
    public Builder clock(InstantSource clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** The timer for deadlines and retries (default: one owned daemon thread, on demand). */
    public Builder scheduler(Scheduler scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /**
     * Where refreshes run, start to end (default: owned daemon threads, on demand, with the calls of
     * a built-in endpoint started by the caller that needs the token; see "Threads" above). The
     * keeper never shuts it down.
     */
    public Builder executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * How early to refresh: a token turns stale when {@code ratio} of its lifetime remains, but at
     * most {@code max} before it expires. Defaults: 0.25 and 5 minutes.
     */
    public Builder refreshAhead(double ratio, Duration max) {
      if (!(ratio > 0 && ratio < 1)) {
        throw new IllegalArgumentException("refresh-ahead ratio must be in (0, 1): " + ratio);
      }
      this.refreshAheadRatio = ratio;
      this.maxRefreshAhead = positive(max, "maxRefreshAhead");
      return this;
    }

    /** Random spread of refresh-ahead and backoff, as a fraction in [0, 1] (default 0.2). */
    public Builder jitter(double jitter) {
      if (!(jitter >= 0 && jitter <= 1)) {
        throw new IllegalArgumentException("jitter must be in [0, 1]: " + jitter);
      }
      this.jitter = jitter;
      return this;
    }

    /**
     * How long before its expiry a token is no longer handed out, for network time and clock
     * skew (default 5 s, never more than a tenth of the token's lifetime).
     */
    public Builder leeway(Duration leeway) {
      this.leeway = notNegative(leeway, "leeway");
      return this;
    }

    /** Backoff after failures: {@code initial}, doubling up to {@code max}. Defaults 1 s and 30 s. */
    public Builder backoff(Duration initial, Duration max) {
      positive(initial, "initial backoff");
      positive(max, "max backoff");
      if (max.compareTo(initial) < 0) {
        throw new IllegalArgumentException("max backoff " + max + " is shorter than initial " + initial);
      }
      this.backoffInitial = initial;
      this.backoffMax = max;
      return this;
    }

    /**
     * Backoff after the token endpoint refused a service's configured client credentials
     * ({@link CredentialsRejectedException}): {@code initial}, doubling up to {@code max}. Defaults
     * 30 s and 5 minutes: long enough not to hammer an endpoint that will keep refusing, short
     * enough that a fixed registration is picked up without a restart.
     */
    public Builder credentialsRejectedBackoff(Duration initial, Duration max) {
      positive(initial, "initial credentials-rejected backoff");
      positive(max, "max credentials-rejected backoff");
      if (max.compareTo(initial) < 0) {
        throw new IllegalArgumentException("max credentials-rejected backoff " + max
            + " is shorter than initial " + initial);
      }
      this.rejectedBackoffInitial = initial;
      this.rejectedBackoffMax = max;
      return this;
    }

    /**
     * While callers wait on an expired token, retries after a temporary failure come at least this
     * often (default 1 s, less jitter), so they learn quickly when the endpoint is back; a server's
     * {@code Retry-After} still holds. A down endpoint sees about one call per interval.
     */
    public Builder waitingRetryInterval(Duration interval) {
      this.waitingRetryCap = positive(interval, "waitingRetryInterval");
      return this;
    }

    /**
     * How long one refresh attempt may take before it is abandoned as a temporary failure (its
     * waiters move on to the next attempt, after backoff). Default: the built-in endpoint's own
     * timeout plus 5 s ({@link OAuth2TokenEndpoint.Builder#timeout}, {@link
     * JsonTokenEndpoint.Builder#timeout}), or 30 s for any other {@link TokenSource}.
     *
     * <p>An abandoned attempt's thread is not interrupted: if its answer arrives late and nothing
     * newer arrived since the attempt started, it is still saved (with rotating refresh tokens it
     * may hold the only live one); otherwise it is dropped.
     */
    public Builder attemptTimeout(Duration timeout) {
      this.attemptTimeout = positive(timeout, "attemptTimeout");
      return this;
    }

    /** The longest {@code Retry-After} honoured (default 5 minutes). */
    public Builder maxRetryAfter(Duration max) {
      this.maxRetryAfter = notNegative(max, "maxRetryAfter");
      return this;
    }

    /** How long {@link #token()} and {@link #tokenAsync()} wait for a refresh (default 10 s). */
    public Builder defaultTimeout(Duration timeout) {
      this.defaultTimeout = notNegative(timeout, "defaultTimeout");
      return this;
    }

    /** The random numbers behind jitter (default {@link ThreadLocalRandom}); tests fix it. */
    public Builder random(RandomGenerator random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /** Hears refreshes, failures and session ends. */
    public Builder listener(TokenListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /** Revokes the refresh token at {@link #signOut()} (RFC 7009). */
    public Builder revoker(TokenRevoker revoker) {
      this.revoker = Objects.requireNonNull(revoker, "revoker");
      return this;
    }

    /**
     * Binds this keeper's tokens to a DPoP key (RFC 9449): {@link OAuth2TokenEndpoint}'s token
     * requests carry a proof made with it (any {@link TokenSource} finds it in {@link
     * TokenRequest#dpop()}), and the HTTP adapters send every request with {@code Authorization:
     * DPoP <token>} and a fresh proof. Give each keeper its own key ({@code DPoP.es256()} per
     * keeper) unless you mean several identities to share one. Default: none, Bearer tokens.
     */
    public Builder dpop(DPoP dpop) {
      this.dpop = Objects.requireNonNull(dpop, "dpop");
      return this;
    }

    /** Builds the keeper, saving {@linkplain #initialTokens initial tokens} if any. */
    public TokenKeeper build() {
      return build(scheduler, executor);
    }

    /** Builds with the given threads where this builder has none of its own ({@link TokenKeepers}). */
    TokenKeeper buildSharing(Scheduler sharedScheduler, Executor sharedExecutor) {
      return build(scheduler != null ? scheduler : sharedScheduler,
          executor != null ? executor : sharedExecutor);
    }

    private TokenKeeper build(@Nullable Scheduler scheduler, @Nullable Executor executor) {
      OwnedThreads threads = scheduler == null || executor == null ? new OwnedThreads(name) : null;
      Scheduler s = scheduler != null ? scheduler : threads.scheduler();
      Executor e = executor != null ? executor : threads.executor();
      Timing timing = new Timing(refreshAheadRatio, maxRefreshAhead, jitter, leeway, backoffInitial,
          backoffMax, maxRetryAfter, rejectedBackoffInitial, rejectedBackoffMax, waitingRetryCap);
      Engine engine = new Engine(new KeeperConfig(name, source, store, clock, s, e, timing, random,
          listener, revoker, defaultTimeout, attemptTimeout != null ? attemptTimeout : defaultAttemptTimeout(source),
          dpop, this.executor == null));
      TokenKeeper keeper = new TokenKeeper(engine, defaultTimeout, threads, dpop);
      if (initialTokens != null && store.load().isEmpty()) {
        keeper.signIn(initialTokens);
      }
      return keeper;
    }

    private static Duration defaultAttemptTimeout(TokenSource source) {
      Duration call = source instanceof EndpointSource ? ((EndpointSource) source).callTimeout()
          : source instanceof JsonTokenEndpoint ? ((JsonTokenEndpoint) source).callTimeout() : null;
      return call != null ? call.plusSeconds(5) : Duration.ofSeconds(30);
    }

    private static Duration positive(Duration d, String what) {
      Objects.requireNonNull(d, what);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + " must be positive: " + d);
      }
      return d;
    }

    private static Duration notNegative(Duration d, String what) {
      Objects.requireNonNull(d, what);
      if (d.isNegative()) {
        throw new IllegalArgumentException(what + " must not be negative: " + d);
      }
      return d;
    }
  }
}
