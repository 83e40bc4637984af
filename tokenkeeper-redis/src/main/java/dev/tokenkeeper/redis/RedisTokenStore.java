package dev.tokenkeeper.redis;

import dev.tokenkeeper.SharedTokenStore;
import dev.tokenkeeper.StoredTokens;
import dev.tokenkeeper.TokenStoreException;
import dev.tokenkeeper.TokenStoreException.Reason;
import dev.tokenkeeper.internal.TokenFileCodec;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import javax.crypto.SecretKey;
import org.jspecify.annotations.Nullable;

/**
 * A {@link SharedTokenStore} on Redis (or Valkey): keepers in any number of processes, on any
 * number of machines, share one identity's tokens and refresh them once per expiry between them.
 *
 * <pre>{@code
 * RedisClient client = RedisClient.create("redis://redis.internal:6379");   // yours, shared
 * try (RedisTokenStore store = RedisTokenStore.builder(client)
 *     .keyPrefix("billing:tokens:")
 *     .encryptWith(key)                                                       // optional
 *     .identity("customer-4711")) {
 *   TokenKeeper keeper = TokenKeeper.newBuilder(source).store(store).build();
 * }
 * }</pre>
 *
 * <p><b>Keys.</b> One identity's state lives in one hash, {@code <prefix>{<hash>}}, where {@code
 * <hash>} is 32 hex digits of the SHA-256 of the identity: neither the identity nor a token ever
 * appears in a key name. The hash holds {@code version} (what compare-and-set checks) and {@code
 * tokens}: the access token, its expiry and scopes, the refresh token and the session state, in the
 * token file format of {@code FileTokenStore} (JSON, or with {@link Builder#encryptWith} a JWE
 * {@code dir} + {@code A256GCM} of it; the version is inside too, so an old value copied over a
 * newer one is refused as corrupt). Next to it: {@code <prefix>{<hash>}:lease} (the refresh lease)
 * and {@code <prefix>{<hash>}:fence} (the fencing counter); changes are announced on the channel
 * {@code <prefix>{<hash>}:changed}. All keys of an identity share the hash tag {@code {<hash>}}, so
 * Redis Cluster keeps them on one slot.
 *
 * <p><b>Redis Cluster.</b> Build the stores from a {@link RedisClusterClient} ({@link
 * #builder(RedisClusterClient)}) or a cluster connection ({@link
 * #builder(StatefulRedisClusterConnection)}, with a {@code StatefulRedisClusterPubSubConnection} as
 * {@link Builder#notifications}). Every script touches the keys of one identity only, which share
 * one slot, so each runs whole on that slot's master; identities spread over the masters by their
 * hash. Changes are announced with classic {@code PUBLISH}, which a cluster forwards to every node,
 * so a notification connection subscribed on any node hears every identity (at the price of one
 * message per node per write). A plain {@link RedisClient} connection to one node of a cluster fails
 * with {@code IO_FAILURE} naming the redirect ({@code MOVED}) and the builder to use instead.
 *
 * <p><b>Without {@link Builder#encryptWith encryption}, anyone who can read these keys (a Redis
 * user, a replica, a backup, an RDB or AOF file) can read the tokens</b> and call your APIs as the
 * identity until they expire, or, with the refresh token, for as long as the session lasts.
 *
 * <p><b>Lease.</b> {@code SET <lease> <owner> NX PX <ttl>} and {@code INCR <fence>} in one script:
 * the fencing number follows the order of the grants and, as long as Redis keeps its data, keeps
 * increasing across restarts of every store. Release is a compare-and-delete script: a holder whose
 * lease lapsed and was taken over never deletes the new holder's. A lease whose holder died lapses
 * at its ttl (the keeper's attempt timeout).
 *
 * <p><b>Scripts</b> (lease, release, compare-and-set) are Lua files in this module, run by {@code
 * EVALSHA}; a server that does not know them (restarted, flushed) gets them once with {@code EVAL}.
 *
 * <p><b>Changes</b> are announced on pub/sub by the compare-and-set script; a store with a
 * notification connection wakes its waiters ({@link #awaitChange}) on the message. Pub/sub
 * delivers at most once, so every waiter also re-reads at the {@linkplain Builder#pollInterval poll
 * interval}: a lost message (a reconnect) or a store without notifications costs latency, never
 * correctness.
 *
 * <p><b>Failures.</b> Every command waits at most the {@linkplain Builder#commandTimeout command
 * timeout} (2 s unless set), whatever the client's own timeout. Redis unreachable, stopped or too
 * slow gives {@link TokenStoreException} with {@link Reason#IO_FAILURE}; a keeper turns that into a
 * temporary refresh failure and keeps serving a still-valid token (its hot path never reads the
 * store). A compare-and-set that timed out may still be applied when Redis answers again: keepers
 * re-read the store before every refresh, so they adopt it then. Lettuce reconnects by itself. A
 * value that cannot be decrypted or parsed gives {@code CANNOT_DECRYPT}, {@code CORRUPT} or {@code
 * UNKNOWN_FORMAT}, and is never overwritten by a load.
 *
 * <p>Thread-safe. {@link #close()} closes what the store opened; {@link #toString()} shows the key
 * and the encryption, never a token.
 */
