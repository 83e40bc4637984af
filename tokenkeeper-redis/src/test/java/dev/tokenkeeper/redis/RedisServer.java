package dev.tokenkeeper.redis;

import io.lettuce.core.RedisURI;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A real {@code redis-server} process on a free loopback port, with its own directory, for tests:
 * started, paused ({@code SIGSTOP}), resumed, killed and restarted by PID.
 *
 * <p>The binary: the system property {@code tokenkeeper.redis.server} if set, else {@code
 * redis-server} from the {@code PATH} (Debian's package on CI), else the Linux x86-64 build inside
 * the {@code embedded-redis} test jar, extracted once per JVM. The one used is written to {@code
 * target/redis-server-used.txt} so CI can check which it was. If no server can be started the test
 * fails: a Redis test is never skipped.
 */
public final class RedisServer implements AutoCloseable {
  private static final String EMBEDDED = "redis-server-6.2.6-v5-linux-amd64";
  private static Path binary;

  private final Path dir;
  private final boolean persistent;
  private final List<String> extraArgs;
  private int port;
  private Process process;

  private RedisServer(Path dir, boolean persistent, List<String> extraArgs) {
    this.dir = dir;
    this.persistent = persistent;
    this.extraArgs = List.copyOf(extraArgs);
  }

  /** Starts a server without persistence in {@code dir}. */
  public static RedisServer start(Path dir) {
    return start(dir, false);
  }

  /** Starts a server in {@code dir}; with {@code persistent}, an append-only file there. */
  public static RedisServer start(Path dir, boolean persistent) {
    return start(dir, persistent, List.of());
  }

  /** Starts a server in {@code dir} with more {@code redis-server} options (a cluster node's). */
  static RedisServer start(Path dir, boolean persistent, List<String> extraArgs) {
    RedisServer server = new RedisServer(dir, persistent, extraArgs);
    server.launch(0);
    return server;
  }

  public int port() {
    return port;
  }

  public long pid() {
    return process.pid();
  }

  public RedisURI uri() {
    return RedisURI.create("redis://127.0.0.1:" + port);
  }

  /** Freezes the process (SIGSTOP): connections stay open, nothing answers. */
  public void pause() {
    signal("STOP");
  }

  /** Thaws a paused process (SIGCONT). */
  public void resume() {
    signal("CONT");
  }

  /** Kills the process (SIGKILL) and starts a new one on the same port and directory. */
  public void restart() {
    process.destroyForcibly();
    waitFor(process);
    launch(port);
  }

  /** Stops the process by PID (SIGKILL after a resume, so a paused server dies too). */
  @Override
  public void close() {
    if (process != null && process.isAlive()) {
      signal("CONT");
      process.destroyForcibly();
      waitFor(process);
    }
  }

  private void launch(int fixedPort) {
    String failure = "";
    for (int attempt = 0; attempt < 5; attempt++) {
      int candidate = fixedPort != 0 ? fixedPort : freePort();
      List<String> command = new ArrayList<>(List.of(binary().toString(),
          "--port", Integer.toString(candidate), "--bind", "127.0.0.1", "--dir", dir.toString(),
          "--daemonize", "no", "--protected-mode", "no", "--save", "",
          "--logfile", dir.resolve("redis.log").toString()));
      command.addAll(persistent ? List.of("--appendonly", "yes", "--appendfsync", "always")
          : List.of("--appendonly", "no"));
      command.addAll(extraArgs);
      try {
        Files.createDirectories(dir);
        process = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(dir.resolve("redis.out").toFile()).start();
      } catch (IOException e) {
        throw new IllegalStateException("cannot start " + command + ": " + e, e);
      }
      Process started = process;
      try {
        Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
            .until(() -> !started.isAlive() || answersPing(candidate));
      } catch (ConditionTimeoutException e) {
        // reported below with the server's log
      }
      if (started.isAlive() && answersPing(candidate)) {
        port = candidate;
        return;
      }
      failure = log();
      process.destroyForcibly();
      waitFor(process);
      if (fixedPort != 0 && attempt >= 2) {
        break;
      }
    }
    throw new IllegalStateException("could not start redis-server (" + binary() + ") in " + dir
        + "; its log:\n" + failure);
  }

  private static boolean answersPing(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
      socket.setSoTimeout(500);
      OutputStream out = socket.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      byte[] answer = socket.getInputStream().readNBytes(7);
      return new String(answer, StandardCharsets.US_ASCII).startsWith("+PONG");
    } catch (IOException e) {
      return false;
    }
  }

  private String log() {
    try {
      Path log = dir.resolve("redis.log");
      return (Files.exists(log) ? Files.readString(log) : "")
          + Files.readString(dir.resolve("redis.out"));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  private void signal(String name) {
    try {
      Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start();
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
      }
    } catch (IOException e) {
      throw new IllegalStateException("kill -" + name + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void waitFor(Process p) {
    try {
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        throw new IllegalStateException("redis-server " + p.pid() + " did not stop");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("no free loopback port: " + e, e);
    }
  }

  /** Finds the binary once per JVM (see the class comment) and records which it was. */
  static synchronized Path binary() {
    if (binary != null) {
      return binary;
    }
    String configured = System.getProperty("tokenkeeper.redis.server", "");
    Path found = null;
    if (!configured.isEmpty()) {
      found = Path.of(configured);
    } else {
      for (String entry : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
        Path candidate = Path.of(entry.isEmpty() ? "." : entry, "redis-server");
        if (Files.isExecutable(candidate)) {
          found = candidate;
          break;
        }
      }
    }
    if (found == null) {
      found = extractEmbedded();
    }
    binary = found;
    try {
      Path target = Path.of("target");
      if (Files.isDirectory(target)) {
        Files.writeString(target.resolve("redis-server-used.txt"), found + "\n");
      }
    } catch (IOException e) {
      // only a record for CI
    }
    return found;
  }

  private static Path extractEmbedded() {
    try (InputStream in = RedisServer.class.getResourceAsStream("/" + EMBEDDED)) {
      if (in == null) {
        throw new IllegalStateException("no redis-server on the PATH and no " + EMBEDDED
            + " in the embedded-redis test jar: install redis-server (apt-get install redis-server)");
      }
      Path dir = Files.createTempDirectory("tokenkeeper-redis-bin");
      Path file = dir.resolve("redis-server");
      Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
      if (!file.toFile().setExecutable(true, true)) {
        throw new IllegalStateException("cannot make " + file + " executable");
      }
      file.toFile().deleteOnExit();
      dir.toFile().deleteOnExit();
      return file;
    } catch (IOException e) {
      throw new IllegalStateException("cannot extract " + EMBEDDED + ": " + e, e);
    }
  }
}
