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
 * <p>The remaining lifetime is the smallest of the estimates the response allows, each counted from
 * the moment the request was <em>sent</em> (never from when the answer arrived, so network time
 * only ever makes us early):
 *
 * <ul>
 *   <li>{@code exp - Date}: the JWT's expiry against the server's clock at answer time. This is the
 *       clock-skew correction: local expiry = {@code exp - skew}, skew = server clock - local clock.
 *       It also handles servers that hand out a cached, half-used token.
 *   <li>{@code exp - iat} (or {@code exp - nbf}): the lifetime the issuer gave the token.
 *   <li>{@code expires_in}: the lifetime the endpoint announced.
 * </ul>
 *
 * A JWT with only {@code exp} is taken at face value (clocks assumed in sync). A token with none of
 * these has an unknown expiry.
 */
public final class Expiry {
  /** Lifetimes beyond this are treated as unknown: nothing real lasts a century, and it avoids overflow. */
  static final Duration MAX_LIFETIME = Duration.ofDays(36_500);

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
      if (serverNow != null) {
        remaining = Duration.between(serverNow, exp);
        skew = Duration.between(sentAt, serverNow);
      }
      Instant issued = jwt.iat() != null ? jwt.iat() : jwt.nbf();
      if (issued != null) {
        remaining = min(remaining, Duration.between(issued, exp));
        if (skew == null) {
          skew = Duration.between(sentAt, issued);
        }
      }
      if (remaining == null) {
        remaining = Duration.between(sentAt, exp);
      }
    }
    if (response.expiresIn() != null) {
      remaining = min(remaining, response.expiresIn());
    }
    Instant expiresAt = null;
    if (remaining != null && remaining.compareTo(MAX_LIFETIME) < 0) {
      expiresAt = remaining.isNegative() ? sentAt : sentAt.plus(remaining);
    }
    AccessToken token = new AccessToken(response.accessToken(), normalizeType(response.tokenType()),
        sentAt, expiresAt, scopes(response.scope()));
    return new Result(token, skew);
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
