package dev.tokenkeeper.bench;

/**
 * One way of obtaining the access token for a request, set up by one library. Every contender
 * returns the bare token value (what follows {@code Bearer }), so results can be checked alike.
 */
interface Contender extends AutoCloseable {

  /** Returns a token the caller may send now, refreshing it first if the contender decides to. */
  String token() throws Exception;

  /** Releases threads the contender owns; most own none. */
  @Override
  default void close() {}
}
