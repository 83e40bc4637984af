package dev.tokenkeeper.internal;

import dev.tokenkeeper.AccessToken;
import java.time.Duration;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * When a token turns stale and expired, and how long to back off after a failure.
 *
 * <p>A token is <b>expired</b> (no longer handed out) {@code leeway} before its expiry, but never
 * more than a tenth of its lifetime before. It turns <b>stale</b> (handed out, and one background
 * refresh starts) {@code ahead} before that, where {@code ahead} is the larger of
 *
 * <ul>
 *   <li>the lifetime share: {@code refreshAheadRatio × lifetime}, capped at {@code maxRefreshAhead}
 *       (a fixed 3-minute margin would make every 2-minute token permanently stale), and
 *   <li>the latency floor: twice the longest of the last few refresh durations, so that a slow
 *       endpoint's answer arrives before the token it replaces expires;
 * </ul>
 *
 * plus a random extra of up to {@code jitter × ahead} that spreads a fleet's refreshes. A token
 * never turns stale before the moment a refresh could bring a later expiry (see {@link
 * Expiry.Result#laterExpiryFrom()}).
 *
 * @param refreshAheadRatio share of the lifetime during which a token is stale, in (0, 1)
 * @param maxRefreshAhead cap on the lifetime share
 * @param jitter random extra refresh-ahead, and random reduction of backoff, as a fraction in [0, 1]
 * @param leeway how long before its expiry a token is no longer handed out
 * @param backoffInitial backoff after the first failure; doubles with each further failure
 * @param backoffMax cap on the backoff
 * @param maxRetryAfter cap on a server's {@code Retry-After}
 * @param rejectedBackoffInitial backoff after the first refusal of configured client credentials
 * @param rejectedBackoffMax cap on that backoff
 * @param waitingRetryCap while callers wait on an expired token, the backoff (not a server's
 *     {@code Retry-After}) is capped at this, less jitter, so they learn quickly when the endpoint
 *     is back; a down endpoint still sees about one call per this interval
 */
public record Timing(double refreshAheadRatio, Duration maxRefreshAhead, double jitter,
    Duration leeway, Duration backoffInitial, Duration backoffMax, Duration maxRetryAfter,
    Duration rejectedBackoffInitial, Duration rejectedBackoffMax, Duration waitingRetryCap) {

  /**
   * Defaults: 25 % of the lifetime up to 5 min ahead, 20 % jitter, 5 s leeway, backoff 1 s to 30 s
   * (1 s while callers wait), refused client credentials 30 s to 5 min.
   */
  public static final Timing DEFAULTS = new Timing(0.25, Duration.ofMinutes(5), 0.2,
      Duration.ofSeconds(5), Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofMinutes(5),
      Duration.ofSeconds(30), Duration.ofMinutes(5), Duration.ofSeconds(1));

  /**
   * Epoch millis at which {@code token} turns stale ({@code [0]}) and expired ({@code [1]}), and
   * before which no refresh of it is started ({@code [2]}; callers on an expired token wait for it).
   *
   * @param recentRefreshMillis the longest of the last few refresh durations (0 when none yet)
   * @param laterExpiryFrom the earliest moment a refresh can bring a later expiry, or MIN_VALUE
   */
  long[] windows(AccessToken token, RandomGenerator random, long recentRefreshMillis,
      long laterExpiryFrom) {
    if (token.expiresAt() == null) {
      return new long[] {Long.MAX_VALUE, Long.MAX_VALUE, Long.MIN_VALUE};
    }
    long obtained = token.obtainedAt().toEpochMilli();
    long expires = token.expiresAt().toEpochMilli();
    long lifetime = expires - obtained;
    long expiredAt = expires - Math.min(Durations.millis(leeway), lifetime / 10);
    long share = Math.min(Durations.millis(maxRefreshAhead), (long) (lifetime * refreshAheadRatio));
    long ahead = Math.max(share, Durations.times(recentRefreshMillis, 2));
    long extra = (long) (ahead * jitter * random.nextDouble());
    long staleAt = Math.max(obtained, Durations.minus(Durations.minus(expiredAt, ahead), extra));
    long notBefore = Math.min(laterExpiryFrom, expires);
    staleAt = Math.min(Math.max(staleAt, notBefore), expiredAt);
    return new long[] {staleAt, expiredAt, notBefore};
  }

  /** Backoff in millis after {@code attempt} consecutive failures, at least the server's {@code retryAfter}. */
  long backoffMillis(int attempt, @Nullable Duration retryAfter, RandomGenerator random) {
    long delay = exponential(attempt, backoffInitial, backoffMax, random);
    if (retryAfter != null) {
      delay = Math.max(delay, retryAfterMillis(retryAfter));
    }
    return Math.max(delay, 1);
  }

  /** Backoff in millis after {@code attempt} consecutive refusals of configured client credentials. */
  long rejectedBackoffMillis(int attempt, RandomGenerator random) {
    return Math.max(exponential(attempt, rejectedBackoffInitial, rejectedBackoffMax, random), 1);
  }

  /** The server's {@code Retry-After}, capped at {@code maxRetryAfter}. */
  long retryAfterMillis(Duration retryAfter) {
    return Math.min(Durations.millis(retryAfter), Durations.millis(maxRetryAfter));
  }

  /** {@code backoff} capped for callers waiting on an expired token: at most the cap, less jitter. */
  long waitingBackoffMillis(long backoff, RandomGenerator random) {
    long cap = Durations.millis(waitingRetryCap);
    cap -= (long) (cap * jitter * random.nextDouble() / 2);
    return Math.max(1, Math.min(backoff, cap));
  }

  private long exponential(int attempt, Duration initial, Duration maximum, RandomGenerator random) {
    long max = Durations.millis(maximum);
    long delay = Durations.millis(initial);
    for (int i = 1; i < attempt && delay < max; i++) {
      delay = delay > max / 2 ? max : delay * 2;
    }
    delay = Math.min(delay, max);
    return delay - (long) (delay * jitter * random.nextDouble());
  }
}
