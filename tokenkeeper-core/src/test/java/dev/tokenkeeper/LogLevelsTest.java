package dev.tokenkeeper;

import static dev.tokenkeeper.KeeperTestSupport.TTL;
import static dev.tokenkeeper.KeeperTestSupport.initial;
import static dev.tokenkeeper.KeeperTestSupport.keeper;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.testing.TestClock;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A failure is reported once: as a WARNING line when nobody listens, to the listener otherwise. */
class LogLevelsTest {
  private final Logger logger = Logger.getLogger("dev.tokenkeeper.TokenKeeper");
  private final List<LogRecord> records = new CopyOnWriteArrayList<>();
  private final Handler capture = new Handler() {
    @Override
    public void publish(LogRecord record) {
      records.add(record);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };
  private Level previous;

  @BeforeEach
  void capture() {
    previous = logger.getLevel();
    logger.setLevel(Level.ALL);
    logger.addHandler(capture);
  }

  @AfterEach
  void release() {
    logger.removeHandler(capture);
    logger.setLevel(previous);
  }

  private List<Level> failureLevels(TokenListener listener) {
    records.clear();
    TestClock clock = new TestClock();
    FakeSource source = new FakeSource(TTL);
    source.then(new IOException("down"));
    try (TokenKeeper keeper = keeper(source, clock).executor(Runnable::run).listener(listener)
        .initialTokens(initial()).build()) {
      clock.advance(Duration.ofMinutes(8));
      keeper.token();
    }
    return records.stream().filter(r -> r.getMessage().contains("token refresh failed"))
        .map(LogRecord::getLevel).toList();
  }

  @Test
  void refreshFailure_withoutAListener_isOneWarning_namingTheKeeperAndTheEndpoint() {
    assertThat(failureLevels(TokenListener.NONE)).containsExactly(Level.WARNING);
    assertThat(records.stream().filter(r -> r.getMessage().contains("token refresh failed")).findFirst()
        .orElseThrow().getMessage()).startsWith("default: ").contains("java.io.IOException");
  }

  @Test
  void refreshFailure_heardByAListener_isNotLoggedAgainAsAWarning() {
    RecordingListener listener = new RecordingListener();
    assertThat(failureLevels(listener)).containsExactly(Level.FINE); // System.Logger DEBUG
    assertThat(listener.failures).hasSize(1);
  }
}
