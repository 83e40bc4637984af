package dev.tokenkeeper.bench;

import dev.tokenkeeper.TokenRequest;
import dev.tokenkeeper.TokenResponse;
import dev.tokenkeeper.TokenSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import software.amazon.awssdk.utils.cache.CachedSupplier;
import software.amazon.awssdk.utils.cache.RefreshResult;

/**
 * The AWS SDK's {@link CachedSupplier}, the cache behind its credential providers, with the SDK's
 * usual times: stale (every caller blocks) 1 minute before expiry, prefetch (one caller blocks)
 * from 5 minutes before. The refresh is single-flight behind a lock. The token itself is fetched
 * with Tokenkeeper's OAuth client (the AWS SDK has no OAuth client), the same one the naive recipe
 * and the Azure cache use, so only the caching differs.
 */
final class AwsPeer implements Contender {
  private final CachedSupplier<String> supplier;

  private AwsPeer(CachedSupplier<String> supplier) {
    this.supplier = supplier;
  }

  /** A supplier holding {@code token} until {@code expiresAt}; never refreshes within a benchmark. */
  static CachedSupplier<String> withFreshToken(String token, Instant expiresAt) {
    CachedSupplier<String> cached = CachedSupplier.builder(() -> result(token, expiresAt)).build();
    cached.get(); // fill the cache, as the first request would
    return cached;
  }

  /** A supplier whose token has just gone stale, refreshing from {@code endpoint}. */
  static AwsPeer justExpired(TokenSource endpoint) {
    OffsetClock clock = new OffsetClock();
    AtomicBoolean primed = new AtomicBoolean();
    Supplier<RefreshResult<String>> fetch = () -> {
      if (!primed.getAndSet(true)) {
        return RefreshResult.builder("expired-aws").staleTime(clock.instant().plusSeconds(60)).build();
      }
      TokenResponse response = fetch(endpoint);
      Duration lifetime = response.expiresIn() != null ? response.expiresIn() : Duration.ofMinutes(5);
      return result(response.accessToken(), clock.instant().plus(lifetime));
    };
    CachedSupplier<String> cached = CachedSupplier.builder(fetch).clock(clock).build();
    cached.get();
    clock.advance(Duration.ofSeconds(61)); // the cached token is now stale: every caller must wait
    return new AwsPeer(cached);
  }

  private static RefreshResult<String> result(String token, Instant expiresAt) {
    return RefreshResult.builder(token)
        .staleTime(expiresAt.minus(Duration.ofMinutes(1)))
        .prefetchTime(expiresAt.minus(Duration.ofMinutes(5)))
        .build();
  }

  private static TokenResponse fetch(TokenSource endpoint) {
    try {
      return endpoint.fetch(new TokenRequest(null, TokenRequest.Reason.EXPIRED));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String token() {
    return supplier.get();
  }

  @Override
  public void close() {
    supplier.close();
  }
}
