package dev.tokenkeeper.testing;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The refresh tokens a server has issued, grouped into families: a family starts at login and
 * each rotation adds its successor token and retires the presented one.
 *
 * <p>Thread-safe: every method is synchronized, so two requests presenting the same token see one
 * rotation and one reuse, in some order, exactly as a real authorization server would.
 */
final class RefreshTokenFamilies {

  /** What redeeming a refresh token produced. */
  sealed interface Redemption permits Redeemed, Rejected {}

  /**
   * The token was valid, or was the family's previous token presented within the reuse grace
   * window.
   *
   * @param refreshToken the token to hand back: its successor when rotated, else the same token;
   *     for a grace redemption the family's current token
   * @param graceReuse true if a just-retired token was forgiven within the grace window
   */
  record Redeemed(String subject, @Nullable String scope, String refreshToken, boolean graceReuse)
      implements Redemption {}

  /**
   * The token was refused with {@code invalid_grant}.
   *
   * @param reuseDetected true if a retired token was replayed and its family is now revoked
   */
  record Rejected(String description, boolean reuseDetected) implements Redemption {}

  private static final class Family {
    final String clientId;
    final String subject;
    final @Nullable String scope;
    boolean revoked;
    @Nullable String current; // the live token, null once the family is revoked or never rotated

    Family(String clientId, String subject, @Nullable String scope) {
      this.clientId = clientId;
      this.subject = subject;
      this.scope = scope;
    }
  }

  private static final class Entry {
    final Family family;
    boolean retired;
    @Nullable String successor; // set when retired by a rotation
    @Nullable Instant retiredAt;

    Entry(Family family) {
      this.family = family;
    }
  }

  private final Map<String, Entry> tokens = new HashMap<>();
  private int activeFamilies;

  /** Starts a family for a login and returns its first refresh token. */
  synchronized String start(String clientId, String subject, @Nullable String scope) {
    activeFamilies++;
    return add(new Family(clientId, subject, scope));
  }

  /**
   * Redeems {@code token} for {@code clientId} at {@code now}: with {@code rotate} the token is
   * retired and a successor issued; with {@code detectReuse} replaying a retired token revokes its
   * family, except that the family's previous token presented within {@code graceWindow} of its
   * rotation redeems to the family's current token (Auth0's reuse interval, Okta's grace period).
   */
  synchronized Redemption redeem(String token, String clientId, boolean rotate,
      boolean detectReuse, Duration graceWindow, Instant now) {
    Entry entry = tokens.get(token);
    if (entry == null) {
      return new Rejected("unknown refresh token", false);
    }
    Family family = entry.family;
    if (!family.clientId.equals(clientId)) {
      return new Rejected("refresh token was issued to another client", false);
    }
    if (family.revoked) {
      return new Rejected("refresh token was revoked", false);
    }
    if (entry.retired) {
      if (isForgiven(entry, graceWindow, now)) {
        // The client that rotated it died or lost the answer: hand back the pair it would have
        // had, so the rotation it never saved is not the end of the session.
        return new Redeemed(family.subject, family.scope, entry.successor, true);
      }
      if (!detectReuse) {
        return new Rejected("refresh token was already used", false);
      }
      revoke(family);
      return new Rejected("refresh token reuse detected", true);
    }
    if (!rotate) {
      return new Redeemed(family.subject, family.scope, token, false);
    }
    String successor = add(family);
    entry.retired = true;
    entry.successor = successor;
    entry.retiredAt = now;
    family.current = successor;
    return new Redeemed(family.subject, family.scope, successor, false);
  }

  /**
   * Only the token retired by the family's latest rotation, and only within the window: a token
   * two rotations old, or one presented after the window, is reuse.
   */
  private static boolean isForgiven(Entry entry, Duration graceWindow, Instant now) {
    Instant retiredAt = entry.retiredAt;
    return !graceWindow.isZero()
        && retiredAt != null
        && entry.successor != null
        && entry.successor.equals(entry.family.current)
        && !now.isAfter(retiredAt.plus(graceWindow));
  }

  /**
   * Revokes the family of {@code token} (RFC 7009) if the token belongs to {@code clientId};
   * returns true if a live family was revoked.
   */
  synchronized boolean revoke(String token, String clientId) {
    Entry entry = tokens.get(token);
    if (entry == null || entry.family.revoked || !entry.family.clientId.equals(clientId)) {
      return false;
    }
    revoke(entry.family);
    return true;
  }

  synchronized int activeFamilies() {
    return activeFamilies;
  }

  private void revoke(Family family) {
    family.revoked = true;
    activeFamilies--;
  }

  private String add(Family family) {
    String token = AccessTokenMinter.randomToken();
    tokens.put(token, new Entry(family));
    return token;
  }
}
