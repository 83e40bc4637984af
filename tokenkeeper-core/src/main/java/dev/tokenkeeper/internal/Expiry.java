package dev.tokenkeeper.internal;

import dev.tokenkeeper.AccessToken;
import dev.tokenkeeper.TokenResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * Turns a {@link TokenResponse} into an {@link AccessToken} whose expiry is on the local clock.
 *
 * <p>The clock skew (server clock minus ours) is estimated from the {@code Date} header, else the
 * JWT's {@code iat} (or {@code nbf}), against the moment the request was sent. Both have whole-second
 * resolution, so:
 *
 * <ul>
 *   <li>Within ±1.5 s the clocks are taken to agree and the JWT's {@code exp} is used as it is: it
 *       is exact on our clock, where any difference of whole seconds could be a second late.
 *   <li>Beyond that, the remaining lifetime is the smaller of {@code exp - Date} (the expiry against
 *       the server's clock at answer time; it also handles servers that hand out a cached,
 *       half-used token) and {@code exp - iat}, counted from the moment the request was
 *       <em>sent</em>: local expiry = {@code exp - skew}. Without a {@code Date}, an old {@code iat}
 *       is taken for an old token, not a skewed clock: {@code exp} itself caps the estimate.
 *   <li>{@code expires_in}, counted from the moment the request was sent (never from when the
 *       answer arrived, so network time only makes us early), caps either, with one second of
 *       tolerance since servers round it down; without a JWT it is the expiry.
 * </ul>
 *
 * A JWT with only {@code exp} is taken at face value. A token with none of these has an unknown
 * expiry.
 */
public final class Expiry {
  /** Lifetimes beyond this are treated as unknown: nothing real lasts a century, and it avoids overflow. */
  static final Duration MAX_LIFETIME = Duration.ofDays(36_500);
  /** Below this, a skew estimate is within the whole-second resolution of Date and iat: noise. */
  private static final Duration SYNC_TOLERANCE = Duration.ofMillis(1_500);

  private Expiry() {}

  /** The access token and the clock-skew estimate (server minus local) taken from the response. */
  public record Result(AccessToken token, @Nullable Duration skew) {}

  /**
   * Computes the local expiry of {@code response}'s access token.
   *
   * @param sentAt when the request that produced {@code response} was sent (local clock)
   * @return the token; its {@code expiresAt} may equal {@code sentAt} when the server handed out an
   *     already expired token
   */
  public static Result compute(TokenResponse response, Instant sentAt) {
    JwtTimes jwt = JwtTimes.decode(response.accessToken());
    Duration remaining = null;
    Duration skew = null;
    Instant exp = jwt == null ? null : jwt.exp();
    if (exp != null) {
      Instant serverNow = response.serverDate();
      Instant issued = jwt.iat() != null ? jwt.iat() : jwt.nbf();
      Instant serverClock = serverNow != null ? serverNow : issued;
      skew = serverClock == null ? null : Duration.between(sentAt, serverClock);
      if (skew == null || inSync(skew)) {
        // Clocks agree to within the one-second resolution of Date and iat: exp is exact on our
        // clock, where a difference of whole seconds would be off by up to a second.
        remaining = Duration.between(sentAt, exp);
      } else {
        // Without a Date header an old iat more likely means an old token (one the application
        // held, or a cached one) than a skewed clock: then exp on our clock is the safer reading.
        remaining = serverNow != null ? Duration.between(serverNow, exp) : Duration.between(sentAt, exp);
        if (issued != null) {
          remaining = min(remaining, Duration.between(issued, exp));
        }
      }
    }
    if (response.expiresIn() != null) {
      // expires_in is whole seconds, and servers round it down (Spring Authorization Server says 0
      // for a 1 s token). Next to a JWT's exp it is a cap with a second of tolerance; alone, it is
      // all we have.
      remaining = exp != null ? min(remaining, response.expiresIn().plusSeconds(1)) : min(remaining, response.expiresIn());
    }
    Instant expiresAt = null;
    if (remaining != null && remaining.compareTo(MAX_LIFETIME) < 0) {
      expiresAt = remaining.isNegative() ? sentAt : sentAt.plus(remaining);
    }
    AccessToken token = new AccessToken(response.accessToken(), normalizeType(response.tokenType()),
        sentAt, expiresAt, scopes(response.scope()));
    return new Result(token, skew);
  }

  /** Skew below the resolution of {@code Date} and {@code iat} (plus some network time) is noise. */
  static boolean inSync(Duration skew) {
    return skew.abs().compareTo(SYNC_TOLERANCE) < 0;
  }

  private static Duration min(@Nullable Duration a, Duration b) {
    return a == null || b.compareTo(a) < 0 ? b : a;
  }

  private static String normalizeType(String type) {
    // RFC 6749 7.1: the type is case-insensitive; servers send "bearer", RFC 6750 spells "Bearer".
    return type.equalsIgnoreCase("bearer") ? "Bearer" : type;
  }

  private static Set<String> scopes(@Nullable String scope) {
    if (scope == null || scope.isBlank()) {
      return Set.of();
    }
    return Arrays.stream(scope.trim().split(" +")).collect(Collectors.toUnmodifiableSet());
  }
}
