package dev.tokenkeeper.bench;

import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.UserCredentials;
import java.io.IOException;
import java.net.URI;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;

/**
 * google-auth-library's {@link UserCredentials}: {@code getRequestMetadata} serves the cached
 * token, refreshing it single-flight (its {@code refreshTask}) with a {@code refresh_token} grant
 * over its own HTTP transport. Its defaults: blocking refresh 3 min before expiry, background
 * refresh from 3 min 45 s.
 */
final class GooglePeer implements Contender {
  /** The URI of the request the metadata is for; user credentials ignore it. */
  static final URI REQUEST_URI = URI.create("https://api.example.com/items");

  private final UserCredentials credentials;

  private GooglePeer(UserCredentials credentials) {
    this.credentials = credentials;
  }

  /** Credentials holding {@code token} until {@code expiresAt}; the token endpoint is never called. */
  static UserCredentials withFreshToken(String token, Instant expiresAt) {
    return UserCredentials.newBuilder()
        .setClientId("test-client")
        .setClientSecret("test-secret")
        .setRefreshToken("never-used")
        .setAccessToken(new AccessToken(token, Date.from(expiresAt)))
        .build();
  }

  /** Credentials whose token has just expired, refreshing against {@code tokenUri}. */
  static GooglePeer justExpired(URI tokenUri, String refreshToken) {
    return new GooglePeer(UserCredentials.newBuilder()
        .setClientId("test-client")
        .setClientSecret("test-secret")
        .setRefreshToken(refreshToken)
        .setTokenServerUri(tokenUri)
        .setAccessToken(new AccessToken("expired-google", new Date(System.currentTimeMillis() - 1_000)))
        .build());
  }

  /** The value of the {@code Authorization} header Google hands out ({@code "Bearer ..."}). */
  static String authorization(UserCredentials credentials) throws IOException {
    Map<String, List<String>> metadata = credentials.getRequestMetadata(REQUEST_URI);
    return metadata.get("Authorization").get(0);
  }

  @Override
  public String token() throws IOException {
    return authorization(credentials).substring("Bearer ".length());
  }
}
