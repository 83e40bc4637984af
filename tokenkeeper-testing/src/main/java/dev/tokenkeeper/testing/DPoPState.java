package dev.tokenkeeper.testing;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * What a scripted server does with DPoP (RFC 9449): its proof verifier, whether it binds tokens,
 * whether it requires its nonce, and what it counted. Thread-safe: the switches are volatile, the
 * counters atomic.
 */
final class DPoPState {
  final DPoPProofVerifier verifier = new DPoPProofVerifier();
  /** The one nonce this server hands out: random, so no test can guess it. */
  final String nonce = "n-" + AccessTokenMinter.randomToken();
  volatile boolean requireNonce;
  volatile boolean bind = true;
  final AtomicInteger nonceChallenges = new AtomicInteger();
  final AtomicInteger boundTokens = new AtomicInteger();
  final AtomicInteger invalidProofs = new AtomicInteger();
  final AtomicInteger accepted = new AtomicInteger();
  private volatile @Nullable String lastFailure;

  /** The nonce a proof must carry now, or null when none is required. */
  @Nullable String requiredNonce() {
    return requireNonce ? nonce : null;
  }

  void failed(String why) {
    invalidProofs.incrementAndGet();
    lastFailure = why;
  }

  @Nullable String lastFailure() {
    return lastFailure;
  }

  /** A copy of {@code response} with a {@code DPoP-Nonce} header holding the current nonce. */
  LoopbackHttpServer.Response withNonce(LoopbackHttpServer.Response response) {
    Map<String, String> headers = new LinkedHashMap<>(response.headers());
    headers.put("DPoP-Nonce", nonce);
    return new LoopbackHttpServer.Response(response.status(), headers, response.body());
  }
}
