package dev.tokenkeeper.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.AccessToken;
import dev.tokenkeeper.RefreshToken;
import dev.tokenkeeper.SharedTokenStore.RefreshLease;
import dev.tokenkeeper.StoredTokens;
import dev.tokenkeeper.TokenStoreException;
import dev.tokenkeeper.TokenStoreException.Reason;
import dev.tokenkeeper.internal.TokenFileCodec;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@link RedisTokenStore} does beyond the contract, on a real redis-server: key names,
 * encryption at rest, typed errors for values it cannot read, the scripts' NOSCRIPT fallback,
 * pub/sub and its polling fallback, and fencing numbers across store objects.
 */
class RedisTokenStoreTest {
  private static final AtomicInteger IDS = new AtomicInteger();
  private static final Duration LONG = Duration.ofMinutes(5);
  @TempDir static Path dir;
  static RedisServer server;
  static RedisClient client;
  static StatefulRedisConnection<String, String> connection;
  static StatefulRedisPubSubConnection<String, String> pubsub;
  static RedisCommands<String, String> raw;
  private final List<RedisTokenStore> stores = new ArrayList<>();

  @BeforeAll
  static void startRedis() {
    server = RedisServer.start(dir);
    client = RedisClient.create(server.uri());
    connection = client.connect();
    pubsub = client.connectPubSub();
    raw = connection.sync();
  }

  @AfterAll
  static void stopRedis() {
    client.shutdown(Duration.ZERO, Duration.ofSeconds(5));
    server.close();
  }

  @AfterEach
  void closeStores() {
    stores.forEach(RedisTokenStore::close);
  }

  private RedisTokenStore open(RedisTokenStore.Builder builder, String identity) {
    RedisTokenStore store = builder.identity(identity);
    stores.add(store);
    return store;
  }

  private static String identity() {
    return "alice+" + IDS.incrementAndGet() + "@example.com";
  }

  private static StoredTokens tokens(long version, String access, String refresh) {
    Instant now = Instant.parse("2026-11-29T12:00:00Z");
    return new StoredTokens(version, new AccessToken(access, "Bearer", now, now.plusSeconds(60),
        Set.of("read")), new RefreshToken(refresh));
  }

  @Test
  void keys_holdAHashOfTheIdentityInOneHashTag_neverTheIdentityOrAToken() {
    String identity = identity();
    RedisTokenStore store = open(RedisTokenStore.builder(connection).keyPrefix("billing:"), identity);
    store.compareAndSet(0, tokens(1, "access-secret-1", "refresh-secret-1"));
    store.tryLease(LONG).release();
    store.tryLease(LONG); // left held: its key exists too

    List<String> keys = raw.keys("billing:*");

    String tag = "{" + RedisTokenStore.hashOf(identity) + "}";
    assertThat(tag).matches("\\{[0-9a-f]{32}\\}");
    assertThat(keys).containsExactlyInAnyOrder("billing:" + tag, "billing:" + tag + ":lease",
        "billing:" + tag + ":fence");
    assertThat(String.join(" ", keys)).doesNotContain("alice", "secret");
    assertThat(store.key()).isEqualTo("billing:" + tag);
    assertThat(store.toString()).doesNotContain("secret").contains("billing:" + tag);
  }

  @Test
  void withoutEncryption_anyoneReadingRedisReadsTheTokens_withEncryption_nobodyWithoutTheKey() {
    RedisTokenStore plain = open(RedisTokenStore.builder(connection), identity());
    SecretKeySpec key = new SecretKeySpec(new byte[32], "AES");
    RedisTokenStore encrypted = open(RedisTokenStore.builder(connection).encryptWith(key), identity());

    plain.compareAndSet(0, tokens(1, "access-secret-1", "refresh-secret-1"));
    encrypted.compareAndSet(0, tokens(1, "access-secret-1", "refresh-secret-1"));

    assertThat(raw.hget(plain.key(), "tokens")).contains("access-secret-1", "refresh-secret-1");
    assertThat(raw.hget(encrypted.key(), "tokens")).doesNotContain("secret")
        .startsWith("eyJ").matches("[\\w-]+\\.\\.[\\w-]+\\.[\\w-]+\\.[\\w-]+"); // JWE dir: no key part
    assertThat(encrypted.load().refreshToken()).isEqualTo(new RefreshToken("refresh-secret-1"));
  }

