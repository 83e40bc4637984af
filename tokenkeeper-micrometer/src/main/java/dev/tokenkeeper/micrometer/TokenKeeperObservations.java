package dev.tokenkeeper.micrometer;

import dev.tokenkeeper.TokenEndpointException;
import dev.tokenkeeper.TokenRequest;
import dev.tokenkeeper.TokenResponse;
import dev.tokenkeeper.TokenSource;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.io.IOException;
import java.util.Locale;
import java.util.Objects;

/**
 * Micrometer Observations for a keeper's token endpoint calls: wraps a {@link TokenSource} so that
 * every call is one {@link Observation} named {@value #NAME}. With a tracing bridge the call is a
 * span, and the token endpoint's HTTP request, when its client is instrumented, is its child; with
 * Micrometer's {@code DefaultMeterObservationHandler} it is also a timer of the same name.
 *
 * <pre>{@code
 * TokenSource observed = TokenKeeperObservations.observe(
 *     endpoint.clientCredentials(), observationRegistry, "orders");
 * TokenKeeper keeper = TokenKeeper.newBuilder(observed).name("orders").build();
 * }</pre>
 *
 * <h2>Key values</h2>
 * Low cardinality only, a few fixed values each: {@code keeper} (the name given here), {@code
 * reason} (why the keeper called: {@code initial}, {@code proactive}, {@code expired}, {@code
 * rejected}, {@code sign_in}) and {@code outcome}: {@code success}, {@code refused} (the endpoint
 * refused the credentials or the refresh token) or {@code failure} (anything else: I/O, 5xx, a
 * malformed answer). A failed call also carries its exception as the observation's error; the
 * keeper's exceptions never hold a token or a secret. No key value holds a token, a fingerprint or
 * a secret.
 *
 * <p>Observations and {@link TokenKeeperMetrics} measure different things and use different
 * names: the metrics follow the keeper's events (refreshes as the keeper saw them, rejections,
 * waiting callers), the observation times the source call itself.
 *
 * <p>The wrapper keeps the source's {@link TokenSource#usesConfiguredCredentials()} and {@code
 * toString()}. Thread-safe if the source is; it adds no state.
 */
public final class TokenKeeperObservations {
  /** The observation's name, and the timer's with {@code DefaultMeterObservationHandler}. */
  public static final String NAME = "tokenkeeper.token.request";

  private TokenKeeperObservations() {}

  /**
   * Returns {@code source} with every call observed on {@code registry}.
   *
   * @param source the keeper's token source
   * @param registry where observations go ({@link ObservationRegistry#NOOP} observes nothing)
   * @param keeper the {@code keeper} key value: name the keeper the same ({@code Builder.name})
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code keeper} is blank
   */
  public static TokenSource observe(TokenSource source, ObservationRegistry registry, String keeper) {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(registry, "registry");
    Objects.requireNonNull(keeper, "keeper");
    if (keeper.isBlank()) {
      throw new IllegalArgumentException("keeper must name the keeper (the 'keeper' key value), not be blank");
    }
    return new Observed(source, registry, keeper);
  }

  private static final class Observed implements TokenSource {
    private final TokenSource source;
    private final ObservationRegistry registry;
    private final String keeper;

    Observed(TokenSource source, ObservationRegistry registry, String keeper) {
      this.source = source;
      this.registry = registry;
      this.keeper = keeper;
    }

    @Override
    public TokenResponse fetch(TokenRequest request) throws IOException, InterruptedException {
      Observation observation = Observation.createNotStarted(NAME, registry)
          .contextualName("tokenkeeper " + keeper + " token request")
          .lowCardinalityKeyValue("keeper", keeper)
          .lowCardinalityKeyValue("reason", request.reason().name().toLowerCase(Locale.ROOT))
          .start();
      try (Observation.Scope scope = observation.openScope()) {
        TokenResponse response = source.fetch(request);
        observation.lowCardinalityKeyValue("outcome", "success");
        return response;
      } catch (IOException | InterruptedException | RuntimeException e) {
        boolean refused = e instanceof TokenEndpointException && ((TokenEndpointException) e).isTerminal();
        observation.lowCardinalityKeyValue("outcome", refused ? "refused" : "failure");
        observation.error(e);
        throw e;
      } finally {
        observation.stop();
      }
    }

    @Override
    public boolean usesConfiguredCredentials() {
      return source.usesConfiguredCredentials();
    }

    @Override
    public String toString() {
      return source.toString();
    }
  }
}
