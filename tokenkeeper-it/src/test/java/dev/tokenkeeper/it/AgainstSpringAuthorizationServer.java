package dev.tokenkeeper.it;

import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * A fresh Spring Authorization Server for each test, issuing 4-second access tokens, and its ledger.
 * 4 s rather than 2: the API enforces {@code exp} to the second, and on a loaded 2-core machine a
 * request can spend longer in flight than a 2 s token's 0.2 s leeway, twice in a row (the token and
 * its one retry), which no client can prevent.
 */
abstract class AgainstSpringAuthorizationServer {
  static final Duration TTL = Duration.ofSeconds(4);

  final ServerLedger ledger = new ServerLedger();
  SpringAuthorizationServer server;

  @BeforeEach
  void startServer() {
    server = SpringAuthorizationServer.start(ledger, TTL);
  }

  @AfterEach
  void stopServer() {
    server.close();
  }
}
