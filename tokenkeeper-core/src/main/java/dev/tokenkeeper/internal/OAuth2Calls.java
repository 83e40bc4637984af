package dev.tokenkeeper.internal;

import dev.tokenkeeper.ClientAuthentication;
import dev.tokenkeeper.DPoP;
import dev.tokenkeeper.RefreshToken;
import dev.tokenkeeper.TokenEndpointException;
import dev.tokenkeeper.TokenResponse;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/** The HTTP side of {@code OAuth2TokenEndpoint}: form posts, client authentication, parsing. */
public final class OAuth2Calls {
  /** Form parameters the grants set themselves; users may not override them. */
  public static final Set<String> RESERVED = Set.of("grant_type", "client_id", "client_secret",
      "refresh_token", "username", "password", "scope", "code", "token", "client_assertion",
      "client_assertion_type");

  /** Where the token and revocation endpoints are: configured, or read from the issuer's metadata. */
  public interface Endpoints {
    /** The token endpoint. */
    URI token() throws IOException, InterruptedException;

    /** The revocation endpoint, or null when there is none. */
    @Nullable URI revocation() throws IOException, InterruptedException;

    /** Whether a revocation endpoint may exist (known without I/O). */
    boolean hasRevocation();

    /** A call to {@code uri} failed as if the endpoint moved (no connection, 404, 410). */
    void failed(URI uri);
  }

  /** Endpoints given by the user. */
  public record Fixed(URI tokenUri, @Nullable URI revocationUri) implements Endpoints {
    @Override
    public URI token() {
      return tokenUri;
    }

    @Override
    public @Nullable URI revocation() {
      return revocationUri;
    }

    @Override
    public boolean hasRevocation() {
      return revocationUri != null;
    }

    @Override
    public void failed(URI uri) {}

    @Override
    public String toString() {
      return HttpEndpoint.describe(tokenUri);
    }
  }

  private final HttpClient client;
  private final Endpoints endpoints;
  private final @Nullable String clientId;
  private final @Nullable String clientSecret;
  private final ClientAuthentication authentication;
  private final Map<String, String> parameters;
  private final Duration timeout;
  private final @Nullable ClientAssertions assertions;

  public OAuth2Calls(HttpClient client, Endpoints endpoints, @Nullable String clientId, @Nullable String clientSecret, ClientAuthentication authentication,
      Map<String, String> parameters, Duration timeout, @Nullable ClientAssertions assertions) {
    this.client = client;
    this.endpoints = endpoints;
    this.clientId = clientId;
    this.clientSecret = clientSecret;
    this.authentication = authentication;
    this.parameters = parameters;
    this.timeout = timeout;
    this.assertions = assertions;
  }

  /** Calls the token endpoint with {@code grantType} and {@code form}, and parses the token response. */
  public TokenResponse grant(String grantType, Map<String, String> form)
      throws IOException, InterruptedException {
    return grant(grantType, form, null);
  }

  /** As {@link #grant(String, Map)}, with a DPoP proof made with {@code dpop} when it is not null. */
  public TokenResponse grant(String grantType, Map<String, String> form, @Nullable DPoP dpop)
      throws IOException, InterruptedException {
    Map<String, String> body = new LinkedHashMap<>();
    body.put("grant_type", grantType);
    body.putAll(form);
    parameters.forEach(body::putIfAbsent);
    URI tokenUri = endpoints.token();
    HttpEndpoint.Answer answer = call(tokenUri, body, tokenUri, dpop);
    TokenResponse response = parse(answer);
    return dpop == null ? response : DPoPTokenRequests.checkBound(response, answer);
  }

  /**
   * As {@link #grant(String, Map, DPoP)}, without blocking: the request is built and handed to the
   * client on the calling thread, and the future completes with the token response or with the
   * failure {@code grant} would throw. Returns {@code null} when the call cannot start without
   * blocking or without a second request: endpoints read from the issuer's metadata (the first
   * call may fetch it), DPoP (a nonce challenge is answered by a second request) and {@code
   * private_key_jwt} (the key may be a PKCS#11 key whose signing does I/O). The caller then uses
   * {@code grant}.
   */
  public @Nullable CompletableFuture<TokenResponse> grantAsync(String grantType, Map<String, String> form,
      @Nullable DPoP dpop) {
    if (dpop != null || !(endpoints instanceof Fixed) || authentication == ClientAuthentication.PRIVATE_KEY_JWT) {
      return null; // a private key may live in a token or HSM: signing with it may block
    }
    Map<String, String> body = new LinkedHashMap<>();
    body.put("grant_type", grantType);
    body.putAll(form);
    parameters.forEach(body::putIfAbsent);
    URI tokenUri = ((Fixed) endpoints).tokenUri();
    HttpRequest request;
    try {
      request = post(tokenUri, body, tokenUri);
    } catch (IOException | RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return HttpEndpoint.sendAsync(client, request, timeout).thenApply(answer -> {
      try {
        return parse(checked(tokenUri, answer));
      } catch (TokenEndpointException e) {
        throw new java.util.concurrent.CompletionException(e);
      }
    });
  }

  /**
   * Posts {@code body} to {@code uri}, with a DPoP proof when {@code dpop} is not null; tells the
   * endpoints when the answer suggests they moved.
   */
  private HttpEndpoint.Answer call(URI uri, Map<String, String> body, URI tokenUri, @Nullable DPoP dpop)
      throws IOException, InterruptedException {
    HttpRequest request = post(uri, body, tokenUri);
    HttpEndpoint.Answer answer;
    try {
      answer = dpop == null ? HttpEndpoint.send(client, request, timeout)
          : DPoPTokenRequests.send(client, request, () -> rebuilt(uri, body, tokenUri), timeout, dpop);
    } catch (TokenEndpointException e) {
      throw e;
    } catch (NotRebuilt e) {
      throw e.getCause(); // signing the retry failed: says nothing about the endpoint
    } catch (IOException e) {
      endpoints.failed(uri);
      throw e;
    }
    return checked(uri, answer);
  }

  /** The request built again (a DPoP nonce retry); a failure to build it is not the endpoint's. */
  private HttpRequest rebuilt(URI uri, Map<String, String> body, URI tokenUri) {
    try {
      return post(uri, body, tokenUri);
    } catch (IOException e) {
      throw new NotRebuilt(e);
    }
  }

  /** Carries {@link #rebuilt}'s failure past the endpoint-failure handling of {@link #call}. */
  private static final class NotRebuilt extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NotRebuilt(IOException cause) {
      super(cause);
    }

    @Override
    public synchronized IOException getCause() {
      return (IOException) super.getCause();
    }
  }

