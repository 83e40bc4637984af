package dev.tokenkeeper.internal;

import dev.tokenkeeper.DPoP;
import dev.tokenkeeper.TokenEndpointException;
import dev.tokenkeeper.TokenResponse;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * A token request with a DPoP proof (RFC 9449 section 5): the proof for {@code POST} to the token
 * endpoint, the nonce the endpoint asks for (section 8: a 400 {@code use_dpop_nonce} with a {@code
 * DPoP-Nonce} header is learned and the request sent once more with a new proof), and the check
 * that the answer is a DPoP-bound token.
 */
public final class DPoPTokenRequests {
  private DPoPTokenRequests() {}

  /**
   * Sends {@code request} with a proof; when the endpoint answers {@code use_dpop_nonce} with a
   * nonce, sends it once more with a proof carrying that nonce. A second {@code use_dpop_nonce}
   * goes back to the caller (a temporary failure, retried by the keeper with the nonce learned).
   * The second request is built anew by {@code again}: a client assertion is single-use (its
   * {@code jti}, RFC 7523 section 3), so sending the first one again would be refused as a replay.
   */
  public static HttpEndpoint.Answer send(HttpClient client, HttpRequest request, Request again, Duration timeout,
      DPoP dpop) throws IOException, InterruptedException {
    AtomicReference<@Nullable String> nonce = new AtomicReference<>();
    HttpEndpoint.Answer answer = sendOnce(client, request, timeout, dpop, nonce);
    if (nonce.get() != null && !answer.isSuccess() && asksForNonce(answer)) {
      nonce.set(null);
      answer = sendOnce(client, again.build(), timeout, dpop, nonce);
    }
    return answer;
  }

  /** Builds a token request (with a new client assertion, if the client sends one), each call anew. */
  @FunctionalInterface
  public interface Request {
    /** Returns a new request; throws if it cannot be built (a client assertion cannot be signed). */
    HttpRequest build() throws IOException;
  }

  private static HttpEndpoint.Answer sendOnce(HttpClient client, HttpRequest request, Duration timeout,
      DPoP dpop, AtomicReference<@Nullable String> nonce) throws IOException, InterruptedException {
    HttpRequest signed = HttpRequest.newBuilder(request, (name, value) -> !name.equalsIgnoreCase("DPoP"))
        .header("DPoP", dpop.proof("POST", request.uri(), null))
        .build();
    return HttpEndpoint.send(client, signed, timeout, (HttpHeaders headers) -> {
      String sent = headers.firstValue("DPoP-Nonce").orElse(null);
      if (sent != null) {
        try {
          // Servers may send a fresh nonce with any answer (section 8.2): keep the latest.
          dpop.rememberNonce(request.uri(), sent.trim());
          nonce.set(sent);
        } catch (IllegalArgumentException e) {
          // Not a nonce (empty or with characters a nonce cannot have): ignored, as if absent.
        }
      }
    });
  }

  private static boolean asksForNonce(HttpEndpoint.Answer answer) {
    Map<String, Object> json = HttpEndpoint.errorJson(answer);
    return json != null && "use_dpop_nonce".equals(json.get("error"));
  }

  /**
   * Checks that a token obtained with a proof is DPoP-bound ({@code token_type} {@code DPoP},
   * case-insensitive, RFC 9449 section 5). A Bearer answer means the server ignored the proof: it
   * fails as a malformed answer (temporary), rather than send an unbound token with proofs that
   * would claim otherwise.
   */
  public static TokenResponse checkBound(TokenResponse response, HttpEndpoint.Answer answer)
      throws TokenEndpointException {
    if (!response.tokenType().equalsIgnoreCase("DPoP")) {
      throw TokenEndpointException.invalidResponse(answer.status(), "token endpoint answered a DPoP token"
          + " request with token_type " + response.tokenType() + ", not DPoP: it did not bind the token to"
          + " the DPoP key. Enable DPoP for this client at the server, or build the keeper without dpop(...)", null);
    }
    return response;
  }
}
