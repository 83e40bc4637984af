package dev.tokenkeeper.sim;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A simulated token server: refresh token families with rotation (every redemption retires the
 * presented token and issues a successor), reuse detection (a retired token presented again
 * revokes the whole family) and an optional reuse grace window (the family's previous token,
 * presented within the window of its rotation, redeems to the current pair: Auth0's reuse
 * interval, Okta's grace period), as {@code RefreshTokenFamilies} in tokenkeeper-testing does.
 */
final class SimServer {
  /** One refresh token the server issued. */
  static final class Issued {
    final String value;
    final int family;
    final int generation;
    boolean retired;
    @Nullable Issued successor;
    long retiredAt;
    /** The rotation that retired it (the request that presented it while current). */
    Simulation.@Nullable Request retiredBy;

    Issued(String value, int family, int generation) {
      this.value = value;
      this.family = family;
      this.generation = generation;
    }
  }

  /** What a redemption gave. */
  record Outcome(@Nullable String accessToken, @Nullable String refreshToken, boolean refused,
      boolean reuseDetected, boolean graceReuse, @Nullable Issued presented) { }

  final long graceMillis;
  private final Map<String, Issued> refreshTokens = new HashMap<>();
  private final Map<Integer, Issued> current = new HashMap<>();
  private final Set<Integer> revoked = new HashSet<>();
  private final Set<String> accessTokens = new HashSet<>();
  private int families;
  private int nextAccess;
  int rotations;
  int refusals;
  int reuseDetections;
  int graceReuses;

  SimServer(long graceMillis) {
    this.graceMillis = graceMillis;
  }

  /** A sign-in: a new family. Returns {access token, refresh token}. */
  String[] signIn() {
    int family = ++families;
    Issued first = new Issued("rt.f" + family + ".g0", family, 0);
    refreshTokens.put(first.value, first);
    current.put(family, first);
    return new String[] {issueAccess(), first.value};
  }

  private String issueAccess() {
    String value = "at." + (++nextAccess);
    accessTokens.add(value);
    return value;
  }

  boolean issued(String accessToken) {
    return accessTokens.contains(accessToken);
  }

  @Nullable Issued lookup(@Nullable String refreshToken) {
    return refreshToken == null ? null : refreshTokens.get(refreshToken);
  }

  boolean revoked(int family) {
    return revoked.contains(family);
  }

  /** Redeems {@code refreshToken} at {@code now} for {@code request}. */
  Outcome redeem(@Nullable String refreshToken, long now, Simulation.Request request) {
    Issued entry = lookup(refreshToken);
    if (entry == null) {
      refusals++;
      return new Outcome(null, null, true, false, false, null);
    }
    if (revoked.contains(entry.family)) {
      refusals++;
      return new Outcome(null, null, true, false, false, entry);
    }
    if (entry.retired) {
      Issued successor = entry.successor;
      if (graceMillis > 0 && successor != null && successor == current.get(entry.family)
          && now <= entry.retiredAt + graceMillis) {
        graceReuses++;
        return new Outcome(issueAccess(), successor.value, false, false, true, entry);
      }
      revoked.add(entry.family);
      refusals++;
      reuseDetections++;
      return new Outcome(null, null, true, true, false, entry);
    }
    Issued next = new Issued("rt.f" + entry.family + ".g" + (entry.generation + 1), entry.family,
        entry.generation + 1);
    refreshTokens.put(next.value, next);
    current.put(entry.family, next);
    entry.retired = true;
    entry.successor = next;
    entry.retiredAt = now;
    entry.retiredBy = request;
    rotations++;
    return new Outcome(issueAccess(), next.value, false, false, false, entry);
  }
}
