package dev.tokenkeeper;

/** {@link TokenStore#inMemory()} against the store contract (it is not shared: no lease). */
class InMemoryTokenStoreTest extends TokenStoreContract {

  @Override
  protected TokenStore newStore() {
    return TokenStore.inMemory();
  }

  @Override
  protected TokenStore reopen(TokenStore store) {
    return store; // the state lives in the object: the same object is the only other handle
  }
}
