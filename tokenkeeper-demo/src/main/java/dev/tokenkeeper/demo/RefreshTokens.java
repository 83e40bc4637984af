package dev.tokenkeeper.demo;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Refresh tokens with rotation and reuse detection, as Auth0, Okta and Keycloak do with rotation
 * on and no reuse allowance (Auth0's reuse interval and Okta's grace period accept a retired
 * token again for some seconds, Keycloak's "Refresh Token Max Reuse" a number of times; none of
 * that is modelled here): each login starts a <em>family</em>; each refresh retires the presented token and issues the
 * next one; presenting a retired token again means two parties hold the family (a stolen token, or
 * a client racing itself), so the whole family is revoked and its user must log in again.
 *
 * <p>Thread-safe. A rotation locks only its own family, and does no I/O while it holds it.
 */
final class RefreshTokens {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** What a refresh with a presented token came to. */
  enum Status {
    /** The token was the family's current one: here is the next. */
    ROTATED,
    /** The token was retired already: reuse detected, the family is revoked now. */
    REUSED,
    /** The family was revoked earlier. */
    REVOKED,
    /** No such token was ever issued. */
    UNKNOWN
  }

  /**
   * The outcome of {@link #rotate}.
   *
   * @param user the family's user, or {@code null} when the token is unknown
   * @param next the new refresh token when {@code status} is {@code ROTATED}, else {@code null}
   */
  record Rotation(Status status, @Nullable String user, @Nullable String next) {}

  private static final class Family {
    final String user;
    String current; // guarded by this
    boolean revoked; // guarded by this

    Family(String user, String current) {
      this.user = user;
      this.current = current;
    }
  }

  /** Every refresh token ever issued, retired ones included: that is how reuse is recognised. */
  private final Map<String, Family> families = new ConcurrentHashMap<>();

  /** Starts a new family for {@code user} (a login) and returns its first refresh token. */
  String startFamily(String user) {
    String first = newToken();
    families.put(first, new Family(user, first));
    return first;
  }

  /** Rotates {@code presented}: see {@link Status} for the possible outcomes. */
  Rotation rotate(String presented) {
    Family family = families.get(presented);
    if (family == null) {
      return new Rotation(Status.UNKNOWN, null, null);
    }
    synchronized (family) {
      if (family.revoked) {
        return new Rotation(Status.REVOKED, family.user, null);
      }
      if (!family.current.equals(presented)) {
        family.revoked = true;
        return new Rotation(Status.REUSED, family.user, null);
      }
      String next = newToken();
      // Register the new token before handing it out, so its first use always finds the family.
      families.put(next, family);
      family.current = next;
      return new Rotation(Status.ROTATED, family.user, next);
    }
  }

  /** Whether {@code user} has a family that is not revoked: a session that can still refresh. */
  boolean hasLiveFamily(String user) {
    for (Family family : families.values()) {
      synchronized (family) {
        if (family.user.equals(user) && !family.revoked) {
          return true;
        }
      }
    }
    return false;
  }

  private static String newToken() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
