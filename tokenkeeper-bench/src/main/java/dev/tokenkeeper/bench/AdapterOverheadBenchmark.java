package dev.tokenkeeper.bench;

import dev.tokenkeeper.TokenHttpClient;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenPolicy;
import dev.tokenkeeper.TokenResponse;
import dev.tokenkeeper.httpclient5.TokenExecChainHandler;
import dev.tokenkeeper.okhttp.TokenInterceptor;
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
 * sits before {@code PROTOCOL}) but no connection is opened.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
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
}
