package dev.tokenkeeper.bench;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.AccessTokenCache;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import dev.tokenkeeper.TokenRequest;
import dev.tokenkeeper.TokenResponse;
import dev.tokenkeeper.TokenSource;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import reactor.core.publisher.Mono;

/**
 * Azure Core's {@link AccessTokenCache} (a public class of {@code com.azure.core.credential} in
 * azure-core 1.61.0), the cache behind the Azure SDK's bearer-token policy. It needs no Azure
 * service: it wraps any {@link
 * TokenCredential}, here one that calls the scripted token server through Tokenkeeper's OAuth
 * client (the same one the naive recipe and the AWS cache use). Its synchronous path takes a lock
 * on every call, fresh token or not; it refreshes 5 minutes before expiry.
 */
final class AzurePeer implements Contender {
  static final TokenRequestContext CONTEXT = new TokenRequestContext().addScopes("https://api.example.com/.default");

  private final AccessTokenCache cache;

  private AzurePeer(AccessTokenCache cache) {
    this.cache = cache;
  }

  /** A cache holding {@code token} until {@code expiresAt}; never refreshes within a benchmark. */
  static AccessTokenCache withFreshToken(String token, OffsetDateTime expiresAt) {
    AccessTokenCache cache = new AccessTokenCache(credential(() -> new AccessToken(token, expiresAt)));
    cache.getTokenSync(CONTEXT, false); // the first call always fetches: fill the cache
    return cache;
  }

  /** A cache whose token has just expired, refreshing from {@code endpoint}. */
  static AzurePeer justExpired(TokenSource endpoint) {
    AtomicBoolean primed = new AtomicBoolean();
    AccessTokenCache cache = new AccessTokenCache(credential(() -> {
      if (!primed.getAndSet(true)) {
        return new AccessToken("expired-azure", OffsetDateTime.now().minusSeconds(1));
      }
      TokenResponse response = endpoint.fetch(new TokenRequest(null, TokenRequest.Reason.EXPIRED));
      Duration lifetime = response.expiresIn() != null ? response.expiresIn() : Duration.ofMinutes(5);
      return new AccessToken(response.accessToken(), OffsetDateTime.now().plus(lifetime));
    }));
    cache.getTokenSync(CONTEXT, false);
    return new AzurePeer(cache);
  }

  private static TokenCredential credential(Callable<AccessToken> fetch) {
    return new TokenCredential() {
      @Override
      public Mono<AccessToken> getToken(TokenRequestContext context) {
        return Mono.fromCallable(fetch);
      }

      @Override
      public AccessToken getTokenSync(TokenRequestContext context) {
        try {
          return fetch.call();
        } catch (RuntimeException e) {
          throw e;
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }
    };
  }

  @Override
  public String token() {
    return cache.getTokenSync(CONTEXT, false).getToken();
  }
}
