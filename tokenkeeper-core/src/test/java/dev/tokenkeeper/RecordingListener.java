package dev.tokenkeeper;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;

/** Records every event; {@code refreshed.acquire()} waits for a refresh to finish. */
final class RecordingListener implements TokenListener {
  final List<Refreshed> refreshes = new CopyOnWriteArrayList<>();
  final List<RefreshFailed> failures = new CopyOnWriteArrayList<>();
  final List<SessionExpired> expiries = new CopyOnWriteArrayList<>();
  final List<RejectedAfterRefresh> rejections = new CopyOnWriteArrayList<>();
  final Semaphore refreshed = new Semaphore(0);
  final Semaphore failed = new Semaphore(0);

  @Override
  public void onRefreshed(Refreshed event) {
    refreshes.add(event);
    refreshed.release();
  }

  @Override
  public void onRefreshFailed(RefreshFailed event) {
    failures.add(event);
    failed.release();
  }

  @Override
  public void onSessionExpired(SessionExpired event) {
    expiries.add(event);
  }

  @Override
  public void onRejectedAfterRefresh(RejectedAfterRefresh event) {
    rejections.add(event);
  }
}
