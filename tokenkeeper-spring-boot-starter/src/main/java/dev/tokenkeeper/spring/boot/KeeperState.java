package dev.tokenkeeper.spring.boot;

import dev.tokenkeeper.TokenFailure;
import dev.tokenkeeper.TokenListener;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * What one keeper's last event says about it, for the health contributor: a listener that keeps
 * the state and nothing secret (no token, no fingerprint, no endpoint message). Thread-safe.
 */
final class KeeperState implements TokenListener {
  /** The states a keeper is reported in. */
  enum State {
    /** No token asked for yet. */
    IDLE,
    /** The last refresh succeeded. */
    UP,
    /** The endpoint failed; the keeper retries with backoff and serves a still-valid token. */
    REFRESHING_WITH_BACKOFF,
    /** The endpoint refused the configured client credentials; the keeper keeps retrying. */
    CREDENTIALS_REJECTED,
    /** The session is over; a new sign-in is needed. */
    SESSION_EXPIRED
  }

  record Snapshot(State state, @Nullable Instant expiresAt, int failedAttempts) {}

  private final AtomicReference<Snapshot> last = new AtomicReference<>(new Snapshot(State.IDLE, null, 0));

  Snapshot snapshot() {
    return last.get();
  }

  @Override
  public void onRefreshed(Refreshed event) {
    last.set(new Snapshot(State.UP, event.expiresAt(), 0));
  }

  @Override
  public void onRefreshFailed(RefreshFailed event) {
    State state = event.reason() == TokenFailure.CREDENTIALS_REJECTED
        ? State.CREDENTIALS_REJECTED : State.REFRESHING_WITH_BACKOFF;
    last.updateAndGet(s -> new Snapshot(state, s.expiresAt(), event.attempt()));
  }

  @Override
  public void onSessionExpired(SessionExpired event) {
    last.set(new Snapshot(State.SESSION_EXPIRED, null, 0));
  }
}
