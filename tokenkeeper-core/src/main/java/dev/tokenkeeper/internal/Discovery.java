package dev.tokenkeeper.internal;

import dev.tokenkeeper.AuthorizationServerMetadata;
import dev.tokenkeeper.DiscoveryException;
import dev.tokenkeeper.DiscoveryException.Reason;
import dev.tokenkeeper.TokenEndpointException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The endpoints of an issuer, read from its metadata (RFC 8414 first, then OpenID Connect
 * Discovery), cached, and read again after a call to them failed in a way that suggests they moved
 * (no connection, 404, 410). Thread-safe: concurrent callers share one fetch.
 */
public final class Discovery implements OAuth2Calls.Endpoints {
  private final HttpClient client;
  private final URI issuer;
  private final Duration timeout;
  private final boolean allowPlainHttp;
  private final ReentrantLock fetching = new ReentrantLock();
  private volatile @Nullable AuthorizationServerMetadata cached;

  public Discovery(HttpClient client, URI issuer, Duration timeout, boolean allowPlainHttp) {
    this.client = client;
    this.issuer = issuer;
    this.timeout = timeout;
    this.allowPlainHttp = allowPlainHttp;
  }

  /**
   * The well-known URLs for {@code issuer}, in the order tried: RFC 8414 section 3.1 inserts
   * {@code /.well-known/oauth-authorization-server} between the host and the issuer's path; OpenID
   * Connect Discovery appends {@code /.well-known/openid-configuration} to the issuer.
   */
  public static List<URI> wellKnownUris(URI issuer) {
    String path = issuer.getRawPath() == null ? "" : issuer.getRawPath();
    if (path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    URI origin = URI.create(issuer.getScheme() + "://" + issuer.getRawAuthority());
    List<URI> uris = new ArrayList<>();
    uris.add(URI.create(origin + "/.well-known/oauth-authorization-server" + path));
    uris.add(URI.create(origin + path + "/.well-known/openid-configuration"));
    return uris;
  }

  /** The metadata, fetched on first use and after {@link #failed}. */
  public AuthorizationServerMetadata metadata() throws IOException, InterruptedException {
    AuthorizationServerMetadata m = cached;
    if (m != null) {
      return m;
    }
    fetching.lockInterruptibly();
    try {
      m = cached;
      if (m == null) {
        m = fetch();
        cached = m;
      }
      return m;
    } finally {
      fetching.unlock();
    }
  }

  @Override
  public URI token() throws IOException, InterruptedException {
    return metadata().tokenEndpoint();
  }

  @Override
  public @Nullable URI revocation() throws IOException, InterruptedException {
    return metadata().revocationEndpoint();
  }

  @Override
  public boolean hasRevocation() {
    return true; // known only once fetched; revoke() then says when the server names none
  }

  /** A call to {@code uri} failed as if it moved: the next call fetches the metadata again. */
  @Override
  public void failed(URI uri) {
    AuthorizationServerMetadata m = cached;
    if (m != null && (uri.equals(m.tokenEndpoint()) || uri.equals(m.revocationEndpoint()))) {
      cached = null;
    }
  }

  private AuthorizationServerMetadata fetch() throws IOException, InterruptedException {
    List<String> tried = new ArrayList<>();
    IOException last = null;
    for (URI uri : wellKnownUris(issuer)) {
      HttpEndpoint.Answer answer;
      try {
        answer = HttpEndpoint.send(client, HttpRequest.newBuilder(uri).timeout(timeout)
            .header("Accept", "application/json").GET().build(), timeout);
      } catch (IOException e) {
        // Keep the class only: a foreign message could quote anything.
        tried.add(uri + " (" + e.getClass().getSimpleName() + ")");
        last = e;
        continue;
      }
      if (!answer.isSuccess()) {
        tried.add(uri + " (HTTP " + answer.status() + ")");
        continue;
      }
      return parse(uri, answer);
    }
    throw DiscoveryException.of(Reason.UNREACHABLE, "no metadata for issuer " + issuer
        + " within " + timeout.toMillis() + " ms; tried " + String.join(", ", tried), last);
  }

  private AuthorizationServerMetadata parse(URI where, HttpEndpoint.Answer answer)
      throws DiscoveryException {
    Map<String, Object> json;
    try {
      json = HttpEndpoint.json(answer);
    } catch (TokenEndpointException e) {
      throw DiscoveryException.of(Reason.NOT_JSON, "metadata of issuer " + issuer + " at " + where
          + " is not a JSON object: HTTP " + answer.status() + ", " + answer.contentType(), null);
    }
    Object published = json.get("issuer");
    if (!issuer.toString().equals(published)) {
      throw DiscoveryException.of(Reason.ISSUER_MISMATCH, "metadata at " + where + " names issuer '"
          + (published instanceof String ? published : String.valueOf(published))
          + "', but the configured issuer is '" + issuer + "': they must be equal character for"
          + " character (RFC 8414 section 3.3, mix-up defence). Configure the issuer exactly as"
          + " the server names it.", null);
    }
    URI token = endpoint(json, "token_endpoint", where, true);
    if (token == null) {
      throw new AssertionError();
    }
    return new AuthorizationServerMetadata(issuer.toString(), token,
        endpoint(json, "revocation_endpoint", where, false),
        endpoint(json, "introspection_endpoint", where, false),
        endpoint(json, "jwks_uri", where, false),
        strings(json, "token_endpoint_auth_methods_supported", where),
        strings(json, "dpop_signing_alg_values_supported", where),
        strings(json, "grant_types_supported", where));
  }

  private @Nullable URI endpoint(Map<String, Object> json, String field, URI where, boolean required)
      throws DiscoveryException {
    Object value = json.get(field);
    if (value == null && !required) {
      return null;
    }
    URI uri;
    try {
      uri = value instanceof String ? new URI((String) value) : null;
    } catch (java.net.URISyntaxException e) {
      uri = null;
    }
    if (uri == null || !uri.isAbsolute() || uri.getHost() == null) {
      throw DiscoveryException.of(required ? Reason.MISSING_TOKEN_ENDPOINT : Reason.INVALID_FIELD,
          "metadata of issuer " + issuer + " at " + where + (value == null ? " has no " + field : " has a " + field
          + " that is not an absolute URI"), null);
    }
    try {
      HttpEndpoint.checkEndpoint(uri, allowPlainHttp, field);
    } catch (IllegalArgumentException e) {
      throw DiscoveryException.of(Reason.PLAIN_HTTP, "metadata of issuer " + issuer + ": "
          + e.getMessage(), null);
    }
    return uri;
  }

  private List<String> strings(Map<String, Object> json, String field, URI where)
      throws DiscoveryException {
    Object value = json.get(field);
    if (value == null) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    if (value instanceof List) {
      for (Object item : (List<?>) value) {
        if (item instanceof String) {
          out.add((String) item);
          continue;
        }
        value = null;
        break;
      }
    }
    if (!(value instanceof List)) {
      throw DiscoveryException.of(Reason.INVALID_FIELD, "metadata of issuer " + issuer
          + " at " + where + ": " + field + " is not a list of strings", null);
    }
    return out;
  }

  @Override
  public String toString() {
    return "issuer " + HttpEndpoint.describe(issuer);
  }
}
