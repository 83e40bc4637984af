package dev.tokenkeeper.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The counters and request log of one server. Thread-safe: one lock guards everything, and a
 * condition wakes {@link #awaitTokenRequests} whenever a token request arrives.
 */
final class TokenServerStats {

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition arrived = lock.newCondition();
  private final List<RecordedTokenRequest> log = new ArrayList<>();
  private final Map<String, Integer> byGrantType = new HashMap<>();
  private int issuedAccessTokens;
  private int reuseDetections;
  private int graceReuses;
  private int revocations;

  /** Logs and counts a token request as soon as it arrives, before any fault holds it. */
  void tokenRequestArrived(RecordedTokenRequest request) {
    lock.lock();
    try {
      log.add(request);
      if (request.grantType() != null) {
        byGrantType.merge(request.grantType(), 1, Integer::sum);
      }
      arrived.signalAll();
    } finally {
      lock.unlock();
    }
  }

  void accessTokenIssued() {
    update(() -> issuedAccessTokens++);
  }

  void reuseDetected() {
    update(() -> reuseDetections++);
  }

  void graceReuse() {
    update(() -> graceReuses++);
  }

  void familyRevoked() {
    update(() -> revocations++);
  }

  int tokenRequests() {
    return read(log::size);
  }

  int tokenRequests(String grantType) {
    return read(() -> byGrantType.getOrDefault(grantType, 0));
  }

  int issuedAccessTokens() {
    return read(() -> issuedAccessTokens);
  }

  int reuseDetections() {
    return read(() -> reuseDetections);
  }

  int graceReuses() {
    return read(() -> graceReuses);
  }

  int revocations() {
    return read(() -> revocations);
  }

  List<RecordedTokenRequest> requests() {
    return read(() -> List.copyOf(log));
  }

  boolean awaitTokenRequests(int count, Duration timeout) throws InterruptedException {
    long remaining = timeout.toNanos();
    lock.lock();
    try {
      while (log.size() < count) {
        if (remaining <= 0) {
          return false;
        }
        remaining = arrived.awaitNanos(remaining);
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  private void update(Runnable change) {
    lock.lock();
    try {
      change.run();
    } finally {
      lock.unlock();
    }
  }

  private <T> T read(Supplier<T> value) {
    lock.lock();
    try {
      return value.get();
    } finally {
      lock.unlock();
    }
  }
}
