package dev.tokenkeeper;

import static dev.tokenkeeper.TokenStoreContract.assertExactly;
import static dev.tokenkeeper.TokenStoreContract.tokens;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.tokenkeeper.SharedTokenStore.RefreshLease;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link FileTokenStore} with real OS processes ({@link FileStoreChild} in separate JVMs): crashes
 * by {@code kill -9} in the middle of writes, the lease and the write lock across processes, and a
 * restart.
 */
class FileTokenStoreProcessTest {
  /** Kills in {@code mvn verify}; the 1,000-kill run is {@link #crashSafety_1000Kills}. */
  static final int CI_KILLS = 100;

  @TempDir Path dir;

  /** A child JVM started small and fast: C1 only, shared class data, small stacks and heap. */
  static final class Child implements AutoCloseable {
    final Process process;
    final BufferedReader out;
    final Path err;

    Child(Path dir, String... args) throws IOException {
      List<String> command = new ArrayList<>(List.of(
          Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-Xss256k", "-XX:+UseSerialGC", "-Xmx64m",
          "-cp", System.getProperty("java.class.path"), FileStoreChild.class.getName()));
      command.addAll(List.of(args));
      err = Files.createTempFile(dir.getParent(), "child", ".err");
      process = new ProcessBuilder(command).redirectError(err.toFile()).start();
      out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    /** Returns the child's next line; fails with its stderr if it died instead. */
    String line() throws IOException {
      String line = out.readLine();
      assertThat(line).as("child died: %s", Files.readString(err)).isNotNull();
      return line;
    }

    /** SIGKILL on Linux and macOS; returns once the process is gone. */
    void kill9() throws InterruptedException {
      process.destroyForcibly();
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }

    @Override
    public void close() throws Exception {
      if (process.isAlive()) {
        kill9();
      }
      out.close();
      Files.deleteIfExists(err);
    }
  }

  @Test
  @Timeout(600)
  void crashSafety_100KillsMidWrite_fileAlwaysLoadsAsAWholeVersion_versionsNeverGoBack() throws Exception {
    killWritersAtRandom(CI_KILLS, 2);
  }

  /**
   * The figure: 1,000 kills. Not in {@code mvn verify} (about ten times the CI run); run
   * it with {@code mvn -B -pl tokenkeeper-core -am test -Dsurefire.excludedGroups= -Dgroups=crash1000
   * -Dtest=FileTokenStoreProcessTest -Dsurefire.failIfNoSpecifiedTests=false}.
   */
  @Test
  @Tag("crash1000")
  @Timeout(3600)
  void crashSafety_1000Kills() throws Exception {
    killWritersAtRandom(1000, 2);
  }

