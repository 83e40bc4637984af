package dev.tokenkeeper.micrometer;

import dev.tokenkeeper.TokenFailure;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenListener;
import dev.tokenkeeper.TokenRequest;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * Micrometer meters for one {@link TokenKeeper}: a {@link TokenListener} that records the keeper's
 * events, plus gauges read from the keeper itself. Needs nothing but Micrometer.
 *
 * <pre>{@code
 * TokenKeeperMetrics metrics = TokenKeeperMetrics.of(registry, "orders");
 * TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.clientCredentials())
 *     .name("orders")
 *     .listener(metrics)
 *     .build();
 * metrics.monitor(keeper);
 * }</pre>
 *
 * <h2>Meters</h2>
 * Every meter carries the tag {@code keeper} (the name given here: one per identity, so a handful
 * of values); the other tags take a few fixed values each, so cardinality stays low.
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>name</th><th>type</th><th>tags</th><th>what</th></tr>
 *   <tr><td>{@code tokenkeeper.refresh}</td><td>timer</td>
 *       <td>{@code outcome} = {@code success} | {@code failure}; {@code reason} = why it was asked
 *       ({@code initial}, {@code proactive}, {@code expired}, {@code rejected}, {@code sign_in}) on
 *       success, the failure ({@code endpoint_failing}, {@code credentials_rejected}) on failure</td>
 *       <td>token endpoint calls and how long they took</td></tr>
 *   <tr><td>{@code tokenkeeper.refresh.failures}</td><td>counter</td>
 *       <td>{@code reason} = {@code endpoint_failing} | {@code credentials_rejected} |
 *       {@code reauthentication_required}</td>
 *       <td>failed refreshes, and sessions that ended</td></tr>
 *   <tr><td>{@code tokenkeeper.rejections}</td><td>counter</td><td></td>
 *       <td>tokens a server rejected that made the keeper refresh (a late 401 for a token already
 *       replaced refreshes nothing and is not counted)</td></tr>
 *   <tr><td>{@code tokenkeeper.rejections.after.refresh}</td><td>counter</td><td></td>
 *       <td>requests rejected again with the token obtained after a rejection</td></tr>
 *   <tr><td>{@code tokenkeeper.callers.waited}</td><td>function counter</td><td></td>
 *       <td>calls that found no usable token and waited ({@link TokenKeeper#callersThatWaited()})</td></tr>
 *   <tr><td>{@code tokenkeeper.callers.waiting}</td><td>gauge</td><td></td>
 *       <td>callers waiting for a refresh now ({@link TokenKeeper#waitingCallers()})</td></tr>
 *   <tr><td>{@code tokenkeeper.token.expiry}</td><td>gauge, seconds</td><td></td>
 *       <td>time until the last obtained token expires; negative once expired, NaN when there is
 *       none or its expiry is unknown</td></tr>
 * </table>
 * No meter or tag holds a token, a fingerprint or a secret.
 *
 * <p>Thread-safe. The listener methods only update meters, quickly. <b>Like every listener, an
 * exception thrown here is logged and swallowed by the keeper.</b>
 */
public final class TokenKeeperMetrics implements TokenListener {
  private final MeterRegistry registry;
  private final Tags tags;
  private final InstantSource clock;
  private final AtomicReference<@Nullable Instant> expiresAt = new AtomicReference<>();
  private final Counter rejections;
  private final Counter rejectedAfterRefresh;

  private TokenKeeperMetrics(MeterRegistry registry, String keeper, InstantSource clock) {
    this.registry = registry;
    this.tags = Tags.of("keeper", keeper);
    this.clock = clock;
    this.rejections = Counter.builder("tokenkeeper.rejections").tags(tags)
        .description("Tokens a server rejected that made the keeper refresh").register(registry);
    this.rejectedAfterRefresh = Counter.builder("tokenkeeper.rejections.after.refresh").tags(tags)
        .description("Requests rejected again with the token obtained after a rejection").register(registry);
    Gauge.builder("tokenkeeper.token.expiry", this, TokenKeeperMetrics::secondsUntilExpiry).tags(tags)
        .baseUnit("seconds").description("Time until the last obtained access token expires").register(registry);
  }

  /**
   * Returns metrics for the keeper called {@code keeper}, on the system clock.
   *
   * @param registry where the meters go
   * @param keeper the {@code keeper} tag: name the keeper the same ({@link TokenKeeper.Builder#name})
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code keeper} is blank
   */
  public static TokenKeeperMetrics of(MeterRegistry registry, String keeper) {
    return of(registry, keeper, InstantSource.system());
  }

  /**
   * Returns metrics for the keeper called {@code keeper}, reading time until expiry on {@code clock}
   * (give the keeper's own clock).
   *
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code keeper} is blank
   */
  public static TokenKeeperMetrics of(MeterRegistry registry, String keeper, InstantSource clock) {
    Objects.requireNonNull(registry, "registry");
    Objects.requireNonNull(keeper, "keeper");
    Objects.requireNonNull(clock, "clock");
    if (keeper.isBlank()) {
      throw new IllegalArgumentException("keeper must name the keeper (the 'keeper' tag of every meter), not be blank");
    }
    return new TokenKeeperMetrics(registry, keeper, clock);
  }

  /**
   * Registers the gauges read from {@code keeper} itself: waiting callers and callers that waited.
   * Call once, after building the keeper with this listener. The meters hold the keeper weakly.
   *
   * @return this, for chaining
   * @throws NullPointerException if {@code keeper} is null
   */
  public TokenKeeperMetrics monitor(TokenKeeper keeper) {
    Objects.requireNonNull(keeper, "keeper");
    Gauge.builder("tokenkeeper.callers.waiting", keeper, TokenKeeper::waitingCallers).tags(tags)
        .description("Callers waiting for a refresh now").register(registry);
    FunctionCounter.builder("tokenkeeper.callers.waited", keeper, TokenKeeper::callersThatWaited).tags(tags)
        .description("Calls that found no usable token and waited for a refresh").register(registry);
    return this;
  }

  @Override
  public void onRefreshed(Refreshed event) {
    expiresAt.set(event.expiresAt());
    refreshTimer("success", tagValue(event.reason())).record(event.duration());
    if (event.reason() == TokenRequest.Reason.REJECTED) {
      rejections.increment();
    }
  }

  @Override
  public void onRefreshFailed(RefreshFailed event) {
    String reason = tagValue(event.reason());
    refreshTimer("failure", reason).record(event.duration());
    failures(reason).increment();
  }

  @Override
  public void onSessionExpired(SessionExpired event) {
    failures(tagValue(TokenFailure.REAUTHENTICATION_REQUIRED)).increment();
  }

  @Override
  public void onRejectedAfterRefresh(RejectedAfterRefresh event) {
    rejectedAfterRefresh.increment();
  }

  private Timer refreshTimer(String outcome, String reason) {
    return Timer.builder("tokenkeeper.refresh").tags(tags).tag("outcome", outcome).tag("reason", reason)
        .description("Token endpoint calls").register(registry);
  }

  private Counter failures(String reason) {
    return Counter.builder("tokenkeeper.refresh.failures").tags(tags).tag("reason", reason)
        .description("Failed refreshes, and sessions that ended").register(registry);
  }

  private double secondsUntilExpiry() {
    Instant expiry = expiresAt.get();
    return expiry == null ? Double.NaN : Duration.between(clock.instant(), expiry).toMillis() / 1000.0;
  }

  private static String tagValue(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT);
  }

  @Override
  public String toString() {
    return "TokenKeeperMetrics" + tags;
  }
}
