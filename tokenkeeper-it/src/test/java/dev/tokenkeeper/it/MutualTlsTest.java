package dev.tokenkeeper.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import dev.tokenkeeper.AuthorizationServerMetadata;
import dev.tokenkeeper.ClientAuthentication;
import dev.tokenkeeper.OAuth2TokenEndpoint;
import dev.tokenkeeper.TokenHttpClient;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenPolicy;
import dev.tokenkeeper.okhttp.TokenInterceptor;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClient;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClientRepository;
import org.springframework.security.oauth2.server.authorization.settings.ClientSettings;
import org.springframework.security.oauth2.server.authorization.settings.OAuth2TokenFormat;
import org.springframework.security.oauth2.server.authorization.settings.TokenSettings;

/**
 * Mutual TLS client authentication (RFC 8705) against Spring Authorization Server over HTTPS:
 * {@code tls_client_auth} (SAS checks the certificate's subject DN) and {@code
 * self_signed_tls_client_auth} (SAS checks it against the client's JWK set), with
 * certificate-bound access tokens ({@code cnf.x5t#S256}) that the JDK and OkHttp adapters send to
 * the API over the same TLS identity. 20 threads for ten lifetimes each: 0 failures. The
 * certificates are made by {@code keytool} (no BouncyCastle on this class path).
 *
 * <p>The two cases run at the same time, against the one server ({@code @Execution(CONCURRENT)};
 * the module's {@code junit-platform.properties} keeps every other test on its own). So that the
 * server's total request rate stays that of one case alone (20 workers, one request each per 50
 * ms), each worker's period is raised in proportion to the cases running at once: 2 x 50 ms = 100
 * ms ({@link #ROUND}). Each case still has 20 workers for ten lifetimes, and its token endpoint
 * calls are counted on the server by its own client id ({@link ServerLedger#tokenCalls(String,
 * String, int)}), so the cases' counts do not mix.
 */
class MutualTlsTest {
  private static final Duration TTL = Duration.ofSeconds(3);
  private static final int WORKERS = 20;
  private static final int LIFETIMES = 10;
  /** The cases running at once: one per {@link Method}. */
  private static final int CASES_AT_ONCE = Method.values().length;
  /** Per worker: 50 ms for one case alone, times the cases running at once (100 ms). */
  private static final Duration ROUND = Duration.ofMillis(50).multipliedBy(CASES_AT_ONCE);
  private static final char[] PASSWORD = "changeit".toCharArray();

  enum Method { TLS_CLIENT_AUTH, SELF_SIGNED_TLS_CLIENT_AUTH }

  @TempDir
  static Path dir;
  private static final ServerLedger ledger = new ServerLedger();
  private static SpringAuthorizationServer server;
  private static HttpServer jwks;
  private static SSLContext selfSignedTls;
  private static SSLContext pkiTls;
  private static X509TrustManager clientTrust;
  private static X509Certificate clientCertificate;
  private static X509Certificate pkiCertificate;

