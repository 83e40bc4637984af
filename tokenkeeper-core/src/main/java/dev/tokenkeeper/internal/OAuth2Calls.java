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
import org.jspecify.annotations.Nullable;

/** The HTTP side of {@code OAuth2TokenEndpoint}: form posts, client authentication, parsing. */
public final class OAuth2Calls {
  /** Form parameters the grants set themselves; users may not override them. */
  public static final Set<String> RESERVED = Set.of("grant_type", "client_id", "client_secret",
      "refresh_token", "username", "password", "scope", "code", "token");

  private final HttpClient client;
  private final URI tokenUri;
  private final @Nullable URI revocationUri;
  private final @Nullable String clientId;
  private final @Nullable String clientSecret;
  private final ClientAuthentication authentication;
  private final Map<String, String> parameters;
  private final Duration timeout;

  public OAuth2Calls(HttpClient client, URI tokenUri, @Nullable URI revocationUri,
      @Nullable String clientId, @Nullable String clientSecret, ClientAuthentication authentication,
      Map<String, String> parameters, Duration timeout) {
    this.client = client;
    this.tokenUri = tokenUri;
    this.revocationUri = revocationUri;
    this.clientId = clientId;
    this.clientSecret = clientSecret;
    this.authentication = authentication;
    this.parameters = parameters;
    this.timeout = timeout;
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
    HttpRequest request = post(tokenUri, body);
    HttpEndpoint.Answer answer = dpop == null ? HttpEndpoint.send(client, request, timeout)
        : DPoPTokenRequests.send(client, request, timeout, dpop);
    if (!answer.isSuccess()) {
      throw HttpEndpoint.failure(answer, HttpEndpoint.errorJson(answer));
    }
    TokenResponse response = parse(answer);
    return dpop == null ? response : DPoPTokenRequests.checkBound(response, answer);
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
    return revocationUri != null;
  }

  /** Revokes {@code token} (RFC 7009). Unknown tokens are revoked as far as the server is concerned. */
  public void revoke(RefreshToken token) throws IOException, InterruptedException {
    if (revocationUri == null) {
      throw new IllegalStateException("no revocation endpoint configured");
    }
    Map<String, String> body = new LinkedHashMap<>();
    body.put("token", token.value());
    body.put("token_type_hint", "refresh_token");
    HttpEndpoint.Answer answer = HttpEndpoint.send(client, post(revocationUri, body), timeout);
    if (!answer.isSuccess()) {
      throw HttpEndpoint.failure(answer, HttpEndpoint.errorJson(answer));
    }
  }

  private HttpRequest post(URI uri, Map<String, String> form) {
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
    return HttpEndpoint.describe(tokenUri) + ", clientId=" + clientId + ", authentication=" + authentication;
  }
}
