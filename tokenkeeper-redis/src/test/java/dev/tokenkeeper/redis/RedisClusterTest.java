package dev.tokenkeeper.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tokenkeeper.AccessToken;
import dev.tokenkeeper.RefreshToken;
import dev.tokenkeeper.SharedTokenStore.RefreshLease;
import dev.tokenkeeper.StoredTokens;
import dev.tokenkeeper.TokenStoreException;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.cluster.pubsub.StatefulRedisClusterPubSubConnection;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RedisTokenStore} on a real 3-master Redis Cluster ({@link RedisCluster}: three {@code
 * redis-server --cluster-enabled yes} processes joined by {@code redis-cli --cluster create}): the
 * keys of an identity on one slot, the multi-key scripts on that slot's master, identities spread
 * over the masters, notifications from every master, and the typed error of a connection that is
 * not cluster-aware. Core's store contract runs on a cluster in {@link RedisClusterContractTest},
 * keepers coordinating through a cluster in {@link RedisClusterKeepersTest}.
 */
class RedisClusterTest {
  private static final Duration LONG = Duration.ofMinutes(5);
  @TempDir static Path dir;
  static RedisCluster cluster;
  static RedisClusterClient client;
  static StatefulRedisClusterConnection<String, String> connection;
  static StatefulRedisClusterPubSubConnection<String, String> pubsub;
  /** A plain connection to each node, by the node's port: what the node itself holds. */
  static final Map<Integer, StatefulRedisConnection<String, String>> nodes = new LinkedHashMap<>();
  static final List<RedisClient> nodeClients = new ArrayList<>();
  private final List<RedisTokenStore> stores = new ArrayList<>();

  @BeforeAll
  static void startCluster() {
    cluster = RedisCluster.start(dir, 3);
    client = RedisClusterClient.create(cluster.uris());
    connection = client.connect();
    pubsub = client.connectPubSub();
    for (RedisServer node : cluster.nodes()) {
      RedisClient plain = RedisClient.create(node.uri());
      nodeClients.add(plain);
      nodes.put(node.port(), plain.connect());
    }
  }

  @AfterAll
  static void stopCluster() {
    nodeClients.forEach(c -> c.shutdown(Duration.ZERO, Duration.ofSeconds(5)));
    if (client != null) {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(5));
    }
    if (cluster != null) {
      cluster.close();
    }
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

  private static StoredTokens tokens(long version, String access, String refresh) {
    Instant now = Instant.parse("2026-11-29T12:00:00Z");
    return new StoredTokens(version, new AccessToken(access, "Bearer", now, now.plusSeconds(60),
        Set.of("read")), new RefreshToken(refresh));
  }

  /** The port of the master serving {@code key}'s slot, from the cluster's own topology. */
  private static int masterOf(String key) {
    RedisClusterNode node = connection.getPartitions().getPartitionBySlot(SlotHash.getSlot(key));
    return node.getUri().getPort();
  }

  @Test
  void cluster_hasThreeMasters_eachServingSlots() {
    Set<Integer> masters = new HashSet<>();
    for (int slot = 0; slot < SlotHash.SLOT_COUNT; slot++) {
      masters.add(connection.getPartitions().getPartitionBySlot(slot).getUri().getPort());
    }
    assertThat(masters).containsExactlyInAnyOrderElementsOf(nodes.keySet());
  }

  @Test
  void scripts_everyKeyOfTheIdentityOnOneSlot_compareAndSetLeaseAndReleaseRunOnItsMaster() {
    RedisTokenStore store = open(RedisTokenStore.builder(connection).notifications(pubsub)
        .keyPrefix("slots:"), "alice@example.com");
    RedisTokenStore other = open(RedisTokenStore.builder(client).keyPrefix("slots:"),
        "alice@example.com");
    int slot = SlotHash.getSlot(store.key());
    assertThat(SlotHash.getSlot(store.key() + ":lease")).isEqualTo(slot);
    assertThat(SlotHash.getSlot(store.key() + ":fence")).isEqualTo(slot);

    // compare-and-set (HGET + HSET + PUBLISH in one script)
    assertThat(store.compareAndSet(0, tokens(1, "a1", "r1"))).isTrue();
    assertThat(other.compareAndSet(0, tokens(1, "a1b", "r1b"))).isFalse();
    assertThat(other.load().accessToken().value()).isEqualTo("a1");
    // the lease (SET NX PX + INCR of the fence: two keys, one script)
    RefreshLease lease = store.tryLease(LONG);
    assertThat(lease).isNotNull();
    assertThat(lease.fencingToken()).isEqualTo(1);
    assertThat(other.tryLease(LONG)).isNull();
    lease.release(); // compare-and-delete
    RefreshLease next = other.tryLease(LONG);
    assertThat(next).isNotNull();
    assertThat(next.fencingToken()).isEqualTo(2);

    // What each node holds: the hash, the lease and the fence, all on the slot's master only.
    int master = masterOf(store.key());
    for (Map.Entry<Integer, StatefulRedisConnection<String, String>> node : nodes.entrySet()) {
      long keys = node.getValue().sync().clusterCountKeysInSlot(slot);
      assertThat(keys).as("keys of slot %d on node %d (master %d)", slot, node.getKey(), master)
          .isEqualTo(node.getKey() == master ? 3 : 0);
    }
    assertThat(nodes.get(master).sync().hget(store.key(), "version")).isEqualTo("1");
    next.release();
  }

