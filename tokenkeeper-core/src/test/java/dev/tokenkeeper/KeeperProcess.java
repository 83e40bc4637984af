package dev.tokenkeeper;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A {@link SharedKeeperChild} JVM seen from the test: {@link ChildJvm} started with the file-store
 * child's arguments and a 64 MiB heap.
 */
final class KeeperProcess extends ChildJvm {

  /**
   * Starts {@code java SharedKeeperChild} at once, without waiting for it: several children start
   * in parallel. {@link #awaitReady} waits.
   */
  KeeperProcess(Path storeDir, Path logDir, String identity, URI tokenUri, String name, int threads,
      long callEveryMillis, double refreshAheadRatio) throws IOException {
    super(logDir, name, "64m", SharedKeeperChild.class, List.of(storeDir.toString(), identity,
        tokenUri.toString(), name, Integer.toString(threads), Long.toString(callEveryMillis),
        Double.toString(refreshAheadRatio)));
  }

  /** The children's counts added up; {@code failures} counts typed and untyped ones together. */
  static Map<String, Long> sum(List<Result> results) {
    Result all = Result.sum(results);
    return Map.of("ok", all.ok(), "reauth", all.reauth(), "failures", all.failures() + all.untyped(),
        "maxCallMillis", all.maxCallMillis());
  }
}
