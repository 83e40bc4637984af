package dev.tokenkeeper.testing;

import dev.tokenkeeper.testing.LoopbackHttpServer.Response;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Builds the response a terminal {@link Fault} sends in place of the token endpoint. */
final class FaultResponses {

  private static final String TRUNCATED_JSON = "{\"access_token\": \"abc\"";
  private static final String HTML = "text/html;charset=UTF-8";

  private FaultResponses() {}

  /**
   * Returns the response for {@code fault}, or null to drop the connection.
   *
   * @throws IllegalArgumentException if {@code fault} serves the request instead of answering
   */
  static @Nullable Response respond(Fault fault) {
    int status = fault.status();
    return switch (fault.kind()) {
      case STATUS -> OAuthHttp.error(status, genericError(status), "scripted fault");
      case RETRY_AFTER -> retryAfter(fault);
      case MALFORMED_JSON -> Response.of(200, OAuthHttp.JSON, TRUNCATED_JSON);
      case HTML -> Response.of(status, HTML, htmlPage(status));
      case EMPTY_BODY -> Response.of(status, OAuthHttp.JSON, "");
      case JSON -> Response.of(status, OAuthHttp.JSON, fault.text());
      case OAUTH_ERROR -> OAuthHttp.error(status, fault.text(), null);
      case DROP_CONNECTION -> null;
      case RESET_MID_RESPONSE -> new Response(200,
          Map.of("Content-Type", OAuthHttp.JSON, LoopbackHttpServer.TRUNCATE_MARKER, "true"),
          "{\"access_token\":\"eyJhbGciOiJSUzI1NiJ9.cut".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      case STALL_MID_BODY -> new Response(200,
          Map.of("Content-Type", OAuthHttp.JSON, LoopbackHttpServer.STALL_MARKER, "true"),
          "{\"access_token\":\"eyJhbGciOiJSUzI1NiJ9.".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      case DELAY, HOLD, HOLD_RESPONSE, OMIT_REFRESH_TOKEN ->
          throw new IllegalArgumentException(fault + " serves the request; it has no response");
    };
  }

  private static Response retryAfter(Fault fault) {
    Response response =
        OAuthHttp.error(fault.status(), "temporarily_unavailable", "scripted fault: retry later");
    Map<String, String> headers = new LinkedHashMap<>(response.headers());
    headers.put("Retry-After", Long.toString(AccessTokenMinter.ceilSeconds(fault.duration())));
    return new Response(response.status(), headers, response.body());
  }

  private static String genericError(int status) {
    return status == 503 ? "temporarily_unavailable" : "server_error";
  }

  private static String htmlPage(int status) {
    String title = status + " Error";
    return "<!DOCTYPE html>\n<html><head><title>" + title + "</title></head>\n"
        + "<body><h1>" + title + "</h1><p>The upstream server is not answering.</p>"
        + "</body></html>\n";
  }
}