  @Test
  void manyIdentities_spreadOverAllThreeMasters_eachReadsBackItsOwnTokens() {
    int identities = 300;
    RedisTokenStore.Builder builder = RedisTokenStore.builder(connection).keyPrefix("spread:");
    Set<Integer> slots = new HashSet<>();
    for (int i = 0; i < identities; i++) {
      RedisTokenStore store = open(builder, "tenant-" + i);
      assertThat(store.compareAndSet(0, tokens(1, "a-" + i, "r-" + i))).isTrue();
      slots.add(SlotHash.getSlot(store.key()));
    }
    Map<Integer, Integer> perMaster = new LinkedHashMap<>();
    for (Map.Entry<Integer, StatefulRedisConnection<String, String>> node : nodes.entrySet()) {
      perMaster.put(node.getKey(), node.getValue().sync().keys("spread:*").size());
    }
    System.out.printf("Redis Cluster: %d identities on %d slots, keys per master %s%n", identities,
        slots.size(), perMaster);
    assertThat(perMaster.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(identities);
    // SHA-256 spreads them evenly: about 100 on each master (a third of the slots each).
    assertThat(perMaster.values()).as("keys per master %s", perMaster).allSatisfy(count ->
        assertThat(count).isBetween(identities / 6, identities / 2));
    assertThat(slots).hasSizeGreaterThan(identities * 9 / 10);
    for (int i = 0; i < identities; i++) {
      assertThat(open(builder, "tenant-" + i).load().accessToken().value()).isEqualTo("a-" + i);
    }
  }

  /**
   * One waiter per master (an identity whose slot that master serves) on the shared cluster pub/sub
   * connection, polling only every 10 s; a writer on another connection writes each identity. Each
   * waiter wakes long before its poll: the message published on the identity's master reached the
   * node the pub/sub connection listens on.
   */
  @Test
  void awaitChange_wakesOnTheMessage_whicheverMasterTheIdentityLivesOn() throws Exception {
    Map<Integer, String> identityOn = new LinkedHashMap<>();
    RedisTokenStore.Builder waiters = RedisTokenStore.builder(connection).notifications(pubsub)
        .keyPrefix("notify:").pollInterval(Duration.ofSeconds(10));
    for (int i = 0; identityOn.size() < nodes.size(); i++) {
      String identity = "notify-" + i;
      identityOn.putIfAbsent(masterOf(open(waiters, identity).key()), identity);
    }
    RedisTokenStore.Builder writers = RedisTokenStore.builder(client).keyPrefix("notify:");
    for (Map.Entry<Integer, String> entry : identityOn.entrySet()) {
      RedisTokenStore waiter = open(waiters, entry.getValue());
      RedisTokenStore writer = open(writers, entry.getValue());
      CompletableFuture<Long> woke = CompletableFuture.supplyAsync(() -> {
        try {
          long started = System.nanoTime();
          waiter.awaitChange(0, Duration.ofSeconds(30));
          return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      });
      await().atMost(Duration.ofSeconds(5)).until(() -> patternSubscriptions() > 0 && !woke.isDone());

      assertThat(writer.compareAndSet(0, tokens(1, "a1", "r1"))).isTrue();

      assertThat(woke.get(20, TimeUnit.SECONDS)).as("identity on master %d", entry.getKey())
          .isLessThan(5_000); // the poll would take 10 s
    }
  }

  private static long patternSubscriptions() {
    return nodes.values().stream().mapToLong(c -> c.sync().pubsubNumpat()).sum();
  }

  /** The README's Redis Cluster snippet, as it stands, on this cluster. */
  @Test
  void readmeSnippet_storesFromAClusterClient_ownAndSharedConnections_seeTheSameTokens() {
    List<RedisURI> nodes = cluster.uris().subList(0, 1); // one seed: the client finds the others
    // --- README: redis-cluster ---
    // nodes: some of the cluster's nodes, e.g. List.of(RedisURI.create("redis://redis-1.internal:6379"))
    RedisClusterClient cluster = RedisClusterClient.create(nodes);
    RedisTokenStore store = RedisTokenStore.builder(cluster).identity("orders-service"); // own connections
    // many identities: two shared connections, as above
    RedisTokenStore.Builder stores = RedisTokenStore.builder(cluster.connect())
        .notifications(cluster.connectPubSub());
    // --- end ---
    try {
      assertThat(store.compareAndSet(0, tokens(1, "a1", "r1"))).isTrue();
      assertThat(stores.identity("orders-service").load().accessToken().value()).isEqualTo("a1");
      assertThat(cluster.getPartitions().size()).isEqualTo(3);
    } finally {
      store.close();
      cluster.shutdown(Duration.ZERO, Duration.ofSeconds(5));
    }
  }

  /**
   * A plain {@code RedisClient} connection to one node is not cluster-aware: an identity whose slot
   * another master serves gets {@code MOVED}, which the store reports as a typed {@code IO_FAILURE}
   * naming the builder to use.
   */
  @Test
  void aPlainConnectionToOneNode_identityOnAnotherMaster_failsTypedNamingTheClusterBuilder() {
    int port = nodes.keySet().iterator().next();
    RedisTokenStore.Builder plain = RedisTokenStore.builder(nodes.get(port)).keyPrefix("plain:");
    String identity = null;
    for (int i = 0; identity == null; i++) {
      if (masterOf(open(plain, "elsewhere-" + i).key()) != port) {
        identity = "elsewhere-" + i;
      }
    }
    RedisTokenStore store = open(plain, identity);

    assertThatThrownBy(store::load).isInstanceOfSatisfying(TokenStoreException.class, e -> {
      assertThat(e.reason()).isEqualTo(TokenStoreException.Reason.IO_FAILURE);
      assertThat(e.getMessage()).contains("MOVED").contains("Redis Cluster")
          .contains("RedisTokenStore.builder(RedisClusterClient)");
    });
    assertThatThrownBy(() -> store.compareAndSet(0, tokens(1, "a1", "r1")))
        .isInstanceOf(TokenStoreException.class).hasMessageContaining("builder(RedisClusterClient)");
  }
}
