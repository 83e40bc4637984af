package dev.tokenkeeper.spring.boot;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenListener;

/**
 * Something that hears each configured keeper (metrics): a listener for the keeper named {@code
 * name}, and a look at the keeper once it is built. Kept free of optional types so that {@link
 * TokenKeeperClients} loads without them.
 */
interface KeeperObserver {
  TokenListener listener(String name);

  void built(String name, TokenKeeper keeper);
}
