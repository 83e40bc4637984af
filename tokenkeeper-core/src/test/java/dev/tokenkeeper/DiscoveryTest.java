package dev.tokenkeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.tokenkeeper.testing.Fault;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link OAuth2TokenEndpoint#forIssuer}: metadata (RFC 8414 / OpenID Connect Discovery) read from
 * real servers on loopback, the mix-up defence, caching and the fetch again after a failure.
 */
class DiscoveryTest {
  private static final TokenRequest INITIAL = new TokenRequest(null, TokenRequest.Reason.INITIAL);
  private final ScriptedTokenServer tokens = ScriptedTokenServer.newBuilder().build().start();
  /** A metadata server whose documents the test sets, path by path. */
  private final HttpServer metadataServer;
  private final Map<String, String[]> documents = new ConcurrentHashMap<>(); // path -> {content type, body}
  private final AtomicInteger metadataRequests = new AtomicInteger();
  private final URI metadataBase;

  DiscoveryTest() throws IOException {
    metadataServer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    metadataServer.createContext("/", exchange -> {
      metadataRequests.incrementAndGet();
      String[] document = documents.get(exchange.getRequestURI().getPath());
      byte[] body = (document == null ? "not found" : document[1]).getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", document == null ? "text/plain" : document[0]);
      exchange.sendResponseHeaders(document == null ? 404 : 200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    metadataServer.start();
    metadataBase = URI.create("http://127.0.0.1:" + metadataServer.getAddress().getPort());
  }

  @AfterEach
  void stop() {
    tokens.close();
    metadataServer.stop(0);
  }

  private static OAuth2TokenEndpoint.Builder forIssuer(URI issuer) {
    return OAuth2TokenEndpoint.forIssuer(issuer).clientId("test-client").clientSecret("test-secret")
        .timeout(Duration.ofSeconds(5));
  }

  private void publish(String path, String issuer, URI tokenEndpoint) {
    documents.put(path, new String[] {"application/json", "{\"issuer\":\"" + issuer
        + "\",\"token_endpoint\":\"" + tokenEndpoint + "\"}"});
  }

  @Test
  void issuerOnly_endpointsAndMethodsFromTheMetadata_fetchedOnce() throws Exception {
    OAuth2TokenEndpoint endpoint = forIssuer(tokens.issuerUri()).build();
    assertThat(tokens.metadataRequests()).as("build() fetches nothing").isZero();
    try (TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.clientCredentials()).build()) {
      keeper.token();
      keeper.invalidate(keeper.token());
      keeper.token();
    }
    AuthorizationServerMetadata metadata = endpoint.metadata();
    assertThat(metadata.issuer()).isEqualTo(tokens.issuerUri().toString());
    assertThat(metadata.tokenEndpoint()).isEqualTo(tokens.uri());
    assertThat(metadata.revocationEndpoint()).isEqualTo(tokens.revocationUri());
    assertThat(metadata.jwksUri()).isEqualTo(tokens.jwksUri());
    assertThat(metadata.supportsAuthMethod("client_secret_basic")).isTrue();
    assertThat(metadata.supportsAuthMethod("tls_client_auth")).isFalse();
    assertThat(metadata.dpopSigningAlgValuesSupported()).isEmpty();
    assertThat(tokens.tokenRequests()).isEqualTo(2);
    assertThat(tokens.metadataRequests()).as("cached").isEqualTo(1);
  }

  @Test
  void revoker_usesTheRevocationEndpointFromTheMetadata() throws Exception {
    OAuth2TokenEndpoint endpoint = forIssuer(tokens.issuerUri()).build();
    String login = tokens.issueLogin("alice");
    endpoint.revoker().revoke(new RefreshToken(login));
    assertThat(tokens.revocations()).isEqualTo(1);
  }

  @Test
  void issuerWithAPath_rfc8414InsertsTheWellKnownSegmentBeforeThePath() throws Exception {
    URI issuer = URI.create(metadataBase + "/tenants/acme");
    publish("/.well-known/oauth-authorization-server/tenants/acme", issuer.toString(), tokens.uri());
    OAuth2TokenEndpoint endpoint = forIssuer(issuer).build();
    assertThat(endpoint.clientCredentials().fetch(INITIAL).accessToken()).isNotEmpty();
    assertThat(metadataRequests).hasValue(1);
  }

  @Test
  void issuerWithAPath_openIdDiscoveryWhenRfc8414HasNone() throws Exception {
    URI issuer = URI.create(metadataBase + "/realms/acme");
    publish("/realms/acme/.well-known/openid-configuration", issuer.toString(), tokens.uri());
    OAuth2TokenEndpoint endpoint = forIssuer(issuer).build();
    assertThat(endpoint.metadata().tokenEndpoint()).isEqualTo(tokens.uri());
    assertThat(metadataRequests).as("RFC 8414's 404, then OpenID's").hasValue(2);
  }

  @Test
  void issuerMismatch_typedFailureNamingBoth_noTokenRequest() {
    // The metadata names another issuer: a mix-up attack, or a misconfigured client.
    publish("/.well-known/oauth-authorization-server", "https://evil.example", tokens.uri());
    OAuth2TokenEndpoint endpoint = forIssuer(metadataBase).build();
    assertThatThrownBy(() -> endpoint.clientCredentials().fetch(INITIAL))
        .isInstanceOfSatisfying(DiscoveryException.class,
            e -> assertThat(e.reason()).isEqualTo(DiscoveryException.Reason.ISSUER_MISMATCH))
        .hasMessageContaining("'https://evil.example'").hasMessageContaining("'" + metadataBase + "'");
    assertThat(tokens.tokenRequests()).isZero();
  }

  @Test
  void issuerMismatch_aTrailingSlashIsAnotherIssuer() {
    publish("/.well-known/oauth-authorization-server", metadataBase + "/", tokens.uri());
    assertThatThrownBy(() -> forIssuer(metadataBase).build().metadata())
        .isInstanceOfSatisfying(DiscoveryException.class,
            e -> assertThat(e.reason()).isEqualTo(DiscoveryException.Reason.ISSUER_MISMATCH));
  }

  @Test
  void unreachable_typed() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    OAuth2TokenEndpoint endpoint = forIssuer(URI.create("http://127.0.0.1:" + port)).build();
    assertThatThrownBy(endpoint::metadata).isInstanceOfSatisfying(DiscoveryException.class,
        e -> assertThat(e.reason()).isEqualTo(DiscoveryException.Reason.UNREACHABLE))
        .hasMessageContaining("/.well-known/oauth-authorization-server")
        .hasMessageContaining("/.well-known/openid-configuration");
  }

  @Test
  void notJson_typed() {
    documents.put("/.well-known/oauth-authorization-server", new String[] {"text/html", "<html>login</html>"});
    assertThatThrownBy(() -> forIssuer(metadataBase).build().metadata())
        .isInstanceOfSatisfying(DiscoveryException.class,
            e -> assertThat(e.reason()).isEqualTo(DiscoveryException.Reason.NOT_JSON));
  }

  @Test
  void missingTokenEndpoint_typed() {
    documents.put("/.well-known/oauth-authorization-server",
        new String[] {"application/json", "{\"issuer\":\"" + metadataBase + "\"}"});
    assertThatThrownBy(() -> forIssuer(metadataBase).build().metadata())
        .isInstanceOfSatisfying(DiscoveryException.class,
            e -> assertThat(e.reason()).isEqualTo(DiscoveryException.Reason.MISSING_TOKEN_ENDPOINT))
        .hasMessageContaining("token_endpoint");
  }

  @Test
  void plainHttpEndpointOffLoopbackInTheMetadata_typed() {
    publish("/.well-known/oauth-authorization-server", metadataBase.toString(),
        URI.create("http://auth.example.com/oauth2/token"));
    assertThatThrownBy(() -> forIssuer(metadataBase).build().metadata())
        .isInstanceOfSatisfying(DiscoveryException.class,
            e -> assertThat(e.reason()).isEqualTo(DiscoveryException.Reason.PLAIN_HTTP));
  }

  @Test
  void plainHttpIssuerOffLoopback_refusedByBuild() {
    assertThatThrownBy(() -> forIssuer(URI.create("http://auth.example.com")).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("plain http");
    assertThatThrownBy(() -> OAuth2TokenEndpoint.forIssuer(URI.create("https://auth.example.com?x=1")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("query");
    assertThatThrownBy(() -> forIssuer(URI.create("https://auth.example.com"))
        .revocationEndpoint(URI.create("https://auth.example.com/revoke")).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("metadata");
  }

  @Test
  void metadataOfAnEndpointBuiltFromItsTokenUri_illegalState() {
    assertThatThrownBy(() -> OAuth2TokenEndpoint.newBuilder(tokens.uri()).build().metadata())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("forIssuer");
  }

  @Test
  void tokenEndpointMoved_connectionRefused_metadataFetchedAgain_nextCallReachesTheNewEndpoint()
      throws Exception {
    try (ScriptedTokenServer moved = ScriptedTokenServer.newBuilder().build().start()) {
      ScriptedTokenServer old = ScriptedTokenServer.newBuilder().build().start();
      publish("/.well-known/oauth-authorization-server", metadataBase.toString(), old.uri());
      TokenSource source = forIssuer(metadataBase).build().clientCredentials();
      source.fetch(INITIAL);
      assertThat(metadataRequests).hasValue(1);

      old.close(); // the endpoint moves: the metadata now names another one
      publish("/.well-known/oauth-authorization-server", metadataBase.toString(), moved.uri());
      assertThatThrownBy(() -> source.fetch(INITIAL)).isInstanceOf(IOException.class)
          .isNotInstanceOf(DiscoveryException.class);
      assertThat(metadataRequests).as("not fetched again until the next call").hasValue(1);
      assertThat(source.fetch(INITIAL).accessToken()).isNotEmpty();
      assertThat(metadataRequests).hasValue(2);
      assertThat(moved.tokenRequests()).isEqualTo(1);
    }
  }

  @Test
  void tokenEndpoint404_metadataFetchedAgain_but503KeepsIt() throws Exception {
    publish("/.well-known/oauth-authorization-server", metadataBase.toString(), tokens.uri());
    TokenSource source = forIssuer(metadataBase).build().clientCredentials();
    tokens.enqueue(Fault.status(503), Fault.status(404));
    assertThatThrownBy(() -> source.fetch(INITIAL)).isInstanceOf(TokenEndpointException.class);
    assertThat(metadataRequests).as("a 503 is not a move").hasValue(1);
    assertThatThrownBy(() -> source.fetch(INITIAL)).isInstanceOf(TokenEndpointException.class);
    assertThat(source.fetch(INITIAL).accessToken()).isNotEmpty();
    assertThat(metadataRequests).as("fetched again after the 404").hasValue(2);
  }

  @Test
  void wellKnownUris_rfc8414PathInsertionThenOpenId() {
    assertThat(dev.tokenkeeper.internal.Discovery.wellKnownUris(URI.create("https://a.example/t/1/")))
        .containsExactly(URI.create("https://a.example/.well-known/oauth-authorization-server/t/1"),
            URI.create("https://a.example/t/1/.well-known/openid-configuration"));
    assertThat(dev.tokenkeeper.internal.Discovery.wellKnownUris(URI.create("https://a.example:8443")))
        .isEqualTo(List.of(URI.create("https://a.example:8443/.well-known/oauth-authorization-server"),
            URI.create("https://a.example:8443/.well-known/openid-configuration")));
  }
}
