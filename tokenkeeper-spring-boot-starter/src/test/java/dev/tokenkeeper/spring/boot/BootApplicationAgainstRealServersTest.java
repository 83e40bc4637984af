package dev.tokenkeeper.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tokenkeeper.CredentialsRejectedException;
import dev.tokenkeeper.ReauthenticationRequiredException;
import dev.tokenkeeper.TokenException;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.testing.Fault;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.boot.Banner;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.client.AuthorizedClientServiceOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientProviderBuilder;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.security.oauth2.client.web.client.OAuth2ClientHttpRequestInterceptor;
import org.springframework.security.oauth2.core.OAuth2AccessToken;
import org.springframework.security.oauth2.core.OAuth2RefreshToken;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.support.RestClientAdapter;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.service.annotation.GetExchange;
import org.springframework.web.service.annotation.HttpExchange;
import org.springframework.web.service.annotation.PostExchange;
import org.springframework.web.service.invoker.HttpServiceProxyFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real Boot 4 application, started here on a random port, with its clients configured by
 * properties alone: {@code sas} ({@code client_credentials} against Spring Authorization Server in
 * this JVM), {@code rotating} ({@code refresh_token} against {@link ScriptedTokenServer}, rotation
 * and reuse detection on) and {@code broken} (a wrong secret). 50 threads call two APIs through
 * Boot's {@code RestClient.Builder}, {@code WebClient.Builder} and an {@code @HttpExchange}
 * interface, GET and POST with bodies, for more than ten 2-second token lifetimes while the APIs
 * revoke tokens. Then, against the same servers and with the same load, Spring Security's {@link
 * OAuth2ClientHttpRequestInterceptor} on a rotating session of its own. Actuator is read over HTTP.
 *
 * <p>The methods run in order on one application: each one's figures are the next one's start.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BootApplicationAgainstRealServersTest {
  static final Duration TTL = Duration.ofSeconds(2);
  static final Duration RUN = TTL.multipliedBy(11);
  /**
   * What the APIs allow past a token's {@code exp}: two lifetimes, judged at the instant the request
   * left the client ({@link #SENT_AT}; a 2 s token has 1-2 s left on receipt, since exp is in whole
   * seconds). With one lifetime, runs at load average 16-30 had 5 of 495 requests refused as
   * expired, tokens 2.9-3.4 s past exp when stamped: the whole test JVM (50 client threads, the
   * application, both token servers and both APIs on 2 starved cores) stalled between taking the
   * token and stamping the request. Resource servers allow more (Spring Security's default is 60 s);
   * that a keeper never hands out an expired token is proven on a test clock in core. Revocations
   * still reject, and a keeper that did not refresh ahead would still make fewer endpoint calls than
   * lifetimes crossed. The test prints how late the latest token came.
   */
  static final Duration SKEW = TTL.multipliedBy(2);

  /**
   * Stamps the instant a request leaves the client, after its token was attached (the last
   * interceptor, so each retry is stamped again); the APIs judge expiry at that instant. What a
   * loaded 2-core machine does to a request after that (requests sat 5-6 s in the servers' queues at
   * load average 30-40, and 2 s tokens expired on the way) is no client's doing, and earlier runs
   * had to be voided for it.
   */
  static final org.springframework.http.client.ClientHttpRequestInterceptor SENT_AT = (request, body, execution) -> {
    request.getHeaders().set(CountingApi.SENT_AT, Long.toString(System.currentTimeMillis()));
    return execution.execute(request, body);
  };

  /** {@link #SENT_AT} for {@code WebClient}: the last filter, run again by each retry. */
  static final org.springframework.web.reactive.function.client.ExchangeFilterFunction SENT_AT_FILTER =
      (request, next) -> next.exchange(org.springframework.web.reactive.function.client.ClientRequest.from(request)
          .header(CountingApi.SENT_AT, Long.toString(System.currentTimeMillis())).build());

  static final int THREADS = 50;
  static final int REVOCATIONS = 3;
  static final List<String> KINDS = List.of("rest-client", "web-client", "http-exchange");
  static final String SPRING_CLIENT = "spring-client";
  static final String SPRING_SECRET = "spring-secret";

  private AuthorizationServer sas;
  private ScriptedTokenServer tokens;
  private CountingApi sasApi;
  private CountingApi rotatingApi;
  private ConfigurableApplicationContext app;
  private URI appBase;
  private String initialRefreshToken;
  private final HttpClient http = HttpClient.newHttpClient();
  private final List<String> secretsSeen = Collections.synchronizedList(new ArrayList<>());
  private final List<Sender> senders = new ArrayList<>();
  private Load tokenkeeperLoad;
  private long tokenkeeperRotatingCalls;

  @HttpExchange("/api")
  interface Items {
    @GetExchange("/items")
    String list(@org.springframework.web.bind.annotation.RequestHeader(CountingApi.REQUEST) String id);

    @PostExchange("/items")
    String create(@org.springframework.web.bind.annotation.RequestHeader(CountingApi.REQUEST) String id,
        @RequestBody String item);
  }

  /** The application under test: nothing but auto-configuration, and an open web layer for Actuator. */
  @Configuration(proxyBeanMethods = false)
  @EnableAutoConfiguration
  static class ClientApplication {
    @Bean
    SecurityFilterChain everythingOpen(HttpSecurity http) throws Exception {
      return http.authorizeHttpRequests(r -> r.anyRequest().permitAll()).csrf(c -> c.disable()).build();
    }
  }

  @BeforeAll
  void start() {
    sas = AuthorizationServer.start(TTL);
    tokens = ScriptedTokenServer.newBuilder().accessTokenTtl(TTL).rotateRefreshTokens(true).reuseDetection(true)
        .clients(Map.of("test-client", "test-secret", SPRING_CLIENT, SPRING_SECRET)).build().start();
    sasApi = new CountingApi(sas.jwkSet(), SKEW);
    rotatingApi = new CountingApi(tokens.jwkSet(), SKEW);
    initialRefreshToken = tokens.issueLogin("test-client", "alice");
    secretsSeen.addAll(List.of(initialRefreshToken, "test-secret", SPRING_SECRET, AuthorizationServer.CLIENT_SECRET,
        "wrong-secret"));
    Map<String, String> p = new java.util.LinkedHashMap<>();
    p.put("server.address", "127.0.0.1");
    p.put("server.port", "0");
    p.put("logging.level.root", "WARN");
    p.put("management.endpoints.web.exposure.include", "health,metrics");
    p.put("management.endpoint.health.show-details", "always");
    String sasClient = "tokenkeeper.clients.sas.";
    p.put(sasClient + "token-uri", sas.tokenUri().toString());
    p.put(sasClient + "client-id", AuthorizationServer.CLIENT_ID);
    p.put(sasClient + "client-secret", AuthorizationServer.CLIENT_SECRET);
    p.put(sasClient + "origins", sasApi.origin().toString());
    String rotating = "tokenkeeper.clients.rotating.";
    p.put(rotating + "token-uri", tokens.uri().toString());
    p.put(rotating + "grant", "refresh_token");
    p.put(rotating + "client-id", "test-client");
    p.put(rotating + "client-secret", "test-secret");
    p.put(rotating + "refresh-token", initialRefreshToken);
    p.put(rotating + "origins", rotatingApi.origin().toString());
    String broken = "tokenkeeper.clients.broken.";
    p.put(broken + "token-uri", sas.tokenUri().toString());
    p.put(broken + "client-id", AuthorizationServer.CLIENT_ID);
    p.put(broken + "client-secret", "wrong-secret");
    p.put(broken + "origins", "https://broken.example.com");
    // Spring Security's side: its own registration of the same kind at the same token server.
    String registration = "spring.security.oauth2.client.registration.spring-rotating.";
    p.put(registration + "client-id", SPRING_CLIENT);
    p.put(registration + "client-secret", SPRING_SECRET);
    p.put(registration + "authorization-grant-type", "authorization_code");
    p.put(registration + "redirect-uri", "http://127.0.0.1/authorized");
    p.put(registration + "provider", "scripted");
    p.put("spring.security.oauth2.client.provider.scripted.token-uri", tokens.uri().toString());
    p.put("spring.security.oauth2.client.provider.scripted.authorization-uri", "http://127.0.0.1/authorize");
    app = new SpringApplicationBuilder(ClientApplication.class)
        .bannerMode(Banner.Mode.OFF).logStartupInfo(false).registerShutdownHook(false)
        .run(p.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue()).toArray(String[]::new));
    appBase = URI.create("http://127.0.0.1:" + app.getEnvironment().getRequiredProperty("local.server.port"));
  }

  @AfterAll
  void stop() {
    for (AutoCloseable c : new AutoCloseable[] {app, rotatingApi, sasApi, tokens, sas}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        // keep closing the others
      }
    }
  }

  @Test
  @Order(1)
  void tokenkeeper_50ThreadsForTenLifetimes_noFailedRequest_oneEndpointCallPerToken_everyPostRetriedAfterRevocation()
      throws Exception {
    for (CountingApi api : List.of(sasApi, rotatingApi)) {
      for (String kind : KINDS) {
        senders.add(sender(api, kind));
      }
    }
    Load load = run(RUN, worker -> senders.get(worker % senders.size()), () -> {
      // Each API revokes a token once it has seen two more since its last revocation: never the
      // replacement that the retries of the previous revocation are still carrying.
      // On a starved machine (load average 40+) few requests run, so few tokens are needed: the
      // revocations stop with the run, and the assertions below ask for at least one per API.
      Map<CountingApi, Integer> atLastRevocation = new java.util.HashMap<>(Map.of(sasApi, 0, rotatingApi, 0));
      long over = System.nanoTime() + RUN.toNanos();
      for (int r = 1; r <= REVOCATIONS; r++) {
        for (CountingApi api : List.of(sasApi, rotatingApi)) {
          int target = Math.max(3 * r - 1, atLastRevocation.get(api) + 2);
          await().atMost(RUN.plusSeconds(30)).pollInterval(Duration.ofMillis(20))
              .until(() -> api.acceptedTokens() >= target || System.nanoTime() > over);
          if (api.acceptedTokens() >= target) {
            atLastRevocation.put(api, api.acceptedTokens());
            api.revokeNewest();
          }
        }
      }
    });
    tokenkeeperLoad = load;
    tokenkeeperRotatingCalls = refreshCalls("test-client");
    long lifetimes = load.elapsed().toMillis() / TTL.toMillis();
    long sasCalls = sas.tokenCalls(200);
    long rotatingCalls = tokens.tokenRequests("refresh_token");
    System.out.printf("Tokenkeeper: %s, %d lifetimes; sas: %d calls, %d tokens used, refused %s;"
        + " rotating: %d calls, %d tokens used, refused %s%n", load, lifetimes, sasCalls, sasApi.acceptedTokens(),
        sasApi.refusals(), rotatingCalls, rotatingApi.acceptedTokens(), rotatingApi.refusals());

    assertThat(load.failures()).as("failed requests: %s; %s; sas refused %s; rotating refused %s", load.firstFailures(),
        load, sasApi.refusals(), rotatingApi.refusals()).isZero();
    assertThat(lifetimes).isGreaterThanOrEqualTo(10);
    // One endpoint call per token the run went through (the last one may not have been used yet).
    assertThat(sasCalls).isBetween((long) sasApi.acceptedTokens(), sasApi.acceptedTokens() + 1L);
    assertThat(rotatingCalls).isBetween((long) rotatingApi.acceptedTokens(), rotatingApi.acceptedTokens() + 1L);
    assertThat(sas.tokenCalls(400) + sas.tokenCalls(401) + sas.tokenCalls(500)).isZero();
    assertThat(tokens.issuedAccessTokens()).isEqualTo(rotatingCalls);
    // ... and no refresh storm: at most one token per 70 % of the shortest life a token can have
    // (its exp is in whole seconds, so a 2 s token lives 1-2 s from its receipt; the keeper
    // refreshes 20-30 % ahead), plus one per revocation and the first.
    long mostTokens = (long) (load.elapsed().toMillis() / (0.7 * TTL.minusSeconds(1).toMillis())) + REVOCATIONS + 1;
    assertThat(sasCalls).isBetween(lifetimes, mostTokens);
    assertThat(rotatingCalls).isBetween(lifetimes, mostTokens);
    assertThat(tokens.reuseDetections()).isZero();
    assertThat(tokens.activeFamilies()).as("the session lives on").isEqualTo(1);
    assertThat(sasApi.revocations()).as("revocations at the sas API").isPositive();
    assertThat(rotatingApi.revocations()).as("revocations at the rotating API").isPositive();
    for (String kind : KINDS) {
      long postsRejected = sasApi.answers(kind, "POST", 401) + rotatingApi.answers(kind, "POST", 401);
      assertThat(postsRejected).as("%s POSTs answered 401 (each one retried: no request failed)", kind).isPositive();
      assertThat(sasApi.answers(kind, "POST", 200)).isPositive();
      assertThat(rotatingApi.answers(kind, "POST", 200)).isPositive();
    }
  }

  @Test
  @Order(2)
  void actuatorMetricsOverHttp_listTheMeters_withCountsOfTheTokenEndpointsOwnCounters() {
    JsonNode names = get("/actuator/metrics").json();
    assertThat(names.path("names").toString()).contains("\"tokenkeeper.refresh\"", "\"tokenkeeper.rejections\"",
        "\"tokenkeeper.rejections.after.refresh\"", "\"tokenkeeper.callers.waited\"",
        "\"tokenkeeper.callers.waiting\"", "\"tokenkeeper.token.expiry\"");
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(meter("tokenkeeper.refresh", "COUNT", "keeper:sas", "outcome:success"))
          .isEqualTo((double) sas.tokenCalls(200));
      assertThat(meter("tokenkeeper.refresh", "COUNT", "keeper:rotating", "outcome:success"))
          .isEqualTo((double) tokens.tokenRequests("refresh_token"));
    });
    // Not at least 1: on a starved machine every revoked token can have been replaced by the time its
    // 401 comes back (a late 401 refreshes nothing and is not counted); TokenKeeperMetricsTest counts
    // exactly.
    assertThat(meter("tokenkeeper.rejections", "COUNT", "keeper:sas"))
        .isBetween(0.0, (double) sasApi.answers("rest-client", 401) + sasApi.answers("web-client", 401)
            + sasApi.answers("http-exchange", 401));
    assertThat(meter("tokenkeeper.token.expiry", "VALUE", "keeper:rotating")).isLessThanOrEqualTo(2.0);
  }

  @Test
  @Order(3)
  void springSecurityInterceptor_sameServersAndLoad_recordedNextToTokenkeeper() throws Exception {
    ClientRegistrationRepository registrations = app.getBean(ClientRegistrationRepository.class);
    OAuth2AuthorizedClientService service = app.getBean(OAuth2AuthorizedClientService.class);
    ClientRegistration registration = registrations.findByRegistrationId("spring-rotating");
    Authentication alice = UsernamePasswordAuthenticationToken.authenticated("alice", null, List.of());
    String refreshToken = tokens.issueLogin(SPRING_CLIENT, "alice");
    secretsSeen.add(refreshToken);
    Instant now = Instant.now();
    // As after a sign-in whose access token has since expired: the next call refreshes.
    service.saveAuthorizedClient(new OAuth2AuthorizedClient(registration, "alice",
        new OAuth2AccessToken(OAuth2AccessToken.TokenType.BEARER, "signed-in-earlier", now.minusSeconds(4),
            now.minusSeconds(2)), new OAuth2RefreshToken(refreshToken, now.minusSeconds(4))), alice);
    AuthorizedClientServiceOAuth2AuthorizedClientManager manager =
        new AuthorizedClientServiceOAuth2AuthorizedClientManager(registrations, service);
    // Spring's refresh_token provider, its clock skew scaled like Tokenkeeper's leeway (60 s would
    // make a 2 s token look expired on every call).
    manager.setAuthorizedClientProvider(OAuth2AuthorizedClientProviderBuilder.builder()
        .refreshToken(r -> r.clockSkew(Duration.ofMillis(200))).build());
    OAuth2ClientHttpRequestInterceptor interceptor = new OAuth2ClientHttpRequestInterceptor(manager);
    interceptor.setClientRegistrationIdResolver(request -> "spring-rotating");
    interceptor.setPrincipalResolver(request -> alice);
    RestClient spring = RestClient.builder().baseUrl(rotatingApi.origin().toString())
        .defaultHeader("X-Via", "spring-security").requestInterceptor(interceptor).requestInterceptor(SENT_AT).build();
    Sender sender = (id, post, body) -> post
        ? spring.post().uri("/api/items").header(CountingApi.REQUEST, id).body(body).retrieve().body(String.class)
        : spring.get().uri("/api/items").header(CountingApi.REQUEST, id).retrieve().body(String.class);

    int issuedBefore = tokens.issuedAccessTokens();
    long tokenkeeperCallsBefore = refreshCalls("test-client");
    int reuseBefore = tokens.reuseDetections();
    // The same threads as before; only the rotating client's half now goes through Spring Security.
    Load load = run(RUN, worker -> rotatingWorker(worker) ? sender : senders.get(worker % senders.size()), () -> {
      // The same revocations, as long as the session lasts to see new tokens.
      long over = System.nanoTime() + RUN.toNanos();
      for (int r = 1; r <= REVOCATIONS; r++) {
        int target = rotatingApi.acceptedTokens() + 2;
        await().atMost(RUN.plusSeconds(30)).pollInterval(Duration.ofMillis(20))
            .until(() -> rotatingApi.acceptedTokens() >= target || System.nanoTime() > over);
        if (rotatingApi.acceptedTokens() >= target) {
          rotatingApi.revokeNewest();
        }
      }
    });
    long springCalls = refreshCalls(SPRING_CLIENT);
    long springIssued = tokens.issuedAccessTokens() - issuedBefore - (refreshCalls("test-client") - tokenkeeperCallsBefore);
    boolean sessionAlive = service.loadAuthorizedClient("spring-rotating", "alice") != null;
    String table = table(load, springCalls, springCalls - springIssued, tokens.reuseDetections() - reuseBefore,
        sessionAlive);
    System.out.println(table);
    Files.createDirectories(Path.of("target"));
    Files.writeString(Path.of("target", "spring-side-by-side.md"), table);

    assertThat(tokenkeeperLoad.failures()).isZero();
    assertThat(load.sasFailures()).as("Tokenkeeper's sas half, meanwhile: %s; sas refused %s", load.firstFailures(),
        sasApi.refusals()).isZero();
    assertThat(load.rotatingRequests()).isPositive();
    assertThat(load.rotatingRequests() - load.rotatingFailures()).as("requests that did not fail were answered 200")
        .isEqualTo(rotatingApi.answers("spring-security", 200));
  }

  @Test
  @Order(4)
  void actuatorHealthOverHttp_showsEachKeepersState_neverATokenOrSecret() throws Exception {
    TokenKeeper rotating = app.getBean("rotatingTokenKeeper", TokenKeeper.class);
    TokenKeeper broken = app.getBean("brokenTokenKeeper", TokenKeeper.class);
    secretsSeen.add(rotating.token().value());
    secretsSeen.add(app.getBean("sasTokenKeeper", TokenKeeper.class).token().value());
    assertHealth("sas", "up", 200);
    assertHealth("rotating", "up", 200);
    assertHealth("broken", "idle", 200);

    tokens.failAll(Fault.status(503));
    // Make the keeper refresh: its token may have expired meanwhile (then asking refreshes), or not
    // (then invalidating it does). Either way an attempt meets the fault.
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      try {
        rotating.invalidate(rotating.token(Duration.ofMillis(100)));
      } catch (TokenException expected) {
        // the refresh asked for met the fault
      }
      assertHealth("rotating", "refreshing-with-backoff", 200);
    });
    tokens.clearFaults();
    // A caller waiting meanwhile may still hear of an attempt that met the fault: ask until served.
    await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
        .until(() -> secretsSeen.add(rotating.token(Duration.ofSeconds(5)).value()));
    awaitHealth("rotating", "up", 200);

    // Reuse detection: the refresh token the application started with, sent again, ends the session.
    HttpResponse<String> replay = http.send(HttpRequest.newBuilder(tokens.uri())
        .header("Authorization", "Basic " + Base64.getEncoder().encodeToString("test-client:test-secret".getBytes(StandardCharsets.UTF_8)))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString("grant_type=refresh_token&refresh_token=" + initialRefreshToken))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(replay.body()).contains("invalid_grant");
    try {
      rotating.invalidate(rotating.token());
    } catch (ReauthenticationRequiredException alreadyOver) {
      // the token had expired since: the refresh that asking started already met the refusal
    }
    assertThatThrownBy(rotating::token).isInstanceOf(ReauthenticationRequiredException.class);
    awaitHealth("rotating", "session-expired", 503);

    // The keeper keeps retrying refused credentials (with a long backoff): a caller waits its deadline.
    assertThatThrownBy(() -> broken.token(Duration.ofSeconds(2))).isInstanceOf(CredentialsRejectedException.class);
    awaitHealth("broken", "credentials-rejected", 503);

    long endpointFailing = tokens.requests().stream().filter(r -> r.fault() != null).count();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(meter("tokenkeeper.refresh.failures", "COUNT", "keeper:broken", "reason:credentials_rejected"))
          .isEqualTo((double) sas.tokenCalls(401));
      assertThat(meter("tokenkeeper.refresh.failures", "COUNT", "keeper:rotating", "reason:reauthentication_required"))
          .isEqualTo(1.0);
      assertThat(meter("tokenkeeper.refresh.failures", "COUNT", "keeper:rotating", "reason:endpoint_failing"))
          .isEqualTo((double) endpointFailing);
    });
    String payload = get("/actuator/health").body();
    for (String secret : secretsSeen) {
      assertThat(payload).doesNotContain(secret);
    }
  }

  // ------------------------------------------------------------------------------------ helpers

  /** One request; {@code body} is null for a GET. */
  interface Sender {
    String send(String id, boolean post, String body) throws Exception;
  }

  /** What a run saw: all requests, and those of the workers on the rotating client. */
  record Load(long requests, long failures, long sasFailures, long rotatingRequests,
      long rotatingFailures, List<String> firstFailures, Duration elapsed) {
    @Override
    public String toString() {
      return requests + " requests (" + rotatingRequests + " rotating), " + failures + " failed ("
          + rotatingFailures + " rotating), " + elapsed.toMillis() + " ms";
    }
  }

  /** Workers 3-5 of every 6 use the rotating client, the others sas (see {@link #senders}). */
  private static boolean rotatingWorker(int worker) {
    return worker % (2 * KINDS.size()) >= KINDS.size();
  }

  private Sender sender(CountingApi api, String kind) {
    String base = api.origin().toString();
    switch (kind) {
      case "rest-client": {
        RestClient client = app.getBean(RestClient.Builder.class).baseUrl(base).defaultHeader("X-Via", kind)
            .requestInterceptor(SENT_AT).build();
        return (id, post, body) -> post
            ? client.post().uri("/api/items").header(CountingApi.REQUEST, id).body(body).retrieve().body(String.class)
            : client.get().uri("/api/items").header(CountingApi.REQUEST, id).retrieve().body(String.class);
      }
      case "web-client": {
        WebClient client = app.getBean(WebClient.Builder.class).baseUrl(base).defaultHeader("X-Via", kind)
            .filter(SENT_AT_FILTER).build();
        return (id, post, body) -> (post
            ? client.post().uri("/api/items").header(CountingApi.REQUEST, id).bodyValue(body).retrieve().bodyToMono(String.class)
            : client.get().uri("/api/items").header(CountingApi.REQUEST, id).retrieve().bodyToMono(String.class))
            .block(Duration.ofSeconds(60));
      }
      default: {
        RestClient client = app.getBean(RestClient.Builder.class).baseUrl(base).defaultHeader("X-Via", kind)
            .requestInterceptor(SENT_AT).build();
        Items items = HttpServiceProxyFactory.builderFor(RestClientAdapter.create(client)).build().createClient(Items.class);
        return (id, post, body) -> post ? items.create(id, body) : items.list(id);
      }
    }
  }

  /**
   * {@value #THREADS} threads, released together, each sending GET and POST in turn through its
   * sender until {@code duration} has passed, while {@code during} runs on this thread.
   */
  private static Load run(Duration duration, java.util.function.IntFunction<Sender> senders, ThrowingRunnable during)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    CountDownLatch gate = new CountDownLatch(1);
    LongAdder requests = new LongAdder();
    LongAdder failures = new LongAdder();
    LongAdder sasFailures = new LongAdder();
    LongAdder rotatingRequests = new LongAdder();
    LongAdder rotatingFailures = new LongAdder();
    List<String> firstFailures = Collections.synchronizedList(new ArrayList<>());
    long[] end = new long[1];
    List<Future<?>> workers = new ArrayList<>();
    try {
      for (int i = 0; i < THREADS; i++) {
        int worker = i;
        Sender sender = senders.apply(worker);
        workers.add(pool.submit(() -> {
          gate.await();
          for (long n = 0; System.nanoTime() < end[0]; n++) {
            boolean post = n % 2 == 1;
            String body = post ? "item " + worker + " " + n : null;
            requests.increment();
            long sent = System.nanoTime();
            if (rotatingWorker(worker)) {
              rotatingRequests.increment();
            }
            try {
              String answer = sender.send(worker + "-" + n, post, body);
              int length = post ? body.getBytes(StandardCharsets.UTF_8).length : 0;
              if (answer == null || !answer.startsWith("ok ") || !answer.endsWith(" " + length)) {
                throw new IllegalStateException("unexpected answer " + answer);
              }
            } catch (Exception e) {
              failures.increment();
              if (!rotatingWorker(worker)) {
                sasFailures.increment();
              }
              if (rotatingWorker(worker)) {
                rotatingFailures.increment();
              }
              if (firstFailures.size() < 5) {
                firstFailures.add(e.getClass().getSimpleName() + ": " + e.getMessage());
              }
            }
          }
          return null;
        }));
      }
      long start = System.nanoTime();
      end[0] = start + duration.toNanos();
      gate.countDown();
      during.run();
      for (Future<?> w : workers) {
        w.get(duration.toSeconds() + 120, TimeUnit.SECONDS);
      }
      return new Load(requests.sum(), failures.sum(), sasFailures.sum(), rotatingRequests.sum(), rotatingFailures.sum(),
          List.copyOf(firstFailures),
          Duration.ofNanos(System.nanoTime() - start));
    } finally {
      pool.shutdownNow();
    }
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  private long refreshCalls(String clientId) {
    return tokens.requests().stream()
        .filter(r -> "refresh_token".equals(r.grantType()) && clientId.equals(r.clientId())).count();
  }

  private String table(Load spring, long springCalls, long springInvalidGrant, int springReuse, boolean springAlive) {
    return String.join("\n",
        "| rotating `refresh_token` client: " + java.util.stream.IntStream.range(0, THREADS).filter(BootApplicationAgainstRealServersTest::rotatingWorker).count() + " of " + THREADS + " threads, "
            + RUN.toSeconds() + " s, 2 s tokens, " + REVOCATIONS + " revocations"
            + " | requests | failed | token endpoint calls | `invalid_grant` | reuse detections | session alive at the end |",
        "|---|---|---|---|---|---|---|",
        "| Tokenkeeper starter (`RestClient`, `WebClient`, `@HttpExchange`) | " + tokenkeeperLoad.rotatingRequests()
            + " | " + tokenkeeperLoad.rotatingFailures() + " | " + tokenkeeperRotatingCalls + " | 0 | 0 | yes |",
        "| Spring Security `OAuth2ClientHttpRequestInterceptor` (`RestClient`) | " + spring.rotatingRequests() + " | "
            + spring.rotatingFailures() + " | " + springCalls + " | " + springInvalidGrant + " | " + springReuse + " | "
            + (springAlive ? "yes" : "no") + " |",
        "");
  }

  private record Answer(int status, String body) {
    JsonNode json() {
      return JsonMapper.builder().build().readTree(body);
    }
  }

  private Answer get(String path) {
    try {
      HttpResponse<String> response = http.send(HttpRequest.newBuilder(appBase.resolve(path)).build(),
          HttpResponse.BodyHandlers.ofString());
      return new Answer(response.statusCode(), response.body());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private double meter(String name, String statistic, String... tags) {
    StringBuilder path = new StringBuilder("/actuator/metrics/" + name);
    for (int i = 0; i < tags.length; i++) {
      path.append(i == 0 ? '?' : '&').append("tag=").append(tags[i]);
    }
    Answer answer = get(path.toString());
    assertThat(answer.status()).as("%s: %s", path, answer.body()).isEqualTo(200);
    for (JsonNode m : answer.json().path("measurements")) {
      if (m.path("statistic").asString().equals(statistic)) {
        return m.path("value").asDouble();
      }
    }
    throw new AssertionError("no " + statistic + " in " + answer.body());
  }

  private void assertHealth(String keeper, String state, int status) {
    Answer answer = get("/actuator/health");
    assertThat(answer.status()).as(answer.body()).isEqualTo(status);
    assertThat(answer.json().path("components").path("tokenkeeper").path("components").path(keeper)
        .path("details").path("state").asString()).as(answer.body()).isEqualTo(state);
  }

  private void awaitHealth(String keeper, String state, int status) {
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertHealth(keeper, state, status));
  }
}
