package dev.tokenkeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.OctetSequenceKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.tokenkeeper.internal.ClientAssertions;
import dev.tokenkeeper.testing.RecordedTokenRequest;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import dev.tokenkeeper.testing.TestClock;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code client_secret_jwt} and {@code private_key_jwt} (RFC 7523) against a token server on
 * loopback that verifies every assertion (signature, iss/sub, aud, exp, jti never seen before).
 */
class ClientAssertionAuthenticationTest {
  private static final TokenRequest INITIAL = new TokenRequest(null, TokenRequest.Reason.INITIAL);
  /** 40 bytes: HS256 needs at least 32. */
  private static final String LONG_SECRET = "a-client-secret-of-forty-bytes-or-so-!!!";

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder().encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  @Test
  void clientSecretJwt_tokenIssued_secretNeverSent() throws Exception {
    try (ScriptedTokenServer server = ScriptedTokenServer.newBuilder().client("svc", LONG_SECRET).build().start()) {
      OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(server.uri()).clientId("svc")
          .clientSecret(LONG_SECRET).clientAuthentication(ClientAuthentication.CLIENT_SECRET_JWT).build();
      assertThat(endpoint.clientCredentials().fetch(INITIAL).accessToken()).isNotEmpty();
      RecordedTokenRequest request = server.requests().get(0);
      assertThat(request.clientAuthentication()).isEqualTo(RecordedTokenRequest.ClientAuthentication.JWT_ASSERTION);
      assertThat(request.parameter("client_secret")).isNull();
      assertThat(request.clientId()).isEqualTo("svc");
      assertThat(server.acceptedClientAssertionIds()).hasSize(1);
    }
  }

