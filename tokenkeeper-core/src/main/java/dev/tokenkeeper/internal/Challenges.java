package dev.tokenkeeper.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Parses {@code WWW-Authenticate} field values into challenges (RFC 9110 section 11.6.1): several
 * challenges in one value and in several values, auth-params with token or quoted-string values
 * (commas and {@code =} inside quotes are text), and token68. The grammar is ambiguous only after a
 * comma, where either a new challenge or another auth-param may follow: {@code name =} is an
 * auth-param, anything else starts a new challenge (the rule OkHttp's {@code
 * Response.challenges()} follows too).
 *
 * <p>Lenient: a value that stops making sense is read up to that point and the rest dropped, so a
 * malformed header never throws. Stateless and thread-safe.
 */
public final class Challenges {

  /**
   * One challenge.
   *
   * @param scheme the auth-scheme in lower case ({@code bearer}, {@code basic}, {@code dpop})
   * @param params auth-params by lower-case name (the first of repeated names); a token68 is not
   *     kept
   */
  public record Challenge(String scheme, Map<String, String> params) {
    public Challenge {
      params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
    }
  }

  private Challenges() {}

  /** Returns the challenges of all {@code values}, in order. */
  public static List<Challenge> parse(List<String> values) {
    List<Challenge> out = new ArrayList<>();
    for (String value : values) {
      new Reader(value).readAll(out);
    }
    return out;
  }

  /** A cursor over one field value. */
  private static final class Reader {
    private final String s;
    private int pos;

    Reader(String s) {
      this.s = s;
    }

    void readAll(List<Challenge> out) {
      skipCommasAndSpaces();
      while (pos < s.length()) {
        String scheme = token();
        if (scheme.isEmpty()) {
          return; // not a challenge: drop the rest
        }
        Map<String, String> params = new LinkedHashMap<>();
        boolean spaced = skipSpaces();
        if (spaced && !atCommaOrEnd()) {
          if (!token68() && !readParams(params)) {
            out.add(new Challenge(scheme.toLowerCase(Locale.ROOT), params));
            return;
          }
        }
        out.add(new Challenge(scheme.toLowerCase(Locale.ROOT), params));
        skipCommasAndSpaces();
      }
    }

    /** Reads a token68 that ends the challenge; false (and nothing read) when there is none. */
    private boolean token68() {
      int start = pos;
      while (pos < s.length() && isToken68Char(s.charAt(pos))) {
        pos++;
      }
      if (pos == start) {
        return false;
      }
      while (pos < s.length() && s.charAt(pos) == '=') {
        pos++;
      }
      skipSpaces();
      if (atCommaOrEnd()) {
        return true;
      }
      pos = start;
      return false;
    }

    /**
     * Reads {@code name=value} pairs separated by commas, stopping before the next challenge's
     * scheme; false when a value is malformed (what was read is kept).
     */
    private boolean readParams(Map<String, String> params) {
      while (true) {
        String name = token();
        skipSpaces();
        if (name.isEmpty() || pos >= s.length() || s.charAt(pos) != '=') {
          return false;
        }
        pos++;
        skipSpaces();
        String value;
        if (pos < s.length() && s.charAt(pos) == '"') {
          value = quoted();
          if (value == null) {
            return false;
          }
        } else {
          value = token();
          if (value.isEmpty()) {
            return false;
          }
        }
        params.putIfAbsent(name.toLowerCase(Locale.ROOT), value);
        skipSpaces();
        if (pos >= s.length()) {
          return true;
        }
        if (s.charAt(pos) != ',') {
          return false;
        }
        skipCommasAndSpaces();
        if (!nextIsParam()) {
          return true; // a new challenge starts here, or the value ends
        }
      }
    }

    /** Whether {@code token BWS "="} follows (an auth-param, not the next challenge's scheme). */
    private boolean nextIsParam() {
      int mark = pos;
      String name = token();
      skipSpaces();
      boolean param = !name.isEmpty() && pos < s.length() && s.charAt(pos) == '=';
      pos = mark;
      return param;
    }

    private String token() {
      int start = pos;
      while (pos < s.length() && isTchar(s.charAt(pos))) {
        pos++;
      }
      return s.substring(start, pos);
    }

    /** Reads a quoted-string with its escapes undone, or null when it is not closed. */
    private @Nullable String quoted() {
      StringBuilder b = new StringBuilder();
      pos++; // the opening quote
      while (pos < s.length()) {
        char c = s.charAt(pos++);
        if (c == '"') {
          return b.toString();
        }
        if (c == '\\' && pos < s.length()) {
          c = s.charAt(pos++);
        }
        b.append(c);
      }
      return null;
    }

    private boolean skipSpaces() {
      int start = pos;
      while (pos < s.length() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\t')) {
        pos++;
      }
      return pos > start;
    }

    private void skipCommasAndSpaces() {
      while (pos < s.length() && (s.charAt(pos) == ',' || s.charAt(pos) == ' ' || s.charAt(pos) == '\t')) {
        pos++;
      }
    }

    private boolean atCommaOrEnd() {
      return pos >= s.length() || s.charAt(pos) == ',';
    }

    private static boolean isTchar(char c) {
      return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
          || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }

    private static boolean isToken68Char(char c) {
      return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "-._~+/".indexOf(c) >= 0;
    }
  }
}