  @BeforeAll
  static void start() throws Exception {
    Path serverStore = dir.resolve("server.p12");
    Path clientStore = dir.resolve("client.p12");
    Path serverTrust = dir.resolve("server-trust.p12");
    Path clientTrustStore = dir.resolve("client-trust.p12");
    keytool("-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=127.0.0.1",
        "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore", serverStore.toString(),
        "-storepass", "changeit");
    keytool("-genkeypair", "-alias", "client", "-keyalg", "EC", "-groupname", "secp256r1",
        "-dname", "CN=mtls-client,O=Tokenkeeper", "-validity", "2", "-storetype", "PKCS12",
        "-keystore", clientStore.toString(), "-storepass", "changeit");
    // tls_client_auth: a certificate issued by a CA (SAS takes a one-certificate chain for self-signed).
    Path caStore = dir.resolve("ca.p12");
    Path pkiStore = dir.resolve("pki-client.p12");
    keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=Test CA",
        "-ext", "bc:c", "-validity", "2", "-storetype", "PKCS12", "-keystore", caStore.toString(),
        "-storepass", "changeit");
    keytool("-genkeypair", "-alias", "pki", "-keyalg", "EC", "-groupname", "secp256r1",
        "-dname", "CN=pki-client,O=Tokenkeeper", "-validity", "2", "-storetype", "PKCS12",
        "-keystore", pkiStore.toString(), "-storepass", "changeit");
    keytool("-certreq", "-alias", "pki", "-keystore", pkiStore.toString(), "-storepass", "changeit",
        "-file", dir.resolve("pki.csr").toString());
    keytool("-gencert", "-alias", "ca", "-keystore", caStore.toString(), "-storepass", "changeit", "-rfc",
        "-validity", "2", "-infile", dir.resolve("pki.csr").toString(), "-outfile", dir.resolve("pki.cer").toString());
    keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", caStore.toString(), "-storepass", "changeit",
        "-file", dir.resolve("ca.cer").toString());
    keytool("-importcert", "-noprompt", "-alias", "ca", "-file", dir.resolve("ca.cer").toString(),
        "-storetype", "PKCS12", "-keystore", pkiStore.toString(), "-storepass", "changeit");
    keytool("-importcert", "-noprompt", "-alias", "pki", "-file", dir.resolve("pki.cer").toString(),
        "-storetype", "PKCS12", "-keystore", pkiStore.toString(), "-storepass", "changeit");
    keytool("-importcert", "-noprompt", "-alias", "ca", "-file", dir.resolve("ca.cer").toString(),
        "-storetype", "PKCS12", "-keystore", serverTrust.toString(), "-storepass", "changeit");
    keytool("-exportcert", "-alias", "server", "-keystore", serverStore.toString(), "-storepass", "changeit",
        "-file", dir.resolve("server.cer").toString());
    keytool("-exportcert", "-alias", "client", "-keystore", clientStore.toString(), "-storepass", "changeit",
        "-file", dir.resolve("client.cer").toString());
    keytool("-importcert", "-noprompt", "-alias", "client", "-file", dir.resolve("client.cer").toString(),
        "-storetype", "PKCS12", "-keystore", serverTrust.toString(), "-storepass", "changeit");
    keytool("-importcert", "-noprompt", "-alias", "server", "-file", dir.resolve("server.cer").toString(),
        "-storetype", "PKCS12", "-keystore", clientTrustStore.toString(), "-storepass", "changeit");

    KeyStore identity = load(clientStore);
    clientCertificate = (X509Certificate) identity.getCertificate("client");
    KeyStore pkiIdentity = load(pkiStore);
    pkiCertificate = (X509Certificate) pkiIdentity.getCertificate("pki");
    TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(load(clientTrustStore));
    clientTrust = (X509TrustManager) trust.getTrustManagers()[0];
    selfSignedTls = tls(identity, trust);
    pkiTls = tls(pkiIdentity, trust);

    // The self-signed client's JWK set: its public key with the certificate in x5c.
    // (JWK.parse(X509Certificate) needs BouncyCastle: built from the JDK's key instead.)
    JWK jwk = new com.nimbusds.jose.jwk.ECKey.Builder(com.nimbusds.jose.jwk.Curve.P_256,
        (java.security.interfaces.ECPublicKey) clientCertificate.getPublicKey())
        .x509CertChain(List.of(com.nimbusds.jose.util.Base64.encode(clientCertificate.getEncoded()))).build();
    byte[] set = new JWKSet(jwk).toString(true).getBytes(StandardCharsets.UTF_8);
    jwks = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    jwks.createContext("/jwks.json", exchange -> {
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, set.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(set);
      }
    });
    jwks.start();

    server = SpringAuthorizationServer.start(ledger, TTL, Map.ofEntries(
        Map.entry("server.ssl.enabled", "true"),
        Map.entry("server.ssl.key-store", serverStore.toString()),
        Map.entry("server.ssl.key-store-password", "changeit"),
        Map.entry("server.ssl.key-store-type", "PKCS12"),
        Map.entry("server.ssl.trust-store", serverTrust.toString()),
        Map.entry("server.ssl.trust-store-password", "changeit"),
        Map.entry("server.ssl.trust-store-type", "PKCS12"),
        Map.entry("server.ssl.client-auth", "want"),
        // One lifetime past exp, as in ClientAuthenticationMethodsTest: the stall is not what is measured.
        Map.entry("tokenkeeper-it.api-clock-skew", TTL.toMillis() + "ms"),
        Map.entry("tokenkeeper-it.jwks-trust-store", clientTrustStore.toString())));
    RegisteredClientRepository clients = server.bean(RegisteredClientRepository.class);
    clients.save(client("mtls-client", ClientAuthenticationMethod.TLS_CLIENT_AUTH,
        ClientSettings.builder().x509CertificateSubjectDN(pkiCertificate.getSubjectX500Principal().getName()).build()));
    clients.save(client("self-signed-client", ClientAuthenticationMethod.SELF_SIGNED_TLS_CLIENT_AUTH,
        ClientSettings.builder().jwkSetUrl("http://127.0.0.1:" + jwks.getAddress().getPort() + "/jwks.json").build()));
  }

  private static RegisteredClient client(String id, ClientAuthenticationMethod method, ClientSettings settings) {
    return RegisteredClient.withId(UUID.randomUUID().toString()).clientId(id)
        .clientAuthenticationMethod(method)
        .authorizationGrantType(AuthorizationGrantType.CLIENT_CREDENTIALS)
        .clientSettings(settings)
        .tokenSettings(TokenSettings.builder().accessTokenTimeToLive(TTL)
            .accessTokenFormat(OAuth2TokenFormat.SELF_CONTAINED).x509CertificateBoundAccessTokens(true).build())
        .build();
  }

  @AfterAll
  static void stop() {
    server.close();
    jwks.stop(0);
  }

  @ParameterizedTest
  @EnumSource(Method.class)
  @Execution(ExecutionMode.CONCURRENT)
  void twentyThreadsOverTheSameTlsIdentity_tenLifetimes_noFailure_certificateBoundTokens(Method method)
      throws Exception {
    String clientId = method == Method.TLS_CLIENT_AUTH ? "mtls-client" : "self-signed-client";
    SSLContext clientTls = method == Method.TLS_CLIENT_AUTH ? pkiTls : selfSignedTls;
    X509Certificate certificate = method == Method.TLS_CLIENT_AUTH ? pkiCertificate : clientCertificate;
    OAuth2TokenEndpoint endpoint = endpoint(server.origin(), clientId, ClientAuthentication.valueOf(method.name()),
        clientTls);
    RecordingSource source = new RecordingSource(endpoint.clientCredentials());
    CountingListener listener = new CountingListener();
    TokenKeeper keeper = TokenKeeper.newBuilder(source).listener(listener).build();
    X509TrustManager trustManager = clientTrust;
    URI apiOrigin = server.origin();
    // --- README: mtls-api ---
    TokenPolicy policy = TokenPolicy.of(apiOrigin, keeper);
    // Certificate-bound tokens (cnf.x5t#S256) are accepted only over the TLS identity they were issued to:
    HttpClient jdk = TokenHttpClient.wrap(HttpClient.newBuilder().sslContext(clientTls).build(), policy);
    OkHttpClient okHttp = TokenInterceptor.install(new OkHttpClient.Builder()
        .sslSocketFactory(clientTls.getSocketFactory(), trustManager), policy).build();
    // --- end ---
    AuthorizationServerMetadata metadata = endpoint.metadata();
    assertThat(metadata.supportsAuthMethod(method.name().toLowerCase(java.util.Locale.ROOT))).isTrue();
    long callsBefore = ledger.tokenCalls(clientId, "client_credentials");
    long okBefore = ledger.tokenCalls(clientId, "client_credentials", 200);
    long started = System.nanoTime();
    Workers workers;
    try (keeper) {
      String thumbprint = SignedJWT.parse(keeper.token().value()).getJWTClaimsSet().getJSONObjectClaim("cnf")
          .get("x5t#S256").toString();
      assertThat(thumbprint).isEqualTo(com.nimbusds.jose.util.X509CertUtils.computeSHA256Thumbprint(certificate).toString());
      workers = Workers.start(method.name(), ApiCalls.alternating(WORKERS, jdk, okHttp, server.api(), clientId),
          ROUND);
      Duration span = TTL.multipliedBy(LIFETIMES).plusSeconds(1);
      await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100))
          .until(() -> Duration.ofNanos(System.nanoTime() - started).compareTo(span) >= 0
              && source.calls().size() > LIFETIMES || workers.failures() > 0);
      workers.stop(Duration.ofSeconds(30));
      await().atMost(Duration.ofSeconds(15)).until(source::idle);
      okHttp.dispatcher().executorService().shutdown();
      okHttp.connectionPool().evictAll();
    }
    long calls = ledger.tokenCalls(clientId, "client_credentials") - callsBefore;
    long ok = ledger.tokenCalls(clientId, "client_credentials", 200) - okBefore;
    System.out.printf("%s: %d workers, %d requests, %d failures, %d token calls (%d accepted), %.1f s%n",
        method, WORKERS, workers.requests(), workers.failures(), calls, ok, (System.nanoTime() - started) / 1e9);
    assertThat(workers.firstFailures()).as("%s: first failures", method).isEmpty();
    assertThat(workers.failures()).as("%s: failures", method).isZero();
    assertThat(listener.failures).as("%s: listener failures", method).isEmpty();
    assertThat(source.calls().size()).as("%s: token calls", method).isGreaterThan(LIFETIMES);
    assertThat(ok).as("%s: token calls by %s accepted", method, clientId).isEqualTo(calls)
        .isEqualTo(source.calls().size());
  }

  static OAuth2TokenEndpoint endpoint(URI issuer, String clientId, ClientAuthentication method,
      SSLContext clientTls) {
    // --- README: mtls ---
    OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.forIssuer(issuer)
        .clientId(clientId)
        .clientAuthentication(method) // TLS_CLIENT_AUTH or SELF_SIGNED_TLS_CLIENT_AUTH
        .sslContext(clientTls)        // key manager: the client's certificate; trust manager: the server's CA
        .build();
    // --- end ---
    return endpoint;
  }

  private static SSLContext tls(KeyStore identity, TrustManagerFactory trust) throws Exception {
    KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keys.init(identity, PASSWORD);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
    return context;
  }

  private static KeyStore load(Path path) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(path)) {
      store.load(in, PASSWORD);
    }
    return store;
  }

  private static void keytool(String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as("keytool %s: %s", args[0], output).isZero();
  }
}