  @Test
  void load_wrongKey_orPlainValueWhereAKeyIsRequired_cannotDecrypt_andNothingIsOverwritten() {
    String identity = identity();
    RedisTokenStore writer = open(RedisTokenStore.builder(connection)
        .encryptWith(new SecretKeySpec(new byte[32], "AES")), identity);
    writer.compareAndSet(0, tokens(1, "a1", "r1"));
    String before = raw.hget(writer.key(), "tokens");
    byte[] other = new byte[32];
    other[0] = 1;
    RedisTokenStore wrongKey = open(RedisTokenStore.builder(connection)
        .encryptWith(new SecretKeySpec(other, "AES")), identity);
    RedisTokenStore noKey = open(RedisTokenStore.builder(connection), identity);

    assertThatThrownBy(wrongKey::load).isInstanceOfSatisfying(TokenStoreException.class,
        e -> assertThat(e.reason()).isEqualTo(Reason.CANNOT_DECRYPT))
        .hasMessageContaining(writer.key()).hasMessageContaining("wrong key");
    assertThatThrownBy(noKey::load).isInstanceOfSatisfying(TokenStoreException.class,
        e -> assertThat(e.reason()).isEqualTo(Reason.CANNOT_DECRYPT));
    assertThat(raw.hget(writer.key(), "tokens")).isEqualTo(before);
  }

  @Test
  void load_damagedValue_orVersionFieldNotMatchingTheValue_isCorrupt() {
    RedisTokenStore store = open(RedisTokenStore.builder(connection), identity());
    store.compareAndSet(0, tokens(1, "a1", "r1"));
    store.compareAndSet(1, tokens(2, "a2", "r2"));
    String version2 = raw.hget(store.key(), "tokens");
    RedisTokenStore fresh = open(RedisTokenStore.builder(connection), identity());

    raw.hset(fresh.key(), "version", "3");
    raw.hset(fresh.key(), "tokens", version2); // an old value copied over a newer version
    assertThatThrownBy(fresh::load).isInstanceOfSatisfying(TokenStoreException.class,
        e -> assertThat(e.reason()).isEqualTo(Reason.CORRUPT)).hasMessageContaining("version");

    raw.hset(fresh.key(), "tokens", "{\"format\":1,\"vers");
    assertThatThrownBy(fresh::load).isInstanceOfSatisfying(TokenStoreException.class,
        e -> assertThat(e.reason()).isEqualTo(Reason.CORRUPT))
        .hasMessageContaining(fresh.key()).hasMessageNotContaining("vers\"");
    assertThat(fresh.compareAndSet(2, tokens(3, "a3", "r3"))).isFalse(); // version 3 is there
  }

  @Test
  void scripts_forgottenByTheServer_areSentAgain_andCachedForEvalsha() {
    RedisTokenStore store = open(RedisTokenStore.builder(connection), identity());
    store.compareAndSet(0, tokens(1, "a1", "r1"));
    raw.scriptFlush();
    assertThat(raw.scriptExists(LuaScript.COMPARE_AND_SET.sha, LuaScript.ACQUIRE.sha,
        LuaScript.RELEASE.sha)).containsExactly(false, false, false);

    assertThat(store.compareAndSet(1, tokens(2, "a2", "r2"))).isTrue();
    RefreshLease lease = store.tryLease(LONG);
    lease.release();

    assertThat(lease.fencingToken()).isPositive();
    assertThat(store.tryLease(LONG)).isNotNull(); // released by the script, so free again
    assertThat(raw.scriptExists(LuaScript.COMPARE_AND_SET.sha, LuaScript.ACQUIRE.sha,
        LuaScript.RELEASE.sha)).containsExactly(true, true, true);
  }

  @Test
  void release_ofALapsedLease_neverDeletesTheNewHoldersKey() {
    String identity = identity();
    RedisTokenStore first = open(RedisTokenStore.builder(connection), identity);
    RedisTokenStore second = open(RedisTokenStore.builder(client), identity);
    RefreshLease lapsed = first.tryLease(Duration.ofMillis(30));
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
        .until(() -> raw.exists(first.key() + ":lease") == 0);
    RefreshLease holder = second.tryLease(LONG);
    String holdersOwner = raw.get(first.key() + ":lease");

    lapsed.release();

    assertThat(holder).isNotNull();
    assertThat(raw.get(first.key() + ":lease")).isEqualTo(holdersOwner);
    assertThat(raw.pttl(first.key() + ":lease")).isGreaterThan(Duration.ofMinutes(4).toMillis());
  }