public final class RedisTokenStore implements SharedTokenStore, AutoCloseable {
  static final System.Logger LOG = System.getLogger("dev.tokenkeeper.redis.RedisTokenStore");
  /** The codec names the file it reads in its failures; a Redis value has none. */
  private static final Path NO_FILE = Path.of("redis");
  private static final Duration LONGEST_WAIT = Duration.ofDays(365 * 100L);

  private final String key;
  private final String[] tokensKey;
  private final String[] leaseKeys;
  private final String channel;
  private final TokenFileCodec codec;
  private final RedisCalls redis;
  private final long pollNanos;
  private final @Nullable StatefulRedisPubSubConnection<String, String> notifications;
  private final @Nullable ChangeSignal signal;
  /** Connections this store opened itself ({@link #builder(RedisClient)}): closed by it. */
  private final List<AutoCloseable> owned;
  private final AtomicBoolean closed = new AtomicBoolean();
  /** The last value read or written and what it decodes to: parsing (decrypting) is not free. */
  private volatile @Nullable Cached cached;

  private RedisTokenStore(Builder b, String key, RedisClusterAsyncCommands<String, String> commands,
      @Nullable StatefulRedisPubSubConnection<String, String> notifications, List<AutoCloseable> owned) {
    this.key = key;
    this.tokensKey = new String[] {key};
    this.leaseKeys = new String[] {key + ":lease", key + ":fence"};
    this.channel = key + ":changed";
    this.codec = b.key == null ? TokenFileCodec.plain() : TokenFileCodec.directKey(b.key);
    this.redis = new RedisCalls(commands, b.commandTimeout, "Redis key " + key);
    this.pollNanos = b.pollInterval.toNanos();
    this.notifications = notifications;
    this.owned = owned;
    this.signal = notifications == null ? null : new ChangeSignal(channel);
    if (notifications != null) {
      subscribe(notifications, b.prefix, b.commandTimeout);
    }
  }

  /**
   * Starts building stores that open their own connections from {@code client}: each store opens
   * one command connection and one pub/sub connection when it is made, and closes both in {@link
   * #close()}. For many identities, share two connections instead: {@link #builder(
   * StatefulRedisConnection)}.
   */
  public static Builder builder(RedisClient client) {
    Objects.requireNonNull(client, "client");
    return new Builder(() -> {
      StatefulRedisConnection<String, String> commands = client.connect();
      return new Opened(commands.async(), commands, client::connectPubSub);
    }, null);
  }

  /**
   * Starts building stores on a Redis Cluster that open their own connections from {@code
   * client}: each store opens one cluster connection (which routes every command to the master of
   * the identity's slot) and one cluster pub/sub connection when it is made, and closes both in
   * {@link #close()}. For many identities, share two connections instead: {@link #builder(
   * StatefulRedisClusterConnection)}.
   *
   * @param client your cluster client, e.g. {@code RedisClusterClient.create(List.of(RedisURI.create(
   *     "redis://node-1:6379"), ...))}; it stays yours
   */
  public static Builder builder(RedisClusterClient client) {
    Objects.requireNonNull(client, "client");
    return new Builder(() -> {
      StatefulRedisClusterConnection<String, String> commands = client.connect();
      return new Opened(commands.async(), commands, client::connectPubSub);
    }, null);
  }