  /**
   * {@code lanes} threads, each on its own identity, each {@code kills / lanes} times: start a
   * writer JVM, wait for it to say it is writing, let it write for a random 0-30 ms, kill -9 it,
   * and load the file with a new store.
   */
  private void killWritersAtRandom(int kills, int lanes) throws Exception {
    AtomicLong tempLeft = new AtomicLong();
    AtomicLong advanced = new AtomicLong();
    AtomicLong versions = new AtomicLong();
    long started = System.nanoTime();
    ExecutorService pool = Executors.newFixedThreadPool(lanes);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int lane = 0; lane < lanes; lane++) {
        String identity = "crash-" + lane;
        int laneKills = kills / lanes + (lane < kills % lanes ? 1 : 0);
        done.add(pool.submit(() -> {
          long last = 0;
          for (int i = 0; i < laneKills; i++) {
            try (Child writer = new Child(dir, "write", dir.toString(), identity)) {
              assertThat(writer.line()).isEqualTo("ready");
              // The kill must land at a random point of the write loop: the writer runs for
              // 0-30 ms (a write takes a few ms), and must not have stopped on its own meanwhile.
              boolean exited = writer.process.waitFor(ThreadLocalRandom.current().nextInt(31),
                  TimeUnit.MILLISECONDS);
              assertThat(exited).as("writer exited by itself: %s", Files.readString(writer.err)).isFalse();
              writer.kill9();
            }
            if (Files.exists(dir.resolve(identity + ".tokens.tmp"))) {
              tempLeft.incrementAndGet(); // killed between creating the temp file and the rename
            }
            StoredTokens loaded = FileTokenStore.directory(dir).identity(identity).load();
            assertExactly(loaded, tokens(loaded.version())); // whole, never a mix of two versions
            assertThat(loaded.version()).isGreaterThanOrEqualTo(last);
            if (loaded.version() > last) {
              advanced.incrementAndGet();
            }
            last = loaded.version();
          }
          versions.addAndGet(last);
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    String figures = String.format("kills=%d lanes=%d time=%d ms versions written=%d "
        + "kills that advanced the version=%d kills that left a temp file (mid-write)=%d%n",
        kills, lanes, millis, versions.get(), advanced.get(), tempLeft.get());
    System.out.print(figures);
    Path target = Path.of("target");
    if (Files.isDirectory(target)) {
      Files.writeString(target.resolve("crash-safety-" + kills + ".txt"), figures);
    }
    assertThat(advanced.get()).as("the writers wrote between kills").isGreaterThan(kills / 2);
    assertThat(tempLeft.get()).as("some kills landed in the middle of a write").isPositive();
  }

  @Test
  @Timeout(120)
  void lease_heldByAnotherProcess_isRefused_andIsFreeTheMomentThatProcessIsKilled() throws Exception {
    FileTokenStore store = FileTokenStore.directory(dir).identity("shared");
    try (Child holder = new Child(dir, "lease", dir.toString(), "shared")) {
      String leased = holder.line();
      assertThat(leased).startsWith("leased ");
      long holderFencing = Long.parseLong(leased.substring("leased ".length()));

      try (Child second = new Child(dir, "lease", dir.toString(), "shared")) {
        assertThat(second.line()).isEqualTo("busy");
      }
      assertThat(store.tryLease(Duration.ofMinutes(1))).isNull();

      holder.kill9();
      RefreshLease lease = store.tryLease(Duration.ofMinutes(1)); // first try: no waiting

      assertThat(lease).isNotNull();
      assertThat(lease.fencingToken()).isGreaterThan(holderFencing);
      lease.release();
    }
  }

  @Test
  @Timeout(120)
  void writeLock_heldByAHungProcess_failsWithinTheLockTimeout_andWorksOnceItIsKilled() throws Exception {
    FileTokenStore store = FileTokenStore.directory(dir).lockTimeout(Duration.ofMillis(300)).identity("w");
    store.compareAndSet(0, tokens(1));
    try (Child hung = new Child(dir, "writeLock", dir.toString(), "w")) {
      assertThat(hung.line()).isEqualTo("locked");

      long started = System.nanoTime();
      TokenStoreException e = catchThrowableOfType(() -> store.compareAndSet(1, tokens(2)),
          TokenStoreException.class);
      Duration took = Duration.ofNanos(System.nanoTime() - started);

      assertThat(e.reason()).isEqualTo(TokenStoreException.Reason.IO_FAILURE);
      assertThat(e).hasMessageContaining("300 ms");
      assertThat(took).isBetween(Duration.ofMillis(300), Duration.ofSeconds(10));
      assertExactly(store.load(), tokens(1));

      hung.kill9();
      assertThat(store.compareAndSet(1, tokens(2))).isTrue();
    }
  }

  @Test
  @Timeout(120)
  void restart_aNewStoreLoadsExactlyWhatAnotherProcessWrote() throws Exception {
    try (Child writer = new Child(dir, "writeN", dir.toString(), "restart", "3")) {
      assertThat(writer.line()).isEqualTo("done");
      assertThat(writer.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(writer.process.exitValue()).isZero();
    }

    StoredTokens loaded = FileTokenStore.directory(dir).identity("restart").load();

    assertExactly(loaded, tokens(3)); // value, type, obtainedAt (ns), expiresAt, scopes, refresh, version
  }
}