  @Test
  void fencing_keepsIncreasingAcrossStoreObjectsAndTheirConnections() {
    String identity = identity();
    long last = 0;
    for (int round = 0; round < 5; round++) {
      try (RedisTokenStore store = RedisTokenStore.builder(client).identity(identity)) {
        RefreshLease lease = store.tryLease(LONG);
        assertThat(lease.fencingToken()).as("round %d", round).isGreaterThan(last);
        last = lease.fencingToken();
        lease.release();
      }
    }
    assertThat(last).isEqualTo(5);
  }

  @Test
  void awaitChange_wakesOnThePubSubMessage_longBeforeThePollInterval() throws Exception {
    String identity = identity();
    RedisTokenStore waiter = open(RedisTokenStore.builder(connection).notifications(pubsub)
        .pollInterval(Duration.ofSeconds(10)), identity);
    RedisTokenStore writer = open(RedisTokenStore.builder(connection), identity);
    waiter.load();
    CompletableFuture<Long> woke = CompletableFuture.supplyAsync(() -> {
      try {
        long started = System.nanoTime();
        waiter.awaitChange(0, Duration.ofSeconds(30));
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
        .until(() -> raw.pubsubNumpat() > 0 && !woke.isDone());

    writer.compareAndSet(0, tokens(1, "a1", "r1"));

    assertThat(woke.get(20, TimeUnit.SECONDS)).isLessThan(5_000); // the poll would take 10 s
  }

  /**
   * A registry's evicted keeper never closes its store. On connections shared by thousands of
   * identities, such a store must leave nothing behind: its change listener is registered only
   * while it waits, so once the store is dropped the listener can be collected.
   */
  @Test
  void aStoreNeverClosed_leavesNoListenerOnTheSharedPubSubConnection() throws Exception {
    RedisTokenStore store = RedisTokenStore.builder(connection).notifications(pubsub)
        .pollInterval(Duration.ofMillis(10)).identity(identity());
    store.awaitChange(0, Duration.ofMillis(50)); // waited once: the listener was registered then
    java.lang.ref.WeakReference<ChangeSignal> listener = new java.lang.ref.WeakReference<>(store.signal());
    assertThat(listener.get()).isNotNull();
    store = null; // dropped without close(), as TokenKeepers drops an evicted keeper's store

    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(100)).until(() -> {
          System.gc();
          return listener.get() == null;
        });
  }

  @Test
  void awaitChange_aChangeWithoutMessage_isFoundByPolling() throws Exception {
    String identity = identity();
    RedisTokenStore waiter = open(RedisTokenStore.builder(connection).notifications(pubsub)
        .pollInterval(Duration.ofMillis(100)), identity);
    waiter.load();
    CompletableFuture<StoredTokens> seen = CompletableFuture.supplyAsync(() -> {
      try {
        return waiter.awaitChange(0, Duration.ofSeconds(30));
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });

    // The compare-and-set script itself, publishing on a channel nobody hears: a lost message.
    String encoded = new String(TokenFileCodec.plain().encode(tokens(1, "a1", "r1"), Path.of("x")),
        StandardCharsets.UTF_8);
    long written = raw.eval(LuaScript.COMPARE_AND_SET.text, ScriptOutputType.INTEGER,
        new String[] {waiter.key()}, "0", "1", encoded, "nobody-listens");

    assertThat(written).isEqualTo(1);
    assertThat(seen.get(10, TimeUnit.SECONDS).version()).isEqualTo(1);
  }

  @Test
  void builder_rejectsBadSettings_withMessagesSayingWhatToDo() {
    RedisTokenStore.Builder builder = RedisTokenStore.builder(connection);
    assertThatThrownBy(() -> builder.keyPrefix("app:{x}:")).hasMessageContaining("hash tag");
    assertThatThrownBy(() -> builder.encryptWith(new SecretKeySpec(new byte[16], "AES")))
        .hasMessageContaining("256-bit");
    assertThatThrownBy(() -> builder.pollInterval(Duration.ZERO)).hasMessageContaining("1 ms");
    assertThatThrownBy(() -> builder.commandTimeout(Duration.ofHours(1))).hasMessageContaining("1 minute");
    assertThatThrownBy(() -> builder.identity("")).hasMessageContaining("identity is empty");
    assertThatThrownBy(() -> RedisTokenStore.builder(client).notifications(pubsub))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("builder(connection)");
  }
}
