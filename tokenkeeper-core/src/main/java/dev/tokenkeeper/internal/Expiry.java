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
 * JWT's {@code iat} (or {@code nbf}). Both have whole-second resolution and were stamped somewhere
 * between sending the request and receiving the answer, so the skew lies in the interval {@code
 * (serverClock - receivedAt, serverClock + 1 s - sentAt)}. A slow endpoint widens it; it is never
 * taken for skew:
 *
 * <ul>
 *   <li>When that interval contains zero, the clocks agree as far as anyone can tell: the skew is
 *       zero and the JWT's {@code exp} is used as it is (exact on our clock).
 *   <li>Otherwise the skew is the end of the interval nearest zero, and the remaining lifetime is
 *       the smaller of {@code exp - Date} (the expiry against the server's clock; it also handles
 *       servers that hand out a cached, half-used token) and {@code exp - iat}, counted from the
 *       moment the request was <em>sent</em>, so network time only makes us early. Without a
 *       {@code Date}, an old {@code iat} is taken for an old token, not a skewed clock: {@code exp}
 *       itself caps the estimate.
 *   <li>{@code expires_in}, counted from the moment the request was sent, caps either, with one
 *       second of tolerance since servers round it down; without a JWT it is the expiry.
 * </ul>
 *
 * A JWT with only {@code exp} is taken at face value. A token with none of these has an unknown
 * expiry.
 *
 * <p>A JWT's {@code exp} and {@code iat} are whole seconds, and servers compute {@code exp} from a
 * whole-second {@code iat}: every token issued within the same server second as this one expires
 * at the same {@code exp}. So a refresh can bring a later expiry only from {@code iat + 1 s} on;
 * {@link Result#laterExpiryFrom()} says when that is on our clock.
 */
public final class Expiry {
  /** Lifetimes beyond this are treated as unknown: nothing real lasts a century, and it avoids overflow. */
  static final Duration MAX_LIFETIME = Duration.ofDays(36_500);
  private static final Duration RESOLUTION = Duration.ofSeconds(1);

  private Expiry() {}

  /**
   * The access token, the clock-skew estimate (server minus local; zero when the clocks agree
   * within what can be measured, null when there was nothing to measure against), and the earliest
   * moment (local clock) a refresh can bring a later {@code exp}, or null when unknown.
   */
  public record Result(AccessToken token, @Nullable Duration skew, @Nullable Instant laterExpiryFrom) {}

  /** As {@link #compute(TokenResponse, Instant, Instant)} for an answer received the moment it was sent. */
  public static Result compute(TokenResponse response, Instant sentAt) {
    return compute(response, sentAt, sentAt);
  }

  /**
   * Computes the local expiry of {@code response}'s access token.
   *
   * @param sentAt when the request that produced {@code response} was sent (local clock)
   * @param receivedAt when its answer arrived (local clock)
   * @return the token; its {@code expiresAt} may equal {@code sentAt} when the server handed out an
   *     already expired token
   */
  public static Result compute(TokenResponse response, Instant sentAt, Instant receivedAt) {
    if (receivedAt.isBefore(sentAt)) {
      receivedAt = sentAt; // a clock that jumped back: the interval is at least a point
    }
    JwtTimes jwt = JwtTimes.decode(response.accessToken());
    Duration remaining = null;
    Duration skew = null;
    Instant laterFrom = null;
    Instant exp = jwt == null ? null : jwt.exp();
    if (exp != null) {
      Instant serverNow = response.serverDate();
      Instant issued = jwt.iat() != null ? jwt.iat() : jwt.nbf();
      Instant serverClock = serverNow != null ? serverNow : issued;
      skew = serverClock == null ? null : skew(serverClock, sentAt, receivedAt);
      if (skew == null || skew.isZero()) {
        // Clocks agree as far as Date and iat can tell: exp is exact on our clock, where a
        // difference of whole seconds would be off by up to a second.
        remaining = Duration.between(sentAt, exp);
      } else {
        // Without a Date header an old iat more likely means an old token (one the application
        // held, or a cached one) than a skewed clock: then exp on our clock is the safer reading.
        remaining = serverNow != null ? Duration.between(serverNow, exp) : Duration.between(sentAt, exp);
        if (issued != null) {
          remaining = min(remaining, Duration.between(issued, exp));
        }
      }
      if (jwt.iat() != null && (skew == null || skew.isZero())) {
        // Only when iat is on our clock: with a skewed (or inconsistent) server clock the bound
        // could land anywhere, and a wrong one would hold refreshes back.
        laterFrom = jwt.iat().plus(RESOLUTION);
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
    if (laterFrom != null && (expiresAt == null || laterFrom.isAfter(expiresAt))) {
      laterFrom = expiresAt; // never hold a refresh back past the token's own expiry
    }
    return new Result(token, skew, laterFrom);
  }

  /**
   * The skew (server minus local) measured by a whole-second server reading taken somewhere in
   * [sentAt, receivedAt]: zero when the possible interval contains zero, else its end nearest zero.
   */
  static Duration skew(Instant serverClock, Instant sentAt, Instant receivedAt) {
    Duration low = Duration.between(receivedAt, serverClock); // stamped as late as possible
    Duration high = Duration.between(sentAt, serverClock.plus(RESOLUTION)); // as early as possible
    if (!low.isNegative() && !low.isZero()) {
      return low;
    }
    if (high.isNegative()) {
      return high;
    }
    return Duration.ZERO;
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
