package dev.tokenkeeper.internal;

import dev.tokenkeeper.DPoP;
import dev.tokenkeeper.Scheduler;
import dev.tokenkeeper.TokenListener;
import dev.tokenkeeper.TokenRevoker;
import dev.tokenkeeper.TokenSource;
import dev.tokenkeeper.TokenStore;
import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.Executor;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * Everything an {@link Engine} is built from; validated by {@code TokenKeeper.Builder}. {@code
 * sendsFromCaller}: the keeper runs on its own threads (the application gave it no executor), so a
 * built-in endpoint's call may be started on the thread of the caller that needs the token.
 */
public record KeeperConfig(String name, TokenSource source, TokenStore store, InstantSource clock,
    Scheduler scheduler, Executor executor, Timing timing, RandomGenerator random,
    TokenListener listener, @Nullable TokenRevoker revoker, Duration defaultTimeout,
    Duration attemptTimeout, @Nullable DPoP dpop, boolean sendsFromCaller) {

  /**
   * Whether the answer of a call started by a caller may be handled on the thread it arrives on
   * (the HTTP client's) up to releasing the blocking callers: the keeper runs on its own threads
   * and keeps its tokens in memory, so nothing in that handling can block.
   */
  public boolean answersWhereTheyArrive() {
    return sendsFromCaller && store instanceof MemoryTokenStore;
  }
}
