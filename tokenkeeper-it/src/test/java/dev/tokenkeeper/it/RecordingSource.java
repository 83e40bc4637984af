package dev.tokenkeeper.it;

import dev.tokenkeeper.TokenRequest;
import dev.tokenkeeper.TokenResponse;
import dev.tokenkeeper.TokenSource;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A {@link TokenSource} that records each call the keeper makes: when it started and ended, why,
 * and what came back. Client-side counterpart of {@link ServerLedger}. Thread-safe.
 */
final class RecordingSource implements TokenSource {
  /**
   * One call: its start and end on {@link System#nanoTime()}, its start on the wall clock (the
   * keeper's clock), its reason, the refresh token it was given (if any) and its answer (null if
   * it failed).
   */
  record Call(long startNanos, long endNanos, Instant started, TokenRequest.Reason reason,
      @Nullable String refreshTokenSent, @Nullable TokenResponse response) {}

  private final TokenSource delegate;
  private final List<Call> calls = new ArrayList<>();
  private final AtomicInteger inFlight = new AtomicInteger();

  RecordingSource(TokenSource delegate) {
    this.delegate = delegate;
  }

  @Override
  public TokenResponse fetch(TokenRequest request) throws IOException, InterruptedException {
    long start = System.nanoTime();
    Instant started = Instant.now();
    inFlight.incrementAndGet();
    @Nullable TokenResponse response = null;
    try {
      response = delegate.fetch(request);
      return response;
    } finally {
      synchronized (calls) {
        calls.add(new Call(start, System.nanoTime(), started, request.reason(),
            request.refreshToken() == null ? null : request.refreshToken().value(), response));
      }
      inFlight.decrementAndGet();
    }
  }

  /** The calls so far, in the order they finished (the keeper makes one at a time). */
  List<Call> calls() {
    synchronized (calls) {
      return List.copyOf(calls);
    }
  }

  /** {@code true} when no call is running. */
  boolean idle() {
    return inFlight.get() == 0;
  }
}
