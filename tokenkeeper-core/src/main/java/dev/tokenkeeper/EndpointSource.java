package dev.tokenkeeper;

import java.io.IOException;
import java.time.Duration;

/**
 * A built-in source that calls an HTTP endpoint: it knows how long one call may take (so the keeper
 * can derive its attempt timeout from it) and whether it uses configured credentials.
 */
final class EndpointSource implements TokenSource {
  /** One call to the endpoint. */
  @FunctionalInterface
  interface Call {
    TokenResponse fetch(TokenRequest request) throws IOException, InterruptedException;
  }

  private final Call call;
  private final Duration callTimeout;
  private final boolean configuredCredentials;
  private final String description;

  EndpointSource(Call call, Duration callTimeout, boolean configuredCredentials, String description) {
    this.call = call;
    this.callTimeout = callTimeout;
    this.configuredCredentials = configuredCredentials;
    this.description = description;
  }

  @Override
  public TokenResponse fetch(TokenRequest request) throws IOException, InterruptedException {
    return call.fetch(request);
  }

  @Override
  public boolean usesConfiguredCredentials() {
    return configuredCredentials;
  }

  /** The longest one call can take: the endpoint's timeout, which bounds headers and body. */
  Duration callTimeout() {
    return callTimeout;
  }

  @Override
  public String toString() {
    return description;
  }
}
