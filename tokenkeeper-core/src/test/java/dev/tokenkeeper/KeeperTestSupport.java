package dev.tokenkeeper;

import dev.tokenkeeper.testing.TestClock;
import java.time.Duration;

/** Builders shared by the keeper tests: a test clock, fixed jitter, a fake source. */
final class KeeperTestSupport {
  static final Duration TTL = Duration.ofMinutes(10);

  private KeeperTestSupport() {}

  /** A keeper on {@code clock} with no jitter, running refreshes on its own threads. */
  static TokenKeeper.Builder keeper(FakeSource source, TestClock clock) {
    return TokenKeeper.newBuilder(source)
        .clock(clock)
        .scheduler(clock::schedule)
        .jitter(0)
        .random(() -> 0L);
  }

  /** Initial tokens that expire {@link #TTL} after the clock's now. */
  static TokenResponse initial() {
    return TokenResponse.bearer("access-0").withExpiresIn(TTL).withRefreshToken("refresh-0");
  }
}
