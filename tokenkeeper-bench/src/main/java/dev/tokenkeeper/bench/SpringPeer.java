package dev.tokenkeeper.bench;

import java.net.URI;
import java.time.Instant;
import org.jspecify.annotations.Nullable;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientProvider;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientProviderBuilder;
import org.springframework.security.oauth2.core.OAuth2RefreshToken;
import org.springframework.security.oauth2.client.AuthorizedClientServiceOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.InMemoryOAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.InMemoryClientRegistrationRepository;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.security.oauth2.core.OAuth2AccessToken;

/**
 * Spring Security's service-side client manager, as its reference documentation sets it up for
 * {@code client_credentials}: in-memory registration repository and authorized-client service, the
 * default provider (60 s clock skew) with its real {@code RestClient} token client. It has no
 * single-flight: every caller that finds the token expired calls the endpoint.
 */
final class SpringPeer implements Contender {
  static final String REGISTRATION = "bench";

  private final AuthorizedClientServiceOAuth2AuthorizedClientManager manager;
  /** Built once and reused; real interceptors build one per request, which only costs Spring more. */
  private final OAuth2AuthorizeRequest request;

  private SpringPeer(URI tokenUri, OAuth2AccessToken initial) {
    this(ClientRegistration.withRegistrationId(REGISTRATION)
        .clientId("test-client")
        .clientSecret("test-secret")
        .clientAuthenticationMethod(ClientAuthenticationMethod.CLIENT_SECRET_BASIC)
        .authorizationGrantType(AuthorizationGrantType.CLIENT_CREDENTIALS)
        .tokenUri(tokenUri.toString())
        .build(), initial, null, null);
  }

  private SpringPeer(ClientRegistration registration, OAuth2AccessToken initial,
      @Nullable OAuth2RefreshToken refresh, @Nullable OAuth2AuthorizedClientProvider provider) {
    InMemoryClientRegistrationRepository registrations = new InMemoryClientRegistrationRepository(registration);
    InMemoryOAuth2AuthorizedClientService service = new InMemoryOAuth2AuthorizedClientService(registrations);
    this.manager = new AuthorizedClientServiceOAuth2AuthorizedClientManager(registrations, service);
    if (provider != null) {
      manager.setAuthorizedClientProvider(provider);
    }
    this.request = OAuth2AuthorizeRequest.withClientRegistrationId(REGISTRATION).principal("bench-service").build();
    service.saveAuthorizedClient(new OAuth2AuthorizedClient(registration, "bench-service", initial, refresh),
        request.getPrincipal());
  }

  /** A manager holding {@code token} until {@code expiresAt}; the token endpoint is never called. */
  static SpringPeer withFreshToken(String token, Instant expiresAt) {
    return new SpringPeer(URI.create("https://auth.example.com/oauth2/token"),
        new OAuth2AccessToken(OAuth2AccessToken.TokenType.BEARER, token, Instant.now(), expiresAt));
  }

  /** A manager whose token has just expired, fetching new ones from {@code tokenUri}. */
  static SpringPeer justExpired(URI tokenUri) {
    Instant now = Instant.now();
    return new SpringPeer(tokenUri, new OAuth2AccessToken(OAuth2AccessToken.TokenType.BEARER,
        "expired-spring", now.minusSeconds(3600), now.minusSeconds(61)));
  }

  /**
   * A manager on a {@code refresh_token} grant (the registration is an authorization-code client,
   * whose authorized client holds {@code refreshToken}) whose access token has just expired: its
   * refresh-token provider refreshes on the caller's thread, with no coordination between callers.
   */
  static SpringPeer refreshTokenJustExpired(URI tokenUri, String refreshToken) {
    ClientRegistration registration = ClientRegistration.withRegistrationId(REGISTRATION)
        .clientId("test-client")
        .clientSecret("test-secret")
        .clientAuthenticationMethod(ClientAuthenticationMethod.CLIENT_SECRET_BASIC)
        .authorizationGrantType(AuthorizationGrantType.AUTHORIZATION_CODE)
        .redirectUri("https://app.example.com/login/oauth2/code/bench")
        .authorizationUri(tokenUri.resolve("/authorize").toString())
        .tokenUri(tokenUri.toString())
        .build();
    Instant now = Instant.now();
    return new SpringPeer(registration, new OAuth2AccessToken(OAuth2AccessToken.TokenType.BEARER,
        "expired-spring", now.minusSeconds(3600), now.minusSeconds(61)),
        new OAuth2RefreshToken(refreshToken, now.minusSeconds(3600)),
        OAuth2AuthorizedClientProviderBuilder.builder().refreshToken().build());
  }

  @Override
  public String token() {
    OAuth2AuthorizedClient client = manager.authorize(request);
    if (client == null) {
      throw new IllegalStateException("Spring returned no authorized client");
    }
    return client.getAccessToken().getTokenValue();
  }
}
