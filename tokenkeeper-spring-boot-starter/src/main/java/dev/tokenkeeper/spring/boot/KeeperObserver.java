package dev.tokenkeeper.spring.boot;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenListener;
import dev.tokenkeeper.TokenSource;

/**
 * Something that hears each configured keeper (metrics, observations): a listener for the keeper
 * named {@code name}, a wrapper around its token source, and a look at the keeper once it is built. Kept free of optional types so that {@link
 * TokenKeeperClients} loads without them.
 */
interface KeeperObserver {
  TokenListener listener(String name);

  /** The keeper's token source, wrapped or as it is. */
  default TokenSource source(String name, TokenSource source) {
    return source;
  }

  void built(String name, TokenKeeper keeper);
}
