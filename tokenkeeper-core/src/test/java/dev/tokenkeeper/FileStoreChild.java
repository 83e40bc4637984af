package dev.tokenkeeper;

import dev.tokenkeeper.SharedTokenStore.RefreshLease;
import dev.tokenkeeper.internal.FileLocks;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A separate JVM for {@link FileTokenStoreProcessTest}: {@code java FileStoreChild <mode> <dir>
 * <identity> [n]}. Prints one line when it reached the state the test waits for.
 *
 * <ul>
 *   <li>{@code write}: writes one version, prints {@code ready}, then writes the next version ({@link
 *       TokenStoreContract#tokens}) with compare-and-set, forever (until killed);
 *   <li>{@code writeN}: writes {@code n} versions, prints {@code done}, exits;
 *   <li>{@code lease}: takes the refresh lease for an hour, prints {@code leased <fencing>} or
 *       {@code busy}, then waits for stdin to close (or a kill);
 *   <li>{@code writeLock}: holds the write lock, prints {@code locked}, waits for stdin to close.
 * </ul>
 */
public final class FileStoreChild {
  private FileStoreChild() {}

  public static void main(String[] args) throws IOException {
    PrintStream out = System.out;
    FileTokenStore store = FileTokenStore.directory(Path.of(args[1])).identity(args[2]);
    switch (args[0]) {
      case "write" -> {
        long first = store.load().version(); // ready once classes are loaded and one write is done
        store.compareAndSet(first, TokenStoreContract.tokens(first + 1));
        out.println("ready");
        out.flush();
        while (true) {
          long v = store.load().version();
          store.compareAndSet(v, TokenStoreContract.tokens(v + 1));
        }
      }
      case "writeN" -> {
        for (int i = 0; i < Integer.parseInt(args[3]); i++) {
          long v = store.load().version();
          store.compareAndSet(v, TokenStoreContract.tokens(v + 1));
        }
        out.println("done");
      }
      case "lease" -> {
        RefreshLease lease = store.tryLease(Duration.ofHours(1));
        out.println(lease == null ? "busy" : "leased " + lease.fencingToken());
        out.flush();
        System.in.read();
      }
      case "writeLock" -> FileLocks.withWriteLock(
          store.file().resolveSibling(args[2] + ".write.lock"), false, Duration.ofSeconds(10), () -> {
            out.println("locked");
            out.flush();
            try {
              return System.in.read();
            } catch (IOException e) {
              throw new IllegalStateException(e);
            }
          });
      default -> throw new IllegalArgumentException("unknown mode " + args[0]);
    }
    out.flush();
  }
}
