package dev.tokenkeeper.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A real Redis Cluster for tests: {@code masters} {@code redis-server --cluster-enabled yes}
 * processes ({@link RedisServer}) on free loopback ports, each in its own directory, joined by
 * {@code redis-cli --cluster create ... --cluster-replicas 0 --cluster-yes}, ready once every node
 * reports {@code cluster_state:ok}. Stopped by PID.
 *
 * <p>{@code redis-cli} is the one next to the {@code redis-server} in use, else the one on the
 * {@code PATH} (Debian's {@code redis-tools}, which {@code redis-server} depends on). If either is
 * missing or the cluster does not form, {@link #start} throws: a cluster test fails, it is never
 * skipped.
 */
final class RedisCluster implements AutoCloseable {
  private static final Duration FORMED = Duration.ofSeconds(60);

  private final List<RedisServer> nodes = new ArrayList<>();

  private RedisCluster() {}

  /** Starts {@code masters} nodes in subdirectories of {@code dir} and forms the cluster. */
  static RedisCluster start(Path dir, int masters) {
    RedisCluster cluster = new RedisCluster();
    try {
      for (int i = 0; i < masters; i++) {
        cluster.nodes.add(RedisServer.start(dir.resolve("node-" + i), false, List.of(
            "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
            "--cluster-node-timeout", "5000", "--cluster-port", Integer.toString(freePort()))));
      }
      cluster.create(dir);
      cluster.awaitOk();
      return cluster;
    } catch (RuntimeException | Error e) {
      cluster.close();
      throw e;
    }
  }

  /** One URI per node: seeds for {@code RedisClusterClient.create(uris())}. */
  List<RedisURI> uris() {
    return nodes.stream().map(RedisServer::uri).toList();
  }

  List<RedisServer> nodes() {
    return List.copyOf(nodes);
  }

  private void create(Path dir) {
    List<String> command = new ArrayList<>(List.of(redisCli().toString(), "--cluster", "create"));
    for (RedisServer node : nodes) {
      command.add("127.0.0.1:" + node.port());
    }
    command.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
    Path log = dir.resolve("cluster-create.log");
    try {
      Process create = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(log.toFile()).start();
      if (!create.waitFor(FORMED.toSeconds(), TimeUnit.SECONDS)) {
        create.destroyForcibly();
        throw new IllegalStateException(command + " did not end within " + FORMED + ":\n" + read(log));
      }
      if (create.exitValue() != 0) {
        throw new IllegalStateException(command + " failed (exit " + create.exitValue() + "):\n"
            + read(log));
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + command + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Every node sees all slots served and every master: {@code cluster_state:ok}. */
  private void awaitOk() {
    List<RedisClient> clients = new ArrayList<>();
    List<StatefulRedisConnection<String, String>> connections = new ArrayList<>();
    try {
      for (RedisServer node : nodes) {
        RedisClient client = RedisClient.create(node.uri());
        clients.add(client);
        connections.add(client.connect());
      }
      Awaitility.await("cluster_state:ok on every node").atMost(FORMED)
          .pollInterval(Duration.ofMillis(50)).until(() -> connections.stream().allMatch(c -> {
            String info = c.sync().clusterInfo();
            return info.contains("cluster_state:ok")
                && info.contains("cluster_known_nodes:" + nodes.size());
          }));
    } catch (ConditionTimeoutException e) {
      StringBuilder states = new StringBuilder();
      for (int i = 0; i < connections.size(); i++) {
        states.append("\nnode ").append(nodes.get(i).port()).append(":\n")
            .append(connections.get(i).sync().clusterInfo());
      }
      throw new IllegalStateException("the cluster did not form: " + states, e);
    } finally {
      connections.forEach(StatefulRedisConnection::close);
      clients.forEach(c -> c.shutdown(Duration.ZERO, Duration.ofSeconds(5)));
    }
  }

  /** Stops every node by PID. */
  @Override
  public void close() {
    for (RedisServer node : nodes) {
      node.close();
    }
  }

  static Path redisCli() {
    Path next = RedisServer.binary().toAbsolutePath().getParent().resolve("redis-cli");
    if (Files.isExecutable(next)) {
      return next;
    }
    for (String entry : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      Path candidate = Path.of(entry.isEmpty() ? "." : entry, "redis-cli");
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException("no redis-cli next to " + RedisServer.binary()
        + " nor on the PATH: a Redis Cluster test needs it to form the cluster; install Debian's "
        + "redis-tools (apt-get install redis-server brings it)");
  }

  private static String read(Path log) {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(no output: " + e + ")";
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("no free loopback port: " + e, e);
    }
  }
}
