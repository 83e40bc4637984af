package dev.tokenkeeper.testing;

import static java.nio.charset.StandardCharsets.ISO_8859_1;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Reads HTTP/1.1 requests and writes responses on a socket's streams: just enough of RFC 9112
 * for a token endpoint (Content-Length and chunked bodies, keep-alive, {@code Expect:
 * 100-continue}). Stateless and thread-safe.
 */
final class HttpWire {

  static final int MAX_LINE_BYTES = 8 * 1024;
  static final int MAX_HEADERS = 100;
  static final int MAX_BODY_BYTES = 1024 * 1024;

  /** IMF-fixdate (RFC 9110 section 5.6.7); RFC_1123_DATE_TIME would drop the day's leading zero. */
  private static final DateTimeFormatter HTTP_DATE =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US)
          .withZone(ZoneOffset.UTC);

  private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(ISO_8859_1);

  /** A request the server cannot parse; answered with {@link #status} and the connection closed. */
  static final class BadRequestException extends IOException {
    final int status;

    BadRequestException(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  private HttpWire() {}

  static String httpDate(Instant instant) {
    return HTTP_DATE.format(instant);
  }

  /**
   * Reads the next request, or returns null when the client closed the connection between
   * requests.
   */
  static LoopbackHttpServer.@Nullable Request readRequest(InputStream in, OutputStream out)
      throws IOException {
    String requestLine = readLineOrEof(in);
    while (requestLine != null && requestLine.isEmpty()) {
      requestLine = readLineOrEof(in); // RFC 9112 section 2.2: ignore empty lines before a request
    }
    if (requestLine == null) {
      return null;
    }
    String[] parts = requestLine.split(" ", -1);
    if (parts.length != 3) {
      throw new BadRequestException(400, "malformed request line");
    }
    String version = parts[2];
    if (!version.equals("HTTP/1.1") && !version.equals("HTTP/1.0")) {
      throw new BadRequestException(505, "unsupported HTTP version " + version);
    }
    Map<String, String> headers = readHeaders(in);
    boolean keepAlive = keepAlive(version, headers.get("connection"));
    if (version.equals("HTTP/1.1") && "100-continue".equalsIgnoreCase(headers.get("expect"))) {
      out.write(CONTINUE);
      out.flush();
    }
    byte[] body = readBody(in, headers);
    return new LoopbackHttpServer.Request(parts[0], path(parts[1]), headers, body, keepAlive);
  }

  /** Writes the headers of {@code response} announcing twice its body, then only the body. */
  static void writeTruncated(OutputStream out, LoopbackHttpServer.Response response, @Nullable Instant date)
      throws IOException {
    StringBuilder head = new StringBuilder(256);
    head.append("HTTP/1.1 ").append(response.status()).append(' ').append(reason(response.status())).append("\r\n");
    if (date != null) {
      head.append("Date: ").append(httpDate(date)).append("\r\n");
    }
    response.headers().forEach((name, value) -> {
      if (!name.equals(LoopbackHttpServer.TRUNCATE_MARKER) && !name.equals(LoopbackHttpServer.STALL_MARKER)) {
        head.append(name).append(": ").append(value).append("\r\n");
      }
    });
    head.append("Content-Length: ").append(response.body().length * 2L).append("\r\n\r\n");
    out.write(head.toString().getBytes(ISO_8859_1));
    out.write(response.body());
    out.flush();
  }

  /** Writes {@code response}; a HEAD request and bodiless statuses get headers only. */
  static void writeResponse(
      OutputStream out,
      String method,
      LoopbackHttpServer.Response response,
      @Nullable Instant date,
      boolean keepAlive)
      throws IOException {
    int status = response.status();
    StringBuilder head = new StringBuilder(256);
    head.append("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n");
    if (date != null) {
      head.append("Date: ").append(httpDate(date)).append("\r\n");
    }
    response
        .headers()
        .forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
    boolean bodiless = status == 204 || status == 304;
    if (!bodiless) {
      head.append("Content-Length: ").append(response.body().length).append("\r\n");
    }
    if (!keepAlive) {
      head.append("Connection: close\r\n");
    }
    head.append("\r\n");
    out.write(head.toString().getBytes(ISO_8859_1));
    if (!bodiless && !method.equals("HEAD")) {
      out.write(response.body());
    }
    out.flush();
  }

  private static Map<String, String> readHeaders(InputStream in) throws IOException {
    Map<String, String> headers = new LinkedHashMap<>();
    for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
      int colon = line.indexOf(':');
      if (colon <= 0 || headers.size() >= MAX_HEADERS) {
        throw new BadRequestException(400, "malformed or too many header fields");
      }
      String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = line.substring(colon + 1).trim();
      headers.merge(name, value, (first, next) -> first + ", " + next);
    }
    return headers;
  }

  private static byte[] readBody(InputStream in, Map<String, String> headers) throws IOException {
    String transferEncoding = headers.get("transfer-encoding");
    String contentLength = headers.get("content-length");
    if (transferEncoding != null) {
      if (contentLength != null
          || !transferEncoding.toLowerCase(Locale.ROOT).matches("(.*,\\s*)?chunked")) {
        throw new BadRequestException(400, "unsupported Transfer-Encoding " + transferEncoding);
      }
      return readChunked(in);
    }
    if (contentLength == null) {
      return new byte[0];
    }
    long length;
    try {
      length = Long.parseLong(contentLength);
    } catch (NumberFormatException e) {
      throw new BadRequestException(400, "malformed Content-Length " + contentLength);
    }
    if (length < 0 || length > MAX_BODY_BYTES) {
      throw new BadRequestException(413, "request body too large: " + length + " bytes");
    }
    return readExactly(in, (int) length);
  }

  private static byte[] readChunked(InputStream in) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    while (true) {
      String sizeLine = readLine(in);
      int semicolon = sizeLine.indexOf(';');
      String hex = (semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim();
      int size;
      try {
        size = Integer.parseInt(hex, 16);
      } catch (NumberFormatException e) {
        throw new BadRequestException(400, "malformed chunk size " + hex);
      }
      if (size < 0 || body.size() + (long) size > MAX_BODY_BYTES) {
        throw new BadRequestException(413, "request body too large");
      }
      if (size == 0) {
        while (!readLine(in).isEmpty()) {
          // Trailer fields carry nothing a token endpoint needs.
        }
        return body.toByteArray();
      }
      body.write(readExactly(in, size));
      if (!readLine(in).isEmpty()) {
        throw new BadRequestException(400, "chunk not terminated by CRLF");
      }
    }
  }

  private static byte[] readExactly(InputStream in, int length) throws IOException {
    byte[] bytes = in.readNBytes(length);
    if (bytes.length != length) {
      throw new EOFException("connection closed after " + bytes.length + " of " + length);
    }
    return bytes;
  }

  /** Reads a CRLF- (or LF-) terminated line inside a request. */
  private static String readLine(InputStream in) throws IOException {
    String line = readLineOrEof(in);
    if (line == null) {
      throw new EOFException("connection closed before the request was complete");
    }
    return line;
  }

  /** Reads a line, or returns null if the connection ends before its first byte. */
  private static @Nullable String readLineOrEof(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(64);
    int b;
    while ((b = in.read()) != '\n') {
      if (b < 0) {
        if (line.size() == 0) {
          return null;
        }
        throw new EOFException("connection closed in the middle of a line");
      }
      if (line.size() >= MAX_LINE_BYTES) {
        throw new BadRequestException(431, "line longer than " + MAX_LINE_BYTES + " bytes");
      }
      line.write(b);
    }
    String text = line.toString(ISO_8859_1);
    return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
  }

  /** HTTP/1.1 keeps the connection unless asked to close; HTTP/1.0 clients get one response. */
  private static boolean keepAlive(String version, @Nullable String connection) {
    if (version.equals("HTTP/1.0")) {
      return false;
    }
    String tokens = connection == null ? "" : connection.toLowerCase(Locale.ROOT);
    return !tokens.matches("(.*,)?\\s*close\\s*(,.*)?");
  }

  private static String path(String target) throws BadRequestException {
    try {
      URI uri = new URI(target); // origin-form "/p?q" or, from proxies, absolute-form
      String path = uri.getRawPath();
      if (path == null || path.isEmpty()) {
        throw new BadRequestException(400, "request target has no path: " + target);
      }
      return path;
    } catch (java.net.URISyntaxException e) {
      throw new BadRequestException(400, "malformed request target");
    }
  }

  private static String reason(int status) {
    return switch (status) {
      case 200 -> "OK";
      case 204 -> "No Content";
      case 400 -> "Bad Request";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 413 -> "Content Too Large";
      case 429 -> "Too Many Requests";
      case 431 -> "Request Header Fields Too Large";
      case 500 -> "Internal Server Error";
      case 502 -> "Bad Gateway";
      case 503 -> "Service Unavailable";
      case 504 -> "Gateway Timeout";
      case 505 -> "HTTP Version Not Supported";
      default -> "Status " + status;
    };
  }
}