  /**
   * Starts building stores that send their commands on {@code connection}, which stays yours (a
   * store never closes it). Without {@link Builder#notifications} they learn of changes by polling.
   *
   * @param connection a connection with the default UTF-8 string codec ({@code client.connect()})
   */
  public static Builder builder(StatefulRedisConnection<String, String> connection) {
    return new Builder(null, Objects.requireNonNull(connection, "connection").async());
  }

  /**
   * Starts building stores on a Redis Cluster that send their commands on {@code connection}, which
   * stays yours (a store never closes it); Lettuce routes each command to the master of the
   * identity's slot. For notifications pass {@code clusterClient.connectPubSub()} to {@link
   * Builder#notifications}; without, the stores learn of changes by polling.
   *
   * @param connection a cluster connection with the default UTF-8 string codec ({@code
   *     clusterClient.connect()})
   */
  public static Builder builder(StatefulRedisClusterConnection<String, String> connection) {
    return new Builder(null, Objects.requireNonNull(connection, "connection").async());
  }

  /** Returns the name of the hash holding the tokens: {@code <prefix>{<hash of the identity>}}. */
  public String key() {
    return key;
  }

  /**
   * {@inheritDoc}
   *
   * @throws TokenStoreException {@code IO_FAILURE} if Redis does not answer in time; {@code
   *     CANNOT_DECRYPT}, {@code CORRUPT} or {@code UNKNOWN_FORMAT} if the value cannot be read
   */
  @Override
  public StoredTokens load() {
    List<KeyValue<String, String>> values = redis.hmget(key, "version", "tokens");
    String version = RedisCalls.value(values, 0);
    String encoded = RedisCalls.value(values, 1);
    if (version == null && encoded == null) {
      return StoredTokens.EMPTY;
    }
    Cached last = cached;
    if (last != null && last.version.equals(version) && last.encoded.equals(encoded)) {
      return last.tokens;
    }
    if (version == null || encoded == null) {
      throw TokenStoreException.of(Reason.CORRUPT, null, "Redis key " + key + ": the hash has "
          + (version == null ? "no version" : "no tokens") + " field; it was not written by "
          + "Tokenkeeper (delete the key to start over)", null);
    }
    StoredTokens tokens = decode(encoded);
    if (!version.equals(Long.toString(tokens.version()))) {
      throw TokenStoreException.of(Reason.CORRUPT, null, "Redis key " + key + ": the version field"
          + " does not match the version inside the tokens (an old value copied over a newer one?)",
          null);
    }
    cached = new Cached(version, encoded, tokens);
    return tokens;
  }

  /**
   * {@inheritDoc}
   *
   * <p>One script checks the version, writes, and publishes the change: atomic across every
   * client of the Redis server.
   *
   * @throws IllegalArgumentException if {@code replacement}'s version is not {@code expectedVersion
   *     + 1}
   * @throws TokenStoreException {@code IO_FAILURE} if Redis does not answer in time (the write may
   *     still be applied when it answers again)
   */
  @Override
  public boolean compareAndSet(long expectedVersion, StoredTokens replacement) {
    Objects.requireNonNull(replacement, "replacement");
    if (replacement.version() != expectedVersion + 1) {
      throw new IllegalArgumentException("replacement version " + replacement.version()
          + " must be expectedVersion + 1 = " + (expectedVersion + 1));
    }
    String encoded = new String(codec.encode(replacement, NO_FILE), StandardCharsets.UTF_8);
    String version = Long.toString(replacement.version());
    boolean written = redis.script(LuaScript.COMPARE_AND_SET, tokensKey,
        Long.toString(expectedVersion), version, encoded, channel) == 1;
    if (written) {
      cached = new Cached(version, encoded, replacement);
    }
    return written;
  }

