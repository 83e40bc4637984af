package dev.tokenkeeper.spring;

import dev.tokenkeeper.OAuth2TokenEndpoint;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenPolicy;
import dev.tokenkeeper.TokenResponse;
import dev.tokenkeeper.testing.AdapterConformanceSuite.Setup;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;

/** One keeper per allowed origin of a conformance {@link Setup}, and the policy holding them. */
final class Keepers implements AutoCloseable {
  final Map<URI, TokenKeeper> byOrigin = new LinkedHashMap<>();
  final TokenPolicy policy;

  /** @throws IllegalArgumentException when the policy refuses an origin (the keepers are closed) */
  Keepers(Setup setup) {
    TokenPolicy.Builder builder = TokenPolicy.newBuilder();
    try {
      for (URI origin : setup.origins()) {
        OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(setup.tokens().uri())
            .clientId("test-client").clientSecret("test-secret").build();
        TokenKeeper.Builder keeperBuilder = TokenKeeper.newBuilder(setup.userSession() ? endpoint.refreshTokens()
                : endpoint.clientCredentials())
            .name("keeper-" + byOrigin.size()).clock(setup.clock()).scheduler(setup.clock()::schedule);
        if (setup.userSession()) {
          keeperBuilder.initialTokens(TokenResponse.bearer("expired-access-token")
              .withExpiresIn(java.time.Duration.ZERO).withRefreshToken(setup.userRefreshToken()));
        }
        if (setup.dpop()) {
          keeperBuilder.dpop(dev.tokenkeeper.DPoP.es256());
        }
        TokenKeeper keeper = keeperBuilder.build();
        byOrigin.put(origin, keeper);
        builder.origin(origin, keeper);
      }
      policy = builder.build();
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  String authorization(URI origin) {
    return byOrigin.get(origin).token().authorizationHeader();
  }

  void invalidate(URI origin) {
    TokenKeeper keeper = byOrigin.get(origin);
    keeper.invalidate(keeper.token());
  }

  @Override
  public void close() {
    byOrigin.values().forEach(TokenKeeper::close);
  }
}