  @Test
  void privateKeyJwt_rsaFromAKeyStore_ecFromPem_rsaFromJwk_eachAccepted(@TempDir Path dir) throws Exception {
    // RSA from a PKCS#12 key store that keytool made, with its self-signed certificate.
    Path p12 = dir.resolve("client.p12");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "client", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=svc",
        "-validity", "2", "-storetype", "PKCS12", "-keystore", p12.toString(), "-storepass", "changeit")
        .redirectErrorStream(true).start();
    keytool.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
    assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(keytool.exitValue()).isZero();
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(p12)) {
      store.load(in, "changeit".toCharArray());
    }
    ClientAssertionKey fromStore = ClientAssertionKey.fromKeyStore(store, "client", "changeit".toCharArray());
    assertThat(fromStore.algorithm()).isEqualTo("RS256");
    assertThat(fromStore.certificateThumbprint()).isPresent();

    KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
    ec.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
    KeyPair ecPair = ec.generateKeyPair();
    ClientAssertionKey fromPem = ClientAssertionKey.fromPem(pem("PRIVATE KEY", ecPair.getPrivate().getEncoded()));
    assertThat(fromPem.algorithm()).isEqualTo("ES256");

    RSAKey jwk = new RSAKeyGenerator(2048).keyID("key-1").generate();
    ClientAssertionKey fromJwk = ClientAssertionKey.fromJwk(jwk.toJSONString());
    assertThat(fromJwk.keyId()).contains("key-1");
    assertThat(fromJwk.toString()).doesNotContain(jwk.getPrivateExponent().toString());

    try (ScriptedTokenServer server = ScriptedTokenServer.newBuilder()
        .clientKey("store-client", store.getCertificate("client").getPublicKey())
        .clientKey("pem-client", ecPair.getPublic())
        .clientKey("jwk-client", jwk.toPublicKey())
        .build().start()) {
      for (var client : List.of(java.util.Map.entry("store-client", fromStore),
          java.util.Map.entry("pem-client", fromPem), java.util.Map.entry("jwk-client", fromJwk))) {
        OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(server.uri()).clientId(client.getKey())
            .privateKeyJwt(client.getValue()).build();
        assertThat(endpoint.clientCredentials().fetch(INITIAL).accessToken()).as(client.getKey()).isNotEmpty();
      }
      assertThat(server.acceptedClientAssertionIds()).hasSize(3);
    }
  }

  @Test
  void assertionClaimsAndHeaders_issSubAudJtiIatExp_kidAndX5t() throws Exception {
    RSAKey jwk = new RSAKeyGenerator(2048).keyID("key-1").generate();
    X509Certificate certificate = selfSigned();
    ClientAssertionKey key = ClientAssertionKey.fromJwk(jwk.toJSONString()).withCertificate(certificate);
    ClientAssertions assertions = ClientAssertions.privateKey(key.signer(), key.algorithm(),
        key.keyId().orElse(null), key.certificateThumbprint().orElse(null), "svc", null,
        Duration.ofSeconds(60), InstantSource.system());
    URI tokenEndpoint = URI.create("https://auth.example.com/oauth2/token");
    SignedJWT jwt = SignedJWT.parse(assertions.create(tokenEndpoint));
    assertThat(jwt.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.RS256);
    assertThat(jwt.getHeader().getKeyID()).isEqualTo("key-1");
    assertThat(jwt.getHeader().getX509CertSHA256Thumbprint().toString())
        .isEqualTo(com.nimbusds.jose.util.X509CertUtils.computeSHA256Thumbprint(certificate).toString());
    JWTClaimsSet claims = jwt.getJWTClaimsSet();
    assertThat(claims.getIssuer()).isEqualTo("svc");
    assertThat(claims.getSubject()).isEqualTo("svc");
    assertThat(claims.getAudience()).containsExactly(tokenEndpoint.toString());
    assertThat(Duration.between(claims.getIssueTime().toInstant(), claims.getExpirationTime().toInstant()))
        .isEqualTo(Duration.ofSeconds(60));
    assertThat(claims.getIssueTime().toInstant()).isCloseTo(Instant.now(),
        org.assertj.core.api.Assertions.within(5, java.time.temporal.ChronoUnit.SECONDS));
    assertThat(jwt.verify(new com.nimbusds.jose.crypto.RSASSAVerifier(jwk.toRSAPublicKey()))).isTrue();

    ClientAssertions toIssuer = ClientAssertions.secret("svc", LONG_SECRET, "https://auth.example.com",
        Duration.ofSeconds(30), InstantSource.system());
    assertThat(SignedJWT.parse(toIssuer.create(tokenEndpoint)).getJWTClaimsSet().getAudience())
        .containsExactly("https://auth.example.com");
  }

  @Test
  void jtiNeverReused_100000AssertionsInMemory_and500AcceptedByTheServer() throws Exception {
    ClientAssertions assertions = ClientAssertions.secret("svc", LONG_SECRET, null, Duration.ofSeconds(60),
        InstantSource.system());
    Set<String> ids = new HashSet<>();
    URI uri = URI.create("https://auth.example.com/oauth2/token");
    for (int i = 0; i < 100_000; i++) {
      ids.add(SignedJWT.parse(assertions.create(uri)).getJWTClaimsSet().getJWTID());
    }
    assertThat(ids).hasSize(100_000);

    try (ScriptedTokenServer server = ScriptedTokenServer.newBuilder().client("svc", LONG_SECRET).build().start()) {
      TokenSource source = OAuth2TokenEndpoint.newBuilder(server.uri()).clientId("svc").clientSecret(LONG_SECRET)
          .clientAuthentication(ClientAuthentication.CLIENT_SECRET_JWT).build().clientCredentials();
      for (int i = 0; i < 500; i++) {
        source.fetch(INITIAL); // the server refuses a jti it has seen: each call must present a new one
      }
      assertThat(server.acceptedClientAssertionIds()).hasSize(500).doesNotHaveDuplicates();
    }
  }

  @Test
  void serverRefusesAReplayedAssertion() throws Exception {
    try (ScriptedTokenServer server = ScriptedTokenServer.newBuilder().client("svc", LONG_SECRET).build().start()) {
      ClientAssertions assertions = ClientAssertions.secret("svc", LONG_SECRET, null, Duration.ofSeconds(60),
          InstantSource.system());
      String assertion = assertions.create(server.uri());
      String form = "grant_type=client_credentials&client_id=svc&client_assertion_type="
          + "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=" + assertion;
      HttpClient http = HttpClient.newHttpClient();
      HttpRequest request = HttpRequest.newBuilder(server.uri()).header("Content-Type",
          "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(form)).build();
      assertThat(http.send(request, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
      HttpResponse<String> replay = http.send(request, HttpResponse.BodyHandlers.ofString());
      assertThat(replay.statusCode()).isEqualTo(401);
      assertThat(replay.body()).contains("invalid_client").contains("replay");
    }
  }

  @Test
  void wrongKey_serverRefuses_keeperReportsCredentialsRejected() throws Exception {
    RSAKey registered = new RSAKeyGenerator(2048).generate();
    RSAKey other = new RSAKeyGenerator(2048).generate();
    try (ScriptedTokenServer server = ScriptedTokenServer.newBuilder()
        .clientKey("svc", registered.toPublicKey()).build().start();
        TokenKeeper keeper = TokenKeeper.newBuilder(OAuth2TokenEndpoint.newBuilder(server.uri()).clientId("svc")
            .privateKeyJwt(ClientAssertionKey.fromJwk(other.toJSONString())).build().clientCredentials())
            .build()) {
      assertThatThrownBy(keeper::token).isInstanceOf(CredentialsRejectedException.class)
          .hasMessageContaining("invalid_client");
      assertThat(server.acceptedClientAssertionIds()).isEmpty();
    }
  }

  @Test
  void expiredAssertion_serverClockPastExp_refusedAsInvalidClient() throws Exception {
    // The server's clock is two minutes ahead: a 60-second assertion arrives already expired.
    TestClock serverClock = new TestClock(Instant.now().plus(Duration.ofMinutes(2)));
    try (ScriptedTokenServer server = ScriptedTokenServer.newBuilder().clock(serverClock)
        .client("svc", LONG_SECRET).build().start()) {
      TokenSource source = OAuth2TokenEndpoint.newBuilder(server.uri()).clientId("svc").clientSecret(LONG_SECRET)
          .clientAuthentication(ClientAuthentication.CLIENT_SECRET_JWT).build().clientCredentials();
      assertThatThrownBy(() -> source.fetch(INITIAL)).isInstanceOfSatisfying(TokenEndpointException.class, e -> {
        assertThat(e.isTerminal()).isTrue();
        assertThat(e.error()).contains("invalid_client");
      });
      // A longer-lived assertion is not expired yet on that clock.
      TokenSource longer = OAuth2TokenEndpoint.newBuilder(server.uri()).clientId("svc").clientSecret(LONG_SECRET)
          .clientAuthentication(ClientAuthentication.CLIENT_SECRET_JWT).assertionLifetime(Duration.ofMinutes(5))
          .build().clientCredentials();
      assertThat(longer.fetch(INITIAL).accessToken()).isNotEmpty();
    }
  }

  @Test
  void badKeys_refusedWhenBuilt() throws Exception {
    URI uri = URI.create("https://auth.example.com/oauth2/token");
    assertThatThrownBy(() -> OAuth2TokenEndpoint.newBuilder(uri).clientId("svc").clientSecret("short-secret")
        .clientAuthentication(ClientAuthentication.CLIENT_SECRET_JWT).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("32 bytes").hasMessageContaining("12")
        .hasMessageNotContaining("short-secret");
    KeyPairGenerator dsa = KeyPairGenerator.getInstance("DSA");
    dsa.initialize(2048);
    assertThatThrownBy(() -> ClientAssertionKey.fromPem(pem("PRIVATE KEY", dsa.generateKeyPair().getPrivate().getEncoded())))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("neither an RSA nor an EC");
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(1024);
    assertThatThrownBy(() -> ClientAssertionKey.fromPem(pem("PRIVATE KEY", rsa.generateKeyPair().getPrivate().getEncoded())))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2048");
    assertThatThrownBy(() -> ClientAssertionKey.fromPem(pem("RSA PRIVATE KEY", new byte[] {1, 2, 3})))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pkcs8");
    RSAKey publicOnly = new RSAKeyGenerator(2048).generate().toPublicJWK();
    assertThatThrownBy(() -> ClientAssertionKey.fromJwk(publicOnly.toJSONString()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no private part");
    OctetSequenceKey secret = new OctetSequenceKeyGenerator(256).generate();
    assertThatThrownBy(() -> ClientAssertionKey.fromJwk(secret.toJSONString()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("client_secret_jwt");
    ClientAssertionKey key = ClientAssertionKey.fromJwk(new RSAKeyGenerator(2048).generate().toJSONString());
    assertThatThrownBy(() -> OAuth2TokenEndpoint.newBuilder(uri).clientId("svc").clientSecret(LONG_SECRET)
        .privateKeyJwt(key).build()).isInstanceOf(IllegalStateException.class).hasMessageContaining("remove clientSecret");
    assertThatThrownBy(() -> OAuth2TokenEndpoint.newBuilder(uri).clientId("svc")
        .clientAuthentication(ClientAuthentication.PRIVATE_KEY_JWT).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("privateKeyJwt(key)");
    assertThatThrownBy(() -> OAuth2TokenEndpoint.newBuilder(uri).privateKeyJwt(key).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("client id");
  }

  /** A self-signed certificate, made by keytool in a temporary key store. */
  static X509Certificate selfSigned() throws Exception {
    Path dir = Files.createTempDirectory("tk-cert");
    Path p12 = dir.resolve("c.p12");
    try {
      Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
          "-genkeypair", "-alias", "c", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=svc",
          "-validity", "2", "-storetype", "PKCS12", "-keystore", p12.toString(), "-storepass", "changeit")
          .redirectErrorStream(true).start();
      keytool.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
      assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
      KeyStore store = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(p12)) {
        store.load(in, "changeit".toCharArray());
      }
      return (X509Certificate) store.getCertificate("c");
    } finally {
      Files.deleteIfExists(p12);
      Files.deleteIfExists(dir);
    }
  }
}
