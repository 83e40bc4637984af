package dev.tokenkeeper.spring.boot;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * The health of one keeper, from its last event: {@code UP} when its last refresh succeeded (or it
 * has not needed a token yet) and while it retries a failing endpoint with backoff (it still serves
 * a valid token), {@code DOWN} when the endpoint refused its credentials or its session is over.
 * Details: {@code state}, {@code expiresAt} of the last token, {@code failedAttempts}; never a
 * token, fingerprint, secret or endpoint message.
 */
final class KeeperHealthIndicator implements HealthIndicator {
  private final TokenKeeperClients clients;
  private final String name;

  KeeperHealthIndicator(TokenKeeperClients clients, String name) {
    this.clients = clients;
    this.name = name;
  }

  @Override
  public Health health() {
    KeeperState.Snapshot s = clients.state(name).snapshot();
    Health.Builder health = switch (s.state()) {
      case IDLE, UP, REFRESHING_WITH_BACKOFF -> Health.up();
      case CREDENTIALS_REJECTED, SESSION_EXPIRED -> Health.down();
    };
    health.withDetail("state", s.state().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
    if (s.expiresAt() != null) {
      health.withDetail("expiresAt", s.expiresAt().toString());
    }
    if (s.failedAttempts() > 0) {
      health.withDetail("failedAttempts", s.failedAttempts());
    }
    return health.build();
  }
}
