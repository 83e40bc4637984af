package dev.tokenkeeper.reliability;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Captures everything Tokenkeeper logs through {@code System.Logger} (backed by
 * java.util.logging here) at the lowest level, plus any text a test adds (exception messages,
 * {@code toString}s), for an exact search for secrets.
 */
final class LogCapture extends Handler {
  /** The level the Tokenkeeper loggers are set to while capturing. */
  static final Level LEVEL = Level.ALL;

  private final List<String> text = new CopyOnWriteArrayList<>();
  private final List<Level> levels = new CopyOnWriteArrayList<>();
  private final List<Logger> loggers = new ArrayList<>();

  LogCapture install() {
    for (String name : List.of("dev.tokenkeeper", "dev.tokenkeeper.TokenKeeper")) {
      Logger logger = Logger.getLogger(name);
      logger.setLevel(LEVEL);
      logger.addHandler(this);
      loggers.add(logger); // held strongly: JUL keeps loggers weakly
    }
    return this;
  }

  void uninstall() {
    for (Logger logger : loggers) {
      logger.removeHandler(this);
      logger.setLevel(null);
    }
  }

  @Override
  public void publish(LogRecord record) {
    levels.add(record.getLevel());
    text.add(record.getLevel() + " " + new SimpleFormatter().formatMessage(record));
    add(record.getThrown());
  }

  /** Adds a throwable's whole cause chain, as {@code toString} (class and message) of each. */
  void add(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      text.add(c.toString());
    }
  }

  void add(String line) {
    text.add(line);
  }

  List<String> lines() {
    return List.copyOf(text);
  }

  /** Log records captured, at any level. */
  int records() {
    return levels.size();
  }

  /** Log records captured at {@code level} or below (finer), e.g. {@code FINE}: FINE, FINER, FINEST. */
  int records(Level level) {
    return (int) levels.stream().filter(l -> l.intValue() <= level.intValue()).count();
  }

  @Override
  public void flush() {}

  @Override
  public void close() {}
}
