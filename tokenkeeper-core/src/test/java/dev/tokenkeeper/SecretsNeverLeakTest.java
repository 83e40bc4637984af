package dev.tokenkeeper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.testing.Fault;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import dev.tokenkeeper.testing.TestClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Drives a keeper through success, every fault, session end, rejection and sign-out with logging at
 * the lowest level, then searches every log line, exception message and {@code toString} for the
 * exact values of every token, refresh token, client secret and password involved.
 */
class SecretsNeverLeakTest {
  private static final String CLIENT_SECRET = "client-secret-7f3a9c";
  private static final String PASSWORD = "password-b81d44";

  private final TestClock clock = new TestClock();
  private final ScriptedTokenServer server = ScriptedTokenServer.newBuilder().clock(clock)
      .client("app", CLIENT_SECRET).user("alice", PASSWORD).accessTokenTtl(Duration.ofMinutes(5))
      .build().start();
  // System.Logger goes to java.util.logging here; hold the logger strongly while capturing.
  private final Logger julLogger = Logger.getLogger("dev.tokenkeeper.TokenKeeper");
  private final List<String> output = new CopyOnWriteArrayList<>();
  private final Set<String> secrets = new LinkedHashSet<>(List.of(CLIENT_SECRET, PASSWORD));
  private final Handler capture = new Handler() {
    @Override
    public void publish(LogRecord record) {
      output.add(record.getLevel() + " " + new java.util.logging.SimpleFormatter().formatMessage(record));
      describe(record.getThrown());
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };

  @BeforeEach
  void captureLogs() {
    julLogger.setLevel(Level.ALL);
    julLogger.addHandler(capture);
  }

  @AfterEach
  void stop() {
    julLogger.removeHandler(capture);
    julLogger.setLevel(null);
    server.close();
  }

  @Test
  void noTokenRefreshTokenOrSecret_inLogsExceptionsOrToString() throws Exception {
    TokenStore store = TokenStore.inMemory();
    RecordingListener listener = new RecordingListener();
    OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(server.uri()).clientId("app")
        .clientSecret(CLIENT_SECRET).revocationEndpoint(server.revocationUri()).build();
    TokenSource password = endpoint.password("alice", PASSWORD.toCharArray());
    TokenKeeper keeper = TokenKeeper.newBuilder(password).name("leaks").store(store).clock(clock)
        .scheduler(clock::schedule).executor(Runnable::run).listener(listener)
        .revoker(endpoint.revoker()).build();
    output.add(endpoint.toString());
    output.add(keeper.toString());

    remember(call(keeper)); // password grant
    remember(store);
    for (Fault fault : List.of(Fault.status(500), Fault.retryAfter(503, Duration.ofSeconds(1)),
        Fault.retryAfter(429, Duration.ofSeconds(1)), Fault.html(502), Fault.malformedJson(),
        Fault.emptyBody(200), Fault.json(200, "{\"token_type\":\"Bearer\"}"), Fault.dropConnection(),
        Fault.omitRefreshToken())) {
      server.enqueue(fault);
      clock.advance(Duration.ofMinutes(5)); // expired: the caller sees the failure
      remember(call(keeper));
      clock.advance(Duration.ofSeconds(40)); // past any backoff: next call succeeds
      remember(call(keeper));
      remember(store);
    }
    AccessToken rejected = keeper.token();
    keeper.invalidate(rejected);
    remember(call(keeper));
    keeper.reportRejectedAfterRefresh(keeper.token());
    remember(store);

    server.enqueue(Fault.invalidGrant());
    clock.advance(Duration.ofMinutes(5));
    call(keeper); // session expired
    call(keeper);

    keeper.signIn(password);
    remember(store);
    keeper.signOut().get();
    call(keeper);
    keeper.close();

    // Values from the server side too, and every event.
    secrets.add(server.issueLogin("app", "alice"));
    listener.refreshes.forEach(e -> output.add(e.toString()));
    listener.failures.forEach(e -> output.add(e.toString()));
    listener.expiries.forEach(e -> output.add(e.toString()));
    listener.rejections.forEach(e -> output.add(e.toString()));

    assertThat(secrets).hasSizeGreaterThan(20);
    assertThat(output).anyMatch(line -> line.contains("session expired"))
        .anyMatch(line -> line.contains("token refresh failed")).hasSizeGreaterThan(30);
    for (String line : output) {
      for (String secret : secrets) {
        assertThat(line).as("output line must not contain a secret").doesNotContain(secret);
      }
    }
  }

  /** Calls the keeper, recording the token's value as a secret and any exception's text as output. */
  private AccessToken call(TokenKeeper keeper) {
    try {
      AccessToken token = keeper.token(Duration.ZERO);
      secrets.add(token.value());
      output.add(token.toString());
      return token;
    } catch (RuntimeException e) {
      describe(e);
      return null;
    }
  }

  private void remember(AccessToken token) {
    if (token != null) {
      secrets.add(token.value());
    }
  }

  private void remember(TokenStore store) {
    StoredTokens stored = store.load();
    output.add(stored.toString());
    if (stored.accessToken() != null) {
      secrets.add(stored.accessToken().value());
    }
    if (stored.refreshToken() != null) {
      secrets.add(stored.refreshToken().value());
      output.add(stored.refreshToken().toString());
    }
  }

  private void describe(Throwable t) {
    List<Throwable> seen = new ArrayList<>();
    for (Throwable c = t; c != null && !seen.contains(c); c = c.getCause()) {
      seen.add(c);
      output.add(c.toString());
      for (Throwable s : c.getSuppressed()) {
        output.add(s.toString());
      }
    }
  }
}
