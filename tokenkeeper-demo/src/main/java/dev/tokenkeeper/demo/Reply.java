package dev.tokenkeeper.demo;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An answer of the demo server: status, extra headers and a JSON body.
 *
 * @param headers headers besides {@code Content-Type: application/json}
 */
record Reply(int status, Map<String, String> headers, String body) {

  Reply {
    headers = Map.copyOf(headers);
  }

  static Reply json(int status, Map<String, ?> json) {
    return new Reply(status, Map.of(), JSONObjectUtils.toJSONString(new LinkedHashMap<>(json)));
  }

  static Reply error(int status, String error) {
    return json(status, Map.of("error", error));
  }

  /** A login or refresh answer; never cached, as RFC 6749 5.1 asks of token responses. */
  static Reply tokens(String accessToken, String refreshToken) {
    Map<String, String> body = new LinkedHashMap<>();
    body.put("accessToken", accessToken);
    body.put("refreshToken", refreshToken);
    return new Reply(200, Map.of("Cache-Control", "no-store"), JSONObjectUtils.toJSONString(body));
  }

  /** 401 with the RFC 6750 challenge. */
  static Reply unauthorized(String challenge) {
    return new Reply(401, Map.of("WWW-Authenticate", challenge),
        JSONObjectUtils.toJSONString(Map.of("error", "unauthorized")));
  }
}
