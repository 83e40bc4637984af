/**
 * Test fixtures for code that uses Tokenkeeper: a controllable clock and scripted OAuth 2.0
 * token and API servers on loopback.
 *
 * <p>Needs nothing from {@code dev.tokenkeeper.core}: the servers speak HTTP, and {@link
 * dev.tokenkeeper.testing.TestClock} plugs into a keeper by method reference.
 */
module dev.tokenkeeper.testing {
  exports dev.tokenkeeper.testing;

  // ScriptedTokenServer.jwkSet() returns a nimbus JWKSet.
  requires transitive com.nimbusds.jose.jwt;
  // ScriptedApiServer runs on the JDK's HTTP server.
  requires jdk.httpserver;
  requires static transitive org.jspecify;
  // AdapterConformanceSuite is a JUnit 5 test class for adapters' own tests: JUnit is the
  // adapter's test dependency, optional here.
  requires static org.junit.jupiter.api;
  requires static org.junit.jupiter.params;
}
