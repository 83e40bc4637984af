package dev.tokenkeeper;

import dev.tokenkeeper.internal.OwnedThreads;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * One {@link TokenKeeper} per identity, for services that act for many: a multi-tenant service
 * holding one rotating refresh token per customer connection, a gateway calling an API for each of
 * its users.
 *
 * <pre>{@code
 * TokenKeepers<String> connections = TokenKeepers.newBuilder((String tenant) ->
 *         TokenKeeper.newBuilder(endpoint.refreshTokens())
 *             .name("tenant-" + tenant)
 *             .store(stores.identity(tenant)))       // e.g. a FileTokenStore directory
 *     .idleTimeout(Duration.ofMinutes(30))
 *     .maximumSize(10_000)
 *     .build();
 *
 * AccessToken token = connections.token("acme");    // created on first use, then reused
 * }</pre>
 *
 * <p><b>Created on demand, from the store.</b> The factory returns the builder of an identity's
 * keeper; {@link #get} builds it the first time the identity is asked for. A keeper that was
 * evicted and is asked for again is built anew and starts from its {@link TokenStore}: with a
 * durable or {@linkplain SharedTokenStore shared} store the session goes on (with {@link
 * TokenStore#inMemory()} created per call of the factory, an evicted identity would start over, so
 * give every identity a durable store).
 *
 * <p><b>Bounded.</b> A keeper not asked for during {@link Builder#idleTimeout} is closed and
 * removed (looked for on calls, at most four times per idle timeout: no timer thread), and when
 * more than {@link Builder#maximumSize} identities are held, the least recently used are closed
 * first. A keeper with callers waiting for a refresh is not evicted. Closing a keeper whose refresh
 * is at the endpoint still saves that refresh's answer to the store, so no rotated refresh token
 * is lost to an eviction.
 *
 * <p><b>Shared threads.</b> Keepers built here share one small set of daemon threads (which
 * exist only while there is work), unless their builder sets its own scheduler and executor.
 *
 * <p>Thread-safe. Two calls that create the same identity at once build one keeper. Use {@link
 * #token} (which retries once on a keeper that was evicted meanwhile) rather than holding on to
 * the keepers {@link #get} returns.
 *
 * @param <K> the identity key: a tenant id, a user id; must have {@code equals} and {@code
 *     hashCode}. It appears in no log line or message.
 */
public final class TokenKeepers<K> implements AutoCloseable {
  private final Function<? super K, TokenKeeper.Builder> factory;
  private final long idleMillis;
  private final int maximumSize;
  private final InstantSource clock;
  private final OwnedThreads threads;
  private final ConcurrentHashMap<K, Entry> keepers = new ConcurrentHashMap<>();
  private final AtomicLong nextSweep;
  private volatile boolean closed;

  private static final class Entry {
    final TokenKeeper keeper;
    volatile long lastUsed;

    Entry(TokenKeeper keeper, long now) {
      this.keeper = keeper;
      this.lastUsed = now;
    }
  }

  private TokenKeepers(Builder<K> builder) {
    this.factory = builder.factory;
    this.idleMillis = saturatedMillis(builder.idleTimeout);
    this.maximumSize = builder.maximumSize;
    this.clock = builder.clock;
    this.threads = new OwnedThreads("keepers");
    this.nextSweep = new AtomicLong(saturatedPlus(clock.millis(), idleMillis / 4));
  }

  /**
   * Starts building a registry whose keepers come from {@code factory}.
   *
   * @param factory returns the builder of one identity's keeper (not built: the registry builds it,
   *     giving it the registry's threads unless the builder has its own); called once per identity
   *     and again after an eviction; must not return {@code null}
   */
  public static <K> Builder<K> newBuilder(Function<? super K, TokenKeeper.Builder> factory) {
    return new Builder<>(Objects.requireNonNull(factory, "factory"));
  }

  /**
   * Returns the keeper of {@code key}, building it if there is none.
   *
   * @throws TokenKeeperClosedException if this registry was closed
   * @throws IllegalStateException if the factory returned {@code null}
   * @throws RuntimeException whatever the factory or {@link TokenKeeper.Builder#build()} threw (a
   *     store that cannot be read, for example); nothing is registered then, and the next call
   *     tries again
   */
  public TokenKeeper get(K key) {
    Objects.requireNonNull(key, "key");
    if (closed) {
      throw TokenKeeperClosedException.registry();
    }
    long now = clock.millis();
    Entry entry = keepers.get(key);
    if (entry == null) {
      entry = keepers.computeIfAbsent(key, k -> new Entry(build(k), now));
      if (closed) { // closed while we built: close() may have missed this one
        evict(key, entry);
        throw TokenKeeperClosedException.registry();
      }
      if (keepers.size() > maximumSize) {
        trim(key);
      }
    }
    entry.lastUsed = now;
    sweepIfDue(now);
    return entry.keeper;
  }

  /**
   * Returns a valid token of {@code key}'s keeper ({@link TokenKeeper#token()}), building the
   * keeper if needed. If the keeper was evicted between being looked up and answering, asks its
   * successor once.
   *
   * @throws TokenException as {@link TokenKeeper#token()} does
   */
  public AccessToken token(K key) {
    try {
      return get(key).token();
    } catch (TokenKeeperClosedException e) {
      if (closed) {
        throw e;
      }
      return get(key).token();
    }
  }

  /**
   * Returns a future token of {@code key}'s keeper ({@link TokenKeeper#tokenAsync()}); never
   * blocks, except to build a keeper the first time (the builder loads the store).
   */
  public CompletableFuture<AccessToken> tokenAsync(K key) {
    TokenKeeper keeper;
    try {
      keeper = get(key);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return keeper.tokenAsync().exceptionallyCompose(e -> {
      Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null
          ? e.getCause() : e;
      if (cause instanceof TokenKeeperClosedException && !closed) {
        try {
          return get(key).tokenAsync();
        } catch (RuntimeException again) {
          return CompletableFuture.failedFuture(again);
        }
      }
      return CompletableFuture.failedFuture(cause);
    });
  }

  /** Returns how many identities have a keeper now. */
  public int size() {
    return keepers.size();
  }

  /** Closes and removes the keeper of {@code key}, if there is one; its session stays in its store. */
  public void evict(K key) {
    Entry entry = keepers.get(Objects.requireNonNull(key, "key"));
    if (entry != null) {
      evict(key, entry);
    }
  }

  /** Closes every keeper and this registry; idempotent. Sessions stay in their stores. */
  @Override
  public void close() {
    closed = true;
    for (Map.Entry<K, Entry> e : keepers.entrySet()) {
      evict(e.getKey(), e.getValue());
    }
    threads.shutdown();
  }

  /** Shows the number of keepers and the limits, never an identity. */
  @Override
  public String toString() {
    return "TokenKeepers[size=" + keepers.size() + ", maximumSize=" + maximumSize
        + ", idleTimeout=" + Duration.ofMillis(idleMillis) + (closed ? ", closed" : "") + "]";
  }

  private static long saturatedMillis(Duration d) {
    return d.compareTo(Duration.ofMillis(Long.MAX_VALUE)) >= 0 ? Long.MAX_VALUE : d.toMillis();
  }

  private static long saturatedPlus(long a, long b) {
    long sum = a + b;
    return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum; // b >= 0 here: overflow is upward
  }

  private TokenKeeper build(K key) {
    TokenKeeper.Builder builder = factory.apply(key);
    if (builder == null) {
      throw new IllegalStateException("the TokenKeepers factory returned null for an identity;"
          + " return TokenKeeper.newBuilder(source) with the identity's store");
    }
    return builder.buildSharing(threads.scheduler(), threads.executor());
  }

  private void evict(K key, Entry entry) {
    if (keepers.remove(key, entry)) {
      entry.keeper.close();
    }
  }

  /** Closes idle keepers, at most four times per idle timeout. */
  private void sweepIfDue(long now) {
    long due = nextSweep.get();
    if (now < due || !nextSweep.compareAndSet(due, saturatedPlus(now, Math.max(1, idleMillis / 4)))) {
      return;
    }
    for (Map.Entry<K, Entry> e : keepers.entrySet()) {
      Entry entry = e.getValue();
      if (now - entry.lastUsed >= idleMillis && entry.keeper.waitingCallers() == 0) {
        evict(e.getKey(), entry);
      }
    }
  }

  /** Closes the least recently used keepers (never {@code justAdded}) until the bound holds. */
  private void trim(K justAdded) {
    int excess = keepers.size() - maximumSize;
    if (excess <= 0) {
      return;
    }
    List<Map.Entry<K, Entry>> candidates = new ArrayList<>();
    for (Map.Entry<K, Entry> e : keepers.entrySet()) {
      if (!e.getKey().equals(justAdded) && e.getValue().keeper.waitingCallers() == 0) {
        candidates.add(e);
      }
    }
    candidates.sort(Comparator.comparingLong(e -> e.getValue().lastUsed));
    for (int i = 0; i < Math.min(excess, candidates.size()); i++) {
      evict(candidates.get(i).getKey(), candidates.get(i).getValue());
    }
  }

  /**
   * Configures a {@link TokenKeepers}. Not thread-safe; the registry it builds is.
   *
   * @param <K> the identity key
   */
  public static final class Builder<K> {
    private final Function<? super K, TokenKeeper.Builder> factory;
    private Duration idleTimeout = Duration.ofMinutes(30);
    private int maximumSize = 10_000;
    private InstantSource clock = InstantSource.system();

    private Builder(Function<? super K, TokenKeeper.Builder> factory) {
      this.factory = factory;
    }

    /**
     * Closes a keeper that nobody asked for during {@code timeout}; default 30 minutes. Its
     * session stays in its store.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder<K> idleTimeout(Duration timeout) {
      if (Objects.requireNonNull(timeout, "timeout").isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("idleTimeout must be positive: " + timeout);
      }
      this.idleTimeout = timeout;
      return this;
    }

    /**
     * Holds at most {@code size} keepers, closing the least recently used first; default 10,000.
     *
     * @throws IllegalArgumentException if less than 1
     */
    public Builder<K> maximumSize(int size) {
      if (size < 1) {
        throw new IllegalArgumentException("maximumSize must be at least 1: " + size);
      }
      this.maximumSize = size;
      return this;
    }

    /** The clock that measures idleness (default the system clock); tests pass a test clock. */
    public Builder<K> clock(InstantSource clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Builds the registry; no keeper is built until one is asked for. */
    public TokenKeepers<K> build() {
      return new TokenKeepers<>(this);
    }
  }
}
