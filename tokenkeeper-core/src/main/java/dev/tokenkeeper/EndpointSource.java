package dev.tokenkeeper;

import dev.tokenkeeper.internal.AsyncTokenSource;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * A built-in source that calls an HTTP endpoint: it knows how long one call may take (so the keeper
 * can derive its attempt timeout from it) and whether it uses configured credentials.
 */
final class EndpointSource implements TokenSource, AsyncTokenSource {
  /** One call to the endpoint. */
  @FunctionalInterface
  interface Call {
    TokenResponse fetch(TokenRequest request) throws IOException, InterruptedException;
  }

  /** The same call, started without blocking; {@code null} when it cannot be (see {@link AsyncTokenSource}). */
  @FunctionalInterface
  interface AsyncCall {
    @Nullable CompletableFuture<TokenResponse> fetchAsync(TokenRequest request);
  }

  private static final AsyncCall BLOCKING_ONLY = request -> null;

  private final Call call;
  private final AsyncCall asyncCall;
  private final Duration callTimeout;
  private final boolean configuredCredentials;
  private final String description;

  EndpointSource(Call call, Duration callTimeout, boolean configuredCredentials, String description) {
    this(call, BLOCKING_ONLY, callTimeout, configuredCredentials, description);
  }

  EndpointSource(Call call, AsyncCall asyncCall, Duration callTimeout, boolean configuredCredentials,
      String description) {
    this.call = call;
    this.asyncCall = asyncCall;
    this.callTimeout = callTimeout;
    this.configuredCredentials = configuredCredentials;
    this.description = description;
  }

  @Override
  public TokenResponse fetch(TokenRequest request) throws IOException, InterruptedException {
    return call.fetch(request);
  }

  @Override
  public @Nullable CompletableFuture<TokenResponse> fetchAsync(TokenRequest request) {
    return asyncCall.fetchAsync(request);
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
