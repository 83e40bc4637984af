package dev.tokenkeeper.sim;

import dev.tokenkeeper.SharedTokenStore;
import dev.tokenkeeper.SharedTokenStoreContract;
import dev.tokenkeeper.TokenStore;

/**
 * The simulated store passes the same contract as the file and Redis stores (here on the real
 * clock and real threads, waiting on its monitor): the state machine the simulation drives is one
 * that the real stores implement.
 */
class SimStoreContractTest extends SharedTokenStoreContract {
  @Override
  protected SharedTokenStore newStore() {
    return SimStore.realTime().open("a");
  }

  @Override
  protected SharedTokenStore reopen(TokenStore store) {
    return ((SimStore.Handle) store).store().open("b");
  }
}
