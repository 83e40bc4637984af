package dev.tokenkeeper.okhttp;

import dev.tokenkeeper.TokenListener;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records the keeper's events for assertions. */
final class RecordingListener implements TokenListener {
  final List<Refreshed> refreshes = new CopyOnWriteArrayList<>();
  final List<RefreshFailed> failures = new CopyOnWriteArrayList<>();
  final List<SessionExpired> expiries = new CopyOnWriteArrayList<>();
  final List<RejectedAfterRefresh> rejections = new CopyOnWriteArrayList<>();

  @Override
  public void onRefreshed(Refreshed event) {
    refreshes.add(event);
  }

  @Override
  public void onRefreshFailed(RefreshFailed event) {
    failures.add(event);
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
