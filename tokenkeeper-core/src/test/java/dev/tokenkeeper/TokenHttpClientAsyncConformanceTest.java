package dev.tokenkeeper;

/** {@link TokenHttpClient#sendAsync} passes the adapter conformance suite too. */
class TokenHttpClientAsyncConformanceTest extends TokenHttpClientConformanceTest {
  @Override
  boolean async() {
    return true;
  }
}
