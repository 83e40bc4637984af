package dev.tokenkeeper.testing;

import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The validated configuration of a {@link ScriptedTokenServer}; immutable and thread-safe.
 *
 * @param reuseGraceWindow how long after a rotation the retired token still redeems; zero for none
 * @param clients client secrets by client id, in registration order (the first is the default)
 * @param users passwords by username, for the password grant
 */
record ServerSettings(
    InstantSource clock,
    Duration accessTokenTtl,
    boolean rotateRefreshTokens,
    boolean reuseDetection,
    Duration reuseGraceWindow,
    Map<String, String> clients,
    Map<String, String> users,
    boolean issueRefreshTokenForClientCredentials,
    @Nullable String issuer,
    @Nullable String audience,
    boolean includeExpiresIn,
    boolean jwtAccessTokens,
    boolean sendDateHeader,
    boolean roundExpiryUp,
    Map<String, java.security.PublicKey> clientKeys) {

  String defaultClientId() {
    return clients.keySet().iterator().next();
  }

  /** Lists client ids and usernames but never their secrets. */
  @Override
  public String toString() {
    return "ServerSettings{clients="
        + clients.keySet()
        + ", users="
        + users.keySet()
        + ", accessTokenTtl="
        + accessTokenTtl
        + ", rotateRefreshTokens="
        + rotateRefreshTokens
        + ", reuseDetection="
        + reuseDetection
        + ", reuseGraceWindow="
        + reuseGraceWindow
        + ", jwtAccessTokens="
        + jwtAccessTokens
        + "}";
  }
}
