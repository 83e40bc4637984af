package dev.tokenkeeper.internal;

import dev.tokenkeeper.TokenRequest;
import dev.tokenkeeper.TokenResponse;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * A token source that can start a call without blocking: the built-in HTTP endpoints. The keeper
 * starts such a call on the thread of the caller that found the token unusable, so the request
 * leaves at once instead of after a hand-off to another thread (which, when N callers are released
 * together, is scheduled behind them); the answer is then handled on the keeper's executor as for
 * any source.
 */
public interface AsyncTokenSource {
  /**
   * Hands one call to the transport and returns at once: it must not block, wait for I/O, or do
   * more than bounded CPU work (building and signing the request). The future completes with the
   * response, or with the exception {@link dev.tokenkeeper.TokenSource#fetch} would throw.
   *
   * @return the call, or {@code null} when this call cannot start without blocking; the keeper then
   *     calls {@link dev.tokenkeeper.TokenSource#fetch} on its executor
   */
  @Nullable CompletableFuture<TokenResponse> fetchAsync(TokenRequest request);
}
