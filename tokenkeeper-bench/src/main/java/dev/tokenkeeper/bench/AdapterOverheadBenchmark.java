package dev.tokenkeeper.bench;

import dev.tokenkeeper.TokenHttpClient;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenPolicy;
import dev.tokenkeeper.TokenResponse;
import dev.tokenkeeper.httpclient5.TokenExecChainHandler;
import dev.tokenkeeper.okhttp.TokenInterceptor;
import dev.tokenkeeper.spring.TokenClientHttpRequestInterceptor;
import com.google.api.client.http.GenericUrl;
import com.google.api.client.http.HttpRequestFactory;
import com.google.api.client.testing.http.MockHttpTransport;
import com.google.api.client.testing.http.MockLowLevelHttpResponse;
import com.google.auth.http.HttpCredentialsAdapter;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.client.AbstractClientHttpRequest;
import org.springframework.http.client.ClientHttpRequest;
import org.springframework.http.client.ClientHttpRequestFactory;
import org.springframework.http.client.ClientHttpResponse;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.client.AuthorizedClientServiceOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.InMemoryOAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.InMemoryClientRegistrationRepository;
import org.springframework.security.oauth2.client.web.client.OAuth2ClientHttpRequestInterceptor;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.security.oauth2.core.OAuth2AccessToken;
import org.springframework.web.client.RestClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import okhttp3.Interceptor;
import org.apache.hc.client5.http.classic.ExecChainHandler;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.impl.ChainElement;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.core5.http.message.BasicClassicHttpResponse;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * B3's overhead without the network: a call through each client whose transport answers at once
 * (JDK: a canned {@link HttpClient}; OkHttp: a last application interceptor that answers), with a
 * static {@code Authorization} header vs through Tokenkeeper's adapter. The difference is what the
 * adapter adds to every request, in CPU and bytes, which B3's loopback figures hide in their noise.
 * OkHttp's network interceptors (the adapter's redirect guard among them) do not run here. Apache
 * HttpClient 5 (classic): an exec-chain handler placed just before {@code CONNECT} answers, so
 * the whole chain above it runs (redirects, retries, protocol, and Tokenkeeper's handler, which
 * sits before {@code PROTOCOL}) but no connection is opened. Spring's {@code RestClient}: a
 * {@link ClientHttpRequestFactory} whose requests answer 200 at once, with a static header, with a
 * plain interceptor that sets the static header (what Spring's interceptor plumbing alone costs),
 * with Tokenkeeper's {@link TokenClientHttpRequestInterceptor}, and with Spring Security's {@code
 * OAuth2ClientHttpRequestInterceptor} (a service-side authorized-client manager already holding a
 * valid token; registration id and principal resolved by fixed lambdas, its cheapest set-up).
 * Google's {@code HttpCredentialsAdapter}: google-http-client on its {@code MockHttpTransport}
 * (the transport, not the thing measured) with credentials holding a valid token, vs the same
 * client with a static header.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
// Ten one-second warm-up iterations: with three of 500 ms, Apache's exec chain was still being
// compiled in the first measured iterations (12 and 7 us, then 0.7-0.9 us per call), and the median
// of five landed on the slow ones in one run and the fast ones in another.
@Warmup(iterations = 10, time = 1)
@Measurement(iterations = 5, time = 1)
public class AdapterOverheadBenchmark {
  private static final URI ORIGIN = URI.create("http://127.0.0.1:8080");
  private static final URI TARGET = ORIGIN.resolve("/api/items");

  private TokenKeeper keeper;
  private String header;
  private HttpClient jdk;
  private HttpClient jdkKeeper;
  private OkHttpClient ok;
  private OkHttpClient okKeeper;
  private CloseableHttpClient apache;
  private CloseableHttpClient apacheKeeper;
  private RestClient spring;
  private RestClient springHeaderInterceptor;
  private RestClient springKeeper;
  private RestClient springSecurity;
  private HttpRequestFactory google;
  private HttpRequestFactory googleAdapter;
  private GenericUrl googleTarget;

  @Setup(Level.Trial)
  public void setUp() {
    String given = System.getProperty(HotPathBenchmark.JWT_PROPERTY);
    String jwt = given != null ? given : Jwts.mint(Duration.ofHours(1));
    keeper = TokenKeeper.newBuilder(request -> {
          throw new IllegalStateException("never refreshes");
        })
        .initialTokens(TokenResponse.bearer(jwt).withExpiresIn(Duration.between(Instant.now(), Jwts.expiry(jwt))))
        .build();
    header = keeper.token().authorizationHeader();
    TokenPolicy policy = TokenPolicy.of(ORIGIN, keeper);
    jdk = new CannedHttpClient();
    jdkKeeper = TokenHttpClient.wrap(jdk, policy);
    Interceptor answer = chain -> new Response.Builder()
        .request(chain.request())
        .protocol(Protocol.HTTP_1_1)
        .code(200)
        .message("OK")
        .body(ResponseBody.create("", null))
        .build();
    ok = new OkHttpClient.Builder().addInterceptor(answer).build();
    okKeeper = TokenInterceptor.install(new OkHttpClient.Builder(), policy).addInterceptor(answer).build();
    apache = answering(HttpClients.custom()).build();
    apacheKeeper = answering(TokenExecChainHandler.install(HttpClients.custom(), policy)).build();

    ClientHttpRequestFactory canned = new CannedSpringFactory();
    spring = RestClient.builder().requestFactory(canned).build();
    String staticHeader = header;
    springHeaderInterceptor = RestClient.builder().requestFactory(canned).requestInterceptor((request, body, execution) -> {
      request.getHeaders().set("Authorization", staticHeader);
      return execution.execute(request, body);
    }).build();
    springKeeper = RestClient.builder().requestFactory(canned)
        .requestInterceptor(TokenClientHttpRequestInterceptor.of(policy)).build();
    springSecurity = RestClient.builder().requestFactory(canned)
        .requestInterceptor(springSecurityInterceptor(jwt)).build();

    MockHttpTransport transport = new MockHttpTransport.Builder()
        .setLowLevelHttpResponse(new MockLowLevelHttpResponse().setStatusCode(200)).build();
    google = transport.createRequestFactory();
    googleAdapter = transport.createRequestFactory(
        new HttpCredentialsAdapter(GooglePeer.withFreshToken(jwt, Jwts.expiry(jwt))));
    googleTarget = new GenericUrl(TARGET);
  }

  /**
   * Spring Security's interceptor on a service-side manager (in-memory registration and
   * authorized-client service) that already holds {@code jwt}: the token endpoint is never called.
   */
  private static OAuth2ClientHttpRequestInterceptor springSecurityInterceptor(String jwt) {
    ClientRegistration registration = ClientRegistration.withRegistrationId(SpringPeer.REGISTRATION)
        .clientId("test-client")
        .clientSecret("test-secret")
        .clientAuthenticationMethod(ClientAuthenticationMethod.CLIENT_SECRET_BASIC)
        .authorizationGrantType(AuthorizationGrantType.CLIENT_CREDENTIALS)
        .tokenUri("https://auth.example.com/oauth2/token")
        .build();
    InMemoryClientRegistrationRepository registrations = new InMemoryClientRegistrationRepository(registration);
    InMemoryOAuth2AuthorizedClientService service = new InMemoryOAuth2AuthorizedClientService(registrations);
    Authentication principal = UsernamePasswordAuthenticationToken.authenticated("bench-service", null, List.of());
    service.saveAuthorizedClient(new OAuth2AuthorizedClient(registration, "bench-service",
        new OAuth2AccessToken(OAuth2AccessToken.TokenType.BEARER, jwt, Instant.now(), Jwts.expiry(jwt))), principal);
    OAuth2ClientHttpRequestInterceptor interceptor = new OAuth2ClientHttpRequestInterceptor(
        new AuthorizedClientServiceOAuth2AuthorizedClientManager(registrations, service));
    interceptor.setClientRegistrationIdResolver(request -> SpringPeer.REGISTRATION);
    interceptor.setPrincipalResolver(request -> principal);
    return interceptor;
  }

  /** Spring's transport stand-in: every request answers 200 with no body, at once. */
  private static final class CannedSpringFactory implements ClientHttpRequestFactory {
    @Override
    public ClientHttpRequest createRequest(URI uri, HttpMethod method) {
      return new AbstractClientHttpRequest() {
        @Override
        public HttpMethod getMethod() {
          return method;
        }

        @Override
        public URI getURI() {
          return uri;
        }

        @Override
        protected OutputStream getBodyInternal(HttpHeaders headers) {
          return OutputStream.nullOutputStream();
        }

        @Override
        protected ClientHttpResponse executeInternal(HttpHeaders headers) {
          return new ClientHttpResponse() {
            private final HttpHeaders responseHeaders = new HttpHeaders();

            @Override
            public HttpStatusCode getStatusCode() {
              return HttpStatus.OK;
            }

            @Override
            public String getStatusText() {
              return "OK";
            }

            @Override
            public HttpHeaders getHeaders() {
              return responseHeaders;
            }

            @Override
            public InputStream getBody() {
              return InputStream.nullInputStream();
            }

            @Override
            public void close() {}
          };
        }
      };
    }
  }

  /** Answers 200 just before the connection step: the chain runs, no socket is opened. */
  private static HttpClientBuilder answering(HttpClientBuilder builder) {
    ExecChainHandler answer = (request, scope, chain) -> new BasicClassicHttpResponse(200, "OK");
    return builder.addExecInterceptorBefore(ChainElement.CONNECT.name(), "bench-answer", answer)
        .disableAutomaticRetries()
        .disableCookieManagement()
        .disableRedirectHandling();
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    apache.close();
    apacheKeeper.close();
    keeper.close();
  }

  @Benchmark
  public int jdkStaticHeader() throws IOException, InterruptedException {
    return jdk.send(HttpRequest.newBuilder(TARGET).header("Authorization", header).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  @Benchmark
  public int jdkTokenHttpClient() throws IOException, InterruptedException {
    return jdkKeeper.send(HttpRequest.newBuilder(TARGET).build(), HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  /** A request with a header of the caller's own: the JDK adapter then copies the request. */
  @Benchmark
  public int jdkStaticHeaderWithAccept() throws IOException, InterruptedException {
    return jdk.send(HttpRequest.newBuilder(TARGET).header("Accept", "application/json").header("Authorization", header)
        .build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  @Benchmark
  public int jdkTokenHttpClientWithAccept() throws IOException, InterruptedException {
    return jdkKeeper.send(HttpRequest.newBuilder(TARGET).header("Accept", "application/json").build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  @Benchmark
  public int apacheStaticHeader() throws IOException {
    HttpGet get = new HttpGet(TARGET);
    get.setHeader("Authorization", header);
    return apache.execute(get, response -> response.getCode());
  }

  @Benchmark
  public int apacheTokenExecChainHandler() throws IOException {
    return apacheKeeper.execute(new HttpGet(TARGET), response -> response.getCode());
  }

  @Benchmark
  public int okHttpStaticHeader() throws IOException {
    try (Response response = ok.newCall(new Request.Builder().url(TARGET.toString())
        .header("Authorization", header).build()).execute()) {
      return response.code();
    }
  }

  @Benchmark
  public int okHttpTokenInterceptor() throws IOException {
    try (Response response = okKeeper.newCall(new Request.Builder().url(TARGET.toString()).build()).execute()) {
      return response.code();
    }
  }

  @Benchmark
  public int springStaticHeader() {
    return spring.get().uri(TARGET).header("Authorization", header)
        .exchange((request, response) -> response.getStatusCode().value());
  }

  @Benchmark
  public int springStaticHeaderInterceptor() {
    return springHeaderInterceptor.get().uri(TARGET).exchange((request, response) -> response.getStatusCode().value());
  }

  @Benchmark
  public int springTokenInterceptor() {
    return springKeeper.get().uri(TARGET).exchange((request, response) -> response.getStatusCode().value());
  }

  @Benchmark
  public int springSecurityOAuth2Interceptor() {
    return springSecurity.get().uri(TARGET).exchange((request, response) -> response.getStatusCode().value());
  }

  @Benchmark
  public int googleStaticHeader() throws IOException {
    com.google.api.client.http.HttpRequest request = google.buildGetRequest(googleTarget);
    request.getHeaders().setAuthorization(header);
    com.google.api.client.http.HttpResponse response = request.execute();
    try {
      return response.getStatusCode();
    } finally {
      response.disconnect();
    }
  }

  @Benchmark
  public int googleHttpCredentialsAdapter() throws IOException {
    com.google.api.client.http.HttpResponse response = googleAdapter.buildGetRequest(googleTarget).execute();
    try {
      return response.getStatusCode();
    } finally {
      response.disconnect();
    }
  }
}
