package dev.tokenkeeper.it;

import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** A fresh Spring Authorization Server for each test, issuing 2-second access tokens, and its ledger. */
abstract class AgainstSpringAuthorizationServer {
  static final Duration TTL = Duration.ofSeconds(2);

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
