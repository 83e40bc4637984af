package dev.tokenkeeper.internal;

import dev.tokenkeeper.AccessToken;
import java.time.Duration;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * When a token turns stale and expired, and how long to back off after a failure.
 *
 * <p>The refresh-ahead window scales with the token's lifetime ({@code ratio × lifetime}, capped at
 * {@code maxRefreshAhead}): a fixed 3-minute margin would make every 2-minute token permanently
 * stale. A random extra of up to {@code jitter × window} spreads a fleet's refreshes. The leeway
 * (time before {@code exp} at which a token counts as expired, covering network time and skew left
 * over) is capped at a tenth of the lifetime for the same reason.
 *
 * @param refreshAheadRatio share of the lifetime during which a token is stale, in (0, 1)
 * @param maxRefreshAhead cap on the refresh-ahead window
 * @param jitter random extra refresh-ahead, and random reduction of backoff, as a fraction in [0, 1]
 * @param leeway how long before its expiry a token is no longer handed out
 * @param backoffInitial backoff after the first failure; doubles with each further failure
 * @param backoffMax cap on the backoff
 * @param maxRetryAfter cap on a server's {@code Retry-After}
 */
public record Timing(double refreshAheadRatio, Duration maxRefreshAhead, double jitter,
    Duration leeway, Duration backoffInitial, Duration backoffMax, Duration maxRetryAfter) {

  /** Defaults: 25 % of the lifetime up to 5 min ahead, 20 % jitter, 5 s leeway, backoff 1 s to 30 s. */
  public static final Timing DEFAULTS = new Timing(0.25, Duration.ofMinutes(5), 0.2,
      Duration.ofSeconds(5), Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofMinutes(5));

  /** Epoch millis at which {@code token} turns stale ({@code [0]}) and expired ({@code [1]}). */
  long[] windows(AccessToken token, RandomGenerator random) {
    if (token.expiresAt() == null) {
      return new long[] {Long.MAX_VALUE, Long.MAX_VALUE};
    }
    long obtained = token.obtainedAt().toEpochMilli();
    long expires = token.expiresAt().toEpochMilli();
    long lifetime = expires - obtained;
    long expiredAt = expires - Math.min(Durations.millis(leeway), lifetime / 10);
    long ahead = Math.min(Durations.millis(maxRefreshAhead), (long) (lifetime * refreshAheadRatio));
    long extra = (long) (ahead * jitter * random.nextDouble());
    long staleAt = Math.max(obtained, expiredAt - ahead - extra);
    return new long[] {staleAt, expiredAt};
  }

  /** Backoff in millis after {@code attempt} consecutive failures, at least the server's {@code retryAfter}. */
  long backoffMillis(int attempt, @Nullable Duration retryAfter, RandomGenerator random) {
    long max = Durations.millis(backoffMax);
    long delay = Durations.millis(backoffInitial);
    for (int i = 1; i < attempt && delay < max; i++) {
      delay = delay > max / 2 ? max : delay * 2;
    }
    delay = Math.min(delay, max);
    delay -= (long) (delay * jitter * random.nextDouble());
    if (retryAfter != null) {
      delay = Math.max(delay, Math.min(Durations.millis(retryAfter), Durations.millis(maxRetryAfter)));
    }
    return Math.max(delay, 1);
  }
}