  /**
   * {@inheritDoc}
   *
   * <p>The lease key expires in Redis after {@code ttl} (rounded up to whole milliseconds); {@link
   * RefreshLease#isHeld()} turns false a little earlier, by this JVM's clock. If Redis does not
   * answer in time, a compare-and-delete is queued behind the request, so a lease granted late is
   * given back at once.
   *
   * @throws TokenStoreException {@code IO_FAILURE} if Redis does not answer in time
   */
  @Override
  public @Nullable RefreshLease tryLease(Duration ttl) {
    if (Objects.requireNonNull(ttl, "ttl").isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("ttl must be positive: " + ttl);
    }
    long millis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(ttl.toNanos() + 999_999));
    String owner = UUID.randomUUID().toString();
    long sent = System.nanoTime();
    long fencing;
    try {
      fencing = redis.script(LuaScript.ACQUIRE, leaseKeys, owner, Long.toString(millis));
    } catch (TokenStoreException e) {
      giveBackInBackground(owner);
      throw e;
    }
    return fencing == 0 ? null
        : new RedisLease(redis, leaseKeys[0], owner, fencing, sent + TimeUnit.MILLISECONDS.toNanos(millis));
  }

  /**
   * {@inheritDoc}
   *
   * <p>Wakes on the change message when the store has a notification connection, and re-reads at
   * least every {@linkplain Builder#pollInterval poll interval} (200 ms unless set) either way.
   *
   * @throws TokenStoreException if Redis does not answer a read in time
   */
  @Override
  public StoredTokens awaitChange(long knownVersion, Duration timeout) throws InterruptedException {
    Objects.requireNonNull(timeout, "timeout");
    long budget = timeout.isNegative() ? 0
        : timeout.compareTo(LONGEST_WAIT) > 0 ? LONGEST_WAIT.toNanos() : timeout.toNanos();
    long start = System.nanoTime();
    // Listen only while waiting: a store nobody closes (a registry's evicted keeper) leaves
    // nothing behind on a pub/sub connection shared by thousands of identities.
    if (notifications != null && signal != null) {
      notifications.addListener(signal);
    }
    try {
      while (true) {
        long seen = signal == null ? 0 : signal.generation(); // before the read: no lost wake-up
        StoredTokens current = load();
        long left = budget - (System.nanoTime() - start);
        if (current.version() != knownVersion || left <= 0) {
          return current;
        }
        long slice = Math.min(left, pollNanos);
        if (signal != null) {
          signal.awaitAfter(seen, slice);
        } else {
          TimeUnit.NANOSECONDS.sleep(slice);
        }
      }
    } finally {
      if (notifications != null && signal != null) {
        notifications.removeListener(signal);
      }
    }
  }

  /** The change signal, for tests: registered with the pub/sub connection only while waiting. */
  @Nullable ChangeSignal signal() {
    return signal;
  }

  /**
   * Closes the connections this store opened itself (with {@link #builder(RedisClient)});
   * connections you passed stay open. Idempotent. A keeper using the store must be closed first.
   * A store on shared connections registers with them only while a thread waits in {@link
   * #awaitChange}, so one that is never closed (the store of a keeper a {@code TokenKeepers}
   * registry evicted) leaves nothing behind.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (AutoCloseable c : owned) {
      try {
        c.close();
      } catch (Exception e) {
        LOG.log(System.Logger.Level.DEBUG, () -> "closing a Redis connection failed: " + e);
      }
    }
  }

  /** Shows the key and the encryption, never a token. */
  @Override
  public String toString() {
    return "RedisTokenStore[" + key + ", " + codec.describe()
        + (signal == null ? ", polling" : ", pub/sub") + "]";
  }

  private void giveBackInBackground(String owner) {
    try {
      redis.scriptInBackground(LuaScript.RELEASE, new String[] {leaseKeys[0]}, owner);
    } catch (RuntimeException e) {
      // Not even queued (connection closed): the lease, if it was granted, lapses at its ttl.
    }
  }

  private StoredTokens decode(String encoded) {
    try {
      return codec.decode(encoded.getBytes(StandardCharsets.UTF_8), NO_FILE);
    } catch (TokenStoreException e) {
      String detail;
      switch (e.reason()) {
        case CANNOT_DECRYPT:
          detail = "cannot decrypt the stored tokens with this store's key (" + codec.describe()
              + "): a wrong key, a value written without encryption, or the other way round";
          break;
        case UNKNOWN_FORMAT:
          detail = "the stored tokens are in a format this release does not know (written by a "
              + "newer Tokenkeeper?)";
          break;
        default:
          detail = "the stored tokens are damaged or were not written by Tokenkeeper (delete the key"
              + " to start over)";
      }
      throw TokenStoreException.of(e.reason(), null, "Redis key " + key + ": " + detail, e);
    }
  }

  /** Subscribes to every change channel of the prefix: once per connection, whatever the identity. */
  private static void subscribe(StatefulRedisPubSubConnection<String, String> pubsub, String prefix,
      Duration timeout) {
    String pattern = prefix.replaceAll("([*?\\[\\]\\\\])", "\\\\$1") + "{*}:changed";
    try {
      pubsub.async().psubscribe(pattern).get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      // Polling covers it; Lettuce subscribes again when it reconnects.
      LOG.log(System.Logger.Level.DEBUG, () -> "could not subscribe to " + pattern + " now: " + e);
    }
  }

  static String hashOf(String identity) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(identity.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every JDK has SHA-256", e);
    }
  }

  /** What a store built from a client opens: commands, and the pub/sub connection to open next. */
  private record Opened(RedisClusterAsyncCommands<String, String> commands,
      StatefulConnection<String, String> connection,
      Supplier<? extends StatefulRedisPubSubConnection<String, String>> pubsub) {}

  private static final class Cached {
    final String version;
    final String encoded;
    final StoredTokens tokens;

    Cached(String version, String encoded, StoredTokens tokens) {
      this.version = version;
      this.encoded = encoded;
      this.tokens = tokens;
    }
  }

  /**
   * Configures the stores of one key prefix; {@link #identity} makes one. Not thread-safe; the
   * stores it makes are.
   */
  public static final class Builder {
    /** Opens a store's own connections (stores built from a client), else null. */
    private final @Nullable Supplier<Opened> client;
    private final @Nullable RedisClusterAsyncCommands<String, String> connection;
    private @Nullable StatefulRedisPubSubConnection<String, String> notificationConnection;
    private String prefix = "tokenkeeper:";
    private @Nullable SecretKey key;
    private Duration pollInterval = Duration.ofMillis(200);
    private Duration commandTimeout = Duration.ofSeconds(2);

    private Builder(@Nullable Supplier<Opened> client,
        @Nullable RedisClusterAsyncCommands<String, String> connection) {
      this.client = client;
      this.connection = connection;
    }

    /**
     * Wakes waiting keepers through {@code pubsub} when another writes (stores made with {@link
     * #builder(StatefulRedisConnection)} or {@link #builder(StatefulRedisClusterConnection)}); it
     * stays yours, and any number of stores may share it. It is subscribed to the pattern {@code
     * <prefix>{*}:changed}. On a Redis Cluster pass a {@code StatefulRedisClusterPubSubConnection}
     * ({@code clusterClient.connectPubSub()}): a cluster forwards every {@code PUBLISH} to every
     * node, so the node it subscribes on hears the changes of every slot.
     *
     * @throws IllegalStateException if the stores open their own connections ({@link
     *     #builder(RedisClient)}, {@link #builder(RedisClusterClient)})
     */
    public Builder notifications(StatefulRedisPubSubConnection<String, String> pubsub) {
      Objects.requireNonNull(pubsub, "pubsub");
      if (client != null) {
        throw new IllegalStateException("stores built from a RedisClient or RedisClusterClient open "
            + "their own pub/sub connection; pass notifications only with builder(connection)");
      }
      this.notificationConnection = pubsub;
      return this;
    }

    /**
     * Sets the prefix of every key and channel name; default {@code "tokenkeeper:"}. Give each
     * application (each token endpoint) its own.
     *
     * @throws IllegalArgumentException if it contains '{' or '}' (the hash tag is the store's), or
     *     is longer than 200 characters
     */
    public Builder keyPrefix(String prefix) {
      Objects.requireNonNull(prefix, "prefix");
      if (prefix.indexOf('{') >= 0 || prefix.indexOf('}') >= 0) {
        throw new IllegalArgumentException("keyPrefix must not contain '{' or '}': the store adds "
            + "the hash tag itself; use e.g. \"myapp:tokens:\"");
      }
      if (prefix.length() > 200) {
        throw new IllegalArgumentException("keyPrefix is " + prefix.length()
            + " characters long; keep it under 200");
      }
      this.prefix = prefix;
      return this;
    }

    /**
     * Encrypts the stored tokens with {@code key} (JWE {@code dir} + {@code A256GCM}, as {@code
     * FileTokenStore} does); values not encrypted with this key are then refused with {@code
     * CANNOT_DECRYPT}. Every process sharing the identity needs the same key.
     *
     * @param key a 256-bit AES key, kept somewhere other than Redis (a secret manager)
     * @throws IllegalArgumentException if the key is not 32 bytes
     */
    public Builder encryptWith(SecretKey key) {
      Objects.requireNonNull(key, "key");
      byte[] encoded = key.getEncoded();
      if (encoded == null || encoded.length != 32) {
        throw new IllegalArgumentException("encryptWith needs a 256-bit (32-byte) AES key, got "
            + (encoded == null ? "a key without encoding" : encoded.length * 8 + " bits")
            + "; make one with KeyGenerator.getInstance(\"AES\") and init(256)");
      }
      Arrays.fill(encoded, (byte) 0);
      this.key = key;
      return this;
    }

    /**
     * Sets how often {@link #awaitChange} re-reads the hash while it waits; default 200 ms. With
     * notifications this bounds the delay after a lost message; without, it is the delay.
     *
     * @throws IllegalArgumentException unless between 1 ms and 10 s
     */
    public Builder pollInterval(Duration interval) {
      Objects.requireNonNull(interval, "interval");
      if (interval.compareTo(Duration.ofMillis(1)) < 0 || interval.compareTo(Duration.ofSeconds(10)) > 0) {
        throw new IllegalArgumentException("pollInterval must be between 1 ms and 10 s: " + interval);
      }
      this.pollInterval = interval;
      return this;
    }

    /**
     * Sets how long each Redis command may take before it fails with {@code IO_FAILURE}; default
     * 2 s. Keep it well under the keeper's attempt timeout.
     *
     * @throws IllegalArgumentException unless between 1 ms and 1 minute
     */
    public Builder commandTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.compareTo(Duration.ofMillis(1)) < 0 || timeout.compareTo(Duration.ofMinutes(1)) > 0) {
        throw new IllegalArgumentException("commandTimeout must be between 1 ms and 1 minute: " + timeout);
      }
      this.commandTimeout = timeout;
      return this;
    }

    /**
     * Returns the store of {@code identity} (any string: a user id, an e-mail address, a tenant's
     * connection id; only its hash appears in Redis). Stores built from a {@link RedisClient} or a
     * {@link RedisClusterClient} open their connections now (a cluster client also reads the
     * cluster's topology then, if it has not yet).
     *
     * @throws IllegalArgumentException if {@code identity} is empty
     * @throws TokenStoreException {@code IO_FAILURE} if a connection cannot be opened
     */
    public RedisTokenStore identity(String identity) {
      if (Objects.requireNonNull(identity, "identity").isEmpty()) {
        throw new IllegalArgumentException("identity is empty; name it, e.g. \"default\" or a user id");
      }
      String key = prefix + "{" + hashOf(identity) + "}";
      if (client == null) {
        return new RedisTokenStore(this, key, Objects.requireNonNull(connection),
            notificationConnection, List.of());
      }
      Opened opened = null;
      try {
        opened = client.get();
        StatefulRedisPubSubConnection<String, String> pubsub = opened.pubsub().get();
        return new RedisTokenStore(this, key, opened.commands(), pubsub,
            List.of(pubsub, opened.connection()));
      } catch (RedisException e) {
        if (opened != null) {
          opened.connection().close();
        }
        throw TokenStoreException.of(Reason.IO_FAILURE, null, "Redis key " + key
            + ": cannot connect to Redis: " + e.getMessage(), e);
      }
    }
  }
}
