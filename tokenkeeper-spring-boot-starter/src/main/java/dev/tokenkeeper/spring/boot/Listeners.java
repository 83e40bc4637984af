package dev.tokenkeeper.spring.boot;

import dev.tokenkeeper.TokenListener;
import java.util.List;

/** Several listeners as one, in order; each one's exception is the keeper's to log and swallow. */
final class Listeners implements TokenListener {
  private final List<TokenListener> listeners;

  Listeners(List<TokenListener> listeners) {
    this.listeners = List.copyOf(listeners);
  }

  @Override
  public void onRefreshed(Refreshed event) {
    listeners.forEach(l -> l.onRefreshed(event));
  }

  @Override
  public void onRefreshFailed(RefreshFailed event) {
    listeners.forEach(l -> l.onRefreshFailed(event));
  }

  @Override
  public void onSessionExpired(SessionExpired event) {
    listeners.forEach(l -> l.onSessionExpired(event));
  }

  @Override
  public void onRejectedAfterRefresh(RejectedAfterRefresh event) {
    listeners.forEach(l -> l.onRejectedAfterRefresh(event));
  }
}
