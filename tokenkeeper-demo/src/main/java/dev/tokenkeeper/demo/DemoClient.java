package dev.tokenkeeper.demo;

import java.io.IOException;

/**
 * One of the demo's clients: an application that logs in once and then has many threads call the
 * API. Implementations differ only in how they keep the access token valid.
 *
 * <p>Thread-safe: {@link #request()} is called by all of the client's workers at once.
 */
interface DemoClient extends AutoCloseable {

  /** The short name, as in {@code --client} and the {@value DemoServer#CLIENT_HEADER} header. */
  String id();

  /** The name in the live view and the table. */
  String title();

  /**
   * Logs in with the client's username and password; called once, before the workload.
   *
   * @throws IOException when the login failed
   */
  void logIn() throws IOException, InterruptedException;

  /**
   * Makes one API request, with whatever token work the client does first. Never throws: every
   * failure becomes an {@link Outcome}. If the thread is interrupted, its flag is set again.
   */
  Outcome request();

  /** Releases the client's resources. */
  @Override
  default void close() {}
}
