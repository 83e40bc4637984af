package dev.tokenkeeper.it;

import dev.tokenkeeper.TokenListener;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.LongAdder;

/** Counts what a keeper reports, and keeps the failures' descriptions to show them. */
final class CountingListener implements TokenListener {
  final LongAdder refreshed = new LongAdder();
  final LongAdder rotated = new LongAdder();
  final LongAdder refreshFailed = new LongAdder();
  final LongAdder sessionExpired = new LongAdder();
  final LongAdder rejectedAfterRefresh = new LongAdder();
  final Queue<String> failures = new ConcurrentLinkedQueue<>();
  /** Every refresh, in order (the keeper refreshes one at a time). */
  final Queue<Refreshed> refreshes = new ConcurrentLinkedQueue<>();

  @Override
  public void onRefreshed(Refreshed event) {
    refreshed.increment();
    refreshes.add(event);
    if (event.refreshTokenRotated()) {
      rotated.increment();
    }
  }

  @Override
  public void onRefreshFailed(RefreshFailed event) {
    refreshFailed.increment();
    failures.add(event.failure());
  }

  @Override
  public void onSessionExpired(SessionExpired event) {
    sessionExpired.increment();
    failures.add(event.failure());
  }

  @Override
  public void onRejectedAfterRefresh(RejectedAfterRefresh event) {
    rejectedAfterRefresh.increment();
  }
}
