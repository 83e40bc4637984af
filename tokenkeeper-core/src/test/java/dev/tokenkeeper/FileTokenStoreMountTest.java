package dev.tokenkeeper;

import static dev.tokenkeeper.TokenStoreContract.assertExactly;
import static dev.tokenkeeper.TokenStoreContract.tokens;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.tokenkeeper.TokenStoreException.Reason;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A really full disk and a really read-only file system: a 16 KiB tmpfs mounted for the test.
 * Needs Linux and the right to mount (root, as on the build machine); skipped otherwise, and then
 * {@code FileTokenStoreTest}'s injected write failure is the only disk-full check.
 */
class FileTokenStoreMountTest {
  @TempDir Path parent;
  private Path mount;
  private boolean mounted;

  @BeforeEach
  void mountTinyTmpfs() throws Exception {
    mount = Files.createDirectory(parent.resolve("tiny"));
    mounted = run("mount", "-t", "tmpfs", "-o", "size=16k,mode=0700", "tmpfs", mount.toString()) == 0;
    assumeThat(mounted).as("cannot mount a tmpfs here (needs Linux and root)").isTrue();
  }

  @AfterEach
  void unmount() throws Exception {
    if (mounted) {
      assertThat(run("umount", mount.toString())).isZero();
    }
  }

  private static int run(String... command) throws IOException, InterruptedException {
    try {
      Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
    } catch (IOException e) {
      return -1; // no such command
    }
  }

  @Test
  void diskFull_writeIsAnIoFailure_previousVersionLoads_andWritesResumeWhenSpaceIsFreed()
      throws Exception {
    FileTokenStore store = FileTokenStore.directory(mount).identity("alice");
    store.compareAndSet(0, tokens(1));
    Path filler = mount.resolve("filler");
    try (OutputStream out = Files.newOutputStream(filler)) {
      byte[] block = new byte[512];
      while (true) {
        out.write(block);
        out.flush();
      }
    } catch (IOException expected) {
      // the disk is full now
    }

    TokenStoreException e = catchThrowableOfType(() -> store.compareAndSet(1, tokens(2)),
        TokenStoreException.class);

    assertThat(e.reason()).isEqualTo(Reason.IO_FAILURE);
    assertThat(e).hasMessageContaining(store.file().toString()).hasMessageContaining("No space left");
    assertExactly(FileTokenStore.directory(mount).identity("alice").load(), tokens(1));
    assertThat(Files.exists(mount.resolve("alice.tokens.tmp"))).isFalse();

    Files.delete(filler);
    assertThat(store.compareAndSet(1, tokens(2))).isTrue();
    assertExactly(FileTokenStore.directory(mount).identity("alice").load(), tokens(2));
  }

  @Test
  void readOnlyFileSystem_writeAndLeaseAreIoFailures_previousVersionLoads() throws Exception {
    FileTokenStore store = FileTokenStore.directory(mount).identity("alice");
    store.compareAndSet(0, tokens(1));
    assertThat(run("mount", "-o", "remount,ro", mount.toString())).isZero();

    TokenStoreException write = catchThrowableOfType(() -> store.compareAndSet(1, tokens(2)),
        TokenStoreException.class);
    TokenStoreException lease = catchThrowableOfType(
        () -> store.tryLease(java.time.Duration.ofMinutes(1)), TokenStoreException.class);

    assertThat(write.reason()).isEqualTo(Reason.IO_FAILURE);
    assertThat(write).hasMessageContaining("alice").hasMessageContaining("Read-only file system");
    assertThat(lease.reason()).isEqualTo(Reason.IO_FAILURE);
    assertExactly(FileTokenStore.directory(mount).identity("alice").load(), tokens(1));
  }
}