  /** Returns a success; throws the endpoint's refusal, telling the endpoints when they may have moved. */
  private HttpEndpoint.Answer checked(URI uri, HttpEndpoint.Answer answer) throws TokenEndpointException {
    if (!answer.isSuccess()) {
      if (answer.status() == 404 || answer.status() == 410) {
        endpoints.failed(uri);
      }
      throw HttpEndpoint.failure(answer, HttpEndpoint.errorJson(answer));
    }
    return answer;
  }

  /** Parses an RFC 6749 section 5.1 success. */
  public static TokenResponse parse(HttpEndpoint.Answer answer) throws TokenEndpointException {
    Map<String, Object> json = HttpEndpoint.json(answer);
    String accessToken = HttpEndpoint.stringField(json, "access_token", answer);
    if (accessToken == null || accessToken.isEmpty()) {
      throw TokenEndpointException.invalidResponse(answer.status(),
          "token endpoint answered " + answer.describe() + " without an access_token; fields present: "
              + new java.util.TreeSet<>(json.keySet()), null);
    }
    String type = HttpEndpoint.stringField(json, "token_type", answer);
    String refresh = HttpEndpoint.stringField(json, "refresh_token", answer);
    String scope = HttpEndpoint.stringField(json, "scope", answer);
    try {
      return new TokenResponse(accessToken, type == null || type.isEmpty() ? "Bearer" : type,
          HttpEndpoint.secondsField(json, "expires_in", answer), refresh == null || refresh.isEmpty() ? null : refresh,
          scope, answer.date());
    } catch (IllegalArgumentException e) {
      // The message names the field and position, never the value.
      throw TokenEndpointException.invalidResponse(answer.status(), "token response rejected: " + e.getMessage(), null);
    }
  }

  public boolean hasRevocationEndpoint() {
    return endpoints.hasRevocation();
  }

  /** Revokes {@code token} (RFC 7009). Unknown tokens are revoked as far as the server is concerned. */
  public void revoke(RefreshToken token) throws IOException, InterruptedException {
    URI revocationUri = endpoints.revocation();
    if (revocationUri == null) {
      throw new IllegalStateException("no revocation endpoint: the issuer's metadata names none,"
          + " or none was configured");
    }
    Map<String, String> body = new LinkedHashMap<>();
    body.put("token", token.value());
    body.put("token_type_hint", "refresh_token");
    call(revocationUri, body, endpoints.token(), null);
  }

  /** The request to {@code uri}; a client assertion's default audience is {@code tokenUri}. */
  private HttpRequest post(URI uri, Map<String, String> form, URI tokenUri) throws IOException {
    Map<String, String> body = new LinkedHashMap<>(form);
    HttpRequest.Builder request = HttpRequest.newBuilder(uri)
        .timeout(timeout)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Accept", "application/json");
    switch (authentication) {
      case CLIENT_SECRET_BASIC:
        // RFC 6749 2.3.1: id and secret are form-urlencoded before they are joined and base64ed.
        String credentials = encode(clientId) + ":" + encode(clientSecret);
        request.header("Authorization", "Basic "
            + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)));
        break;
      case CLIENT_SECRET_POST:
        body.put("client_id", clientId);
        body.put("client_secret", clientSecret);
        break;
      case CLIENT_SECRET_JWT:
      case PRIVATE_KEY_JWT:
        // client_id too: RFC 7521 section 4.2 allows it, and Spring Authorization Server requires it.
        body.put("client_id", clientId);
        body.put("client_assertion_type", ClientAssertions.JWT_BEARER);
        body.put("client_assertion", java.util.Objects.requireNonNull(assertions).create(tokenUri));
        break;
      default:
        if (clientId != null) {
          body.put("client_id", clientId);
        }
        break;
    }
    return request.POST(HttpRequest.BodyPublishers.ofString(form(body))).build();
  }

  static String form(Map<String, String> fields) {
    StringBuilder out = new StringBuilder();
    fields.forEach((name, value) -> {
      if (out.length() > 0) {
        out.append('&');
      }
      out.append(encode(name)).append('=').append(encode(value));
    });
    return out.toString();
  }

  private static String encode(@Nullable String value) {
    return URLEncoder.encode(value == null ? "" : value, StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return endpoints + ", clientId=" + clientId + ", authentication=" + authentication;
  }
}
