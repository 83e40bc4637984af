package dev.tokenkeeper;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A token source for engine tests: counts calls, can be held on a latch to keep a refresh in
 * flight, and answers from a script (a response or an exception per call) or with a new token.
 */
final class FakeSource implements TokenSource {
  final AtomicInteger calls = new AtomicInteger();
  final List<TokenRequest> requests = Collections.synchronizedList(new ArrayList<>());
  /** Released once per call as it starts: {@code entered.acquire()} waits for a call to arrive. */
  final Semaphore entered = new Semaphore(0);
  private final Deque<Object> script = new ArrayDeque<>();
  private volatile CountDownLatch hold = new CountDownLatch(0);
  private volatile Duration ttl;

  FakeSource(Duration ttl) {
    this.ttl = ttl;
  }

  /** Holds every call until the returned latch is released. */
  CountDownLatch hold() {
    CountDownLatch latch = new CountDownLatch(1);
    hold = latch;
    return latch;
  }

  /** Queues the answer (a {@link TokenResponse} or an exception) of a future call. */
  synchronized FakeSource then(Object answer) {
    script.add(answer);
    return this;
  }

  void ttl(Duration ttl) {
    this.ttl = ttl;
  }

  @Override
  public TokenResponse fetch(TokenRequest request) throws IOException, InterruptedException {
    int n = calls.incrementAndGet();
    requests.add(request);
    entered.release();
    hold.await();
    Object answer;
    synchronized (this) {
      answer = script.poll();
    }
    if (answer instanceof IOException) {
      throw (IOException) answer;
    }
    if (answer instanceof RuntimeException) {
      throw (RuntimeException) answer;
    }
    if (answer instanceof TokenResponse) {
      return (TokenResponse) answer;
    }
    return TokenResponse.bearer("access-" + n).withExpiresIn(ttl).withRefreshToken("refresh-" + n);
  }
}
