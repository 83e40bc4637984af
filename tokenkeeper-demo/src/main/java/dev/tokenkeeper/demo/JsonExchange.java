package dev.tokenkeeper.demo;

import com.nimbusds.jose.util.JSONObjectUtils;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Reading JSON requests and writing {@link Reply replies} on the JDK HTTP server. */
final class JsonExchange {
  /** Bodies beyond this are cut off: no login or refresh request comes near it. */
  private static final int MAX_BODY_BYTES = 64 * 1024;

  private JsonExchange() {}

  /** The request's JSON object, or {@code null} when the body is not one. */
  static @Nullable Map<String, Object> readJson(HttpExchange exchange) throws IOException {
    try (InputStream in = exchange.getRequestBody()) {
      return JSONObjectUtils.parse(new String(in.readNBytes(MAX_BODY_BYTES), StandardCharsets.UTF_8));
    } catch (ParseException e) {
      return null;
    }
  }

  /** A string field, or {@code null} when it is missing or not a string. */
  static @Nullable String string(Map<String, Object> json, String field) {
    Object value = json.get(field);
    return value instanceof String ? (String) value : null;
  }

  static void send(HttpExchange exchange, Reply reply) throws IOException {
    byte[] bytes = reply.body().getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    reply.headers().forEach(exchange.getResponseHeaders()::set);
    exchange.sendResponseHeaders(reply.status(), bytes.length);
    exchange.getResponseBody().write(bytes);
  }
}
