package dev.tokenkeeper.it;

import java.net.CookieManager;
import java.net.CookiePolicy;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Does what a person in a browser does to let an app act for them: opens the login page, signs in
 * with the form, and lets the authorization endpoint redirect back to the app with a code. A plain
 * {@link HttpClient} that keeps cookies (the session) and never follows redirects, so each step's
 * {@code Location} can be checked.
 */
final class BrowserLogin {
  private static final Pattern INPUT = Pattern.compile("<input[^>]*>");
  private static final Pattern VALUE = Pattern.compile("value=\"([^\"]*)\"");

  /** An authorization code and the PKCE verifier that must go with it to the token endpoint. */
  record Authorization(String code, String codeVerifier) {}

  private final URI origin;
  private final HttpClient browser = HttpClient.newBuilder()
      .cookieHandler(new CookieManager(null, CookiePolicy.ACCEPT_ALL))
      .followRedirects(HttpClient.Redirect.NEVER)
      .build();

  BrowserLogin(URI origin) {
    this.origin = origin;
  }

  /** GET /login for the CSRF field, then POST /login: the session cookie now holds the signed-in user. */
  void signIn(String username, String password) throws Exception {
    HttpResponse<String> page = send(get(origin.resolve("/login")));
    expect(page, 200, "GET /login");
    String csrf = csrfToken(page.body());
    HttpResponse<String> login = send(HttpRequest.newBuilder(origin.resolve("/login"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Accept", "text/html")
        .POST(HttpRequest.BodyPublishers.ofString(form(Map.of(
            "username", username, "password", password, "_csrf", csrf))))
        .build());
    expect(login, 302, "POST /login");
    String next = login.headers().firstValue("Location").orElse("");
    if (next.contains("error")) {
      throw new AssertionError("login refused: redirected to " + next);
    }
  }

  /** GET /oauth2/authorize (code flow with PKCE S256); returns the code from the redirect. */
  Authorization authorize(String clientId, String redirectUri, String scope) throws Exception {
    String verifier = random();
    String challenge = base64Url(MessageDigest.getInstance("SHA-256")
        .digest(verifier.getBytes(StandardCharsets.US_ASCII)));
    String state = random();
    Map<String, String> query = new LinkedHashMap<>();
    query.put("response_type", "code");
    query.put("client_id", clientId);
    query.put("redirect_uri", redirectUri);
    query.put("scope", scope);
    query.put("state", state);
    query.put("code_challenge", challenge);
    query.put("code_challenge_method", "S256");
    HttpResponse<String> answer = send(get(origin.resolve("/oauth2/authorize?" + form(query))));
    expect(answer, 302, "GET /oauth2/authorize");
    URI location = URI.create(answer.headers().firstValue("Location").orElseThrow());
    if (!location.toString().startsWith(redirectUri + "?")) {
      throw new AssertionError("authorization redirected to " + location + ", not to " + redirectUri);
    }
    Map<String, String> parameters = parse(location.getRawQuery());
    if (!state.equals(parameters.get("state")) || !parameters.containsKey("code")) {
      throw new AssertionError("redirect without the code or with another state: " + parameters.keySet());
    }
    return new Authorization(parameters.get("code"), verifier);
  }

  private HttpResponse<String> send(HttpRequest request) throws Exception {
    return browser.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private static HttpRequest get(URI uri) {
    return HttpRequest.newBuilder(uri).header("Accept", "text/html").build();
  }

  private static void expect(HttpResponse<String> response, int status, String step) {
    if (response.statusCode() != status) {
      throw new AssertionError(step + " answered " + response.statusCode() + ", expected " + status
          + " (Location: " + response.headers().firstValue("Location").orElse("none") + ")");
    }
  }

  /** The hidden {@code _csrf} field of Spring Security's login form. */
  private static String csrfToken(String html) {
    Matcher inputs = INPUT.matcher(html);
    while (inputs.find()) {
      String input = inputs.group();
      Matcher value = VALUE.matcher(input);
      if (input.contains("name=\"_csrf\"") && value.find()) {
        return value.group(1);
      }
    }
    throw new AssertionError("no _csrf field on the login page");
  }

  private static String form(Map<String, String> fields) {
    StringBuilder out = new StringBuilder();
    fields.forEach((name, value) -> out.append(out.length() == 0 ? "" : "&")
        .append(URLEncoder.encode(name, StandardCharsets.UTF_8)).append('=')
        .append(URLEncoder.encode(value, StandardCharsets.UTF_8)));
    return out.toString();
  }

  private static Map<String, String> parse(String query) {
    Map<String, String> parameters = new LinkedHashMap<>();
    for (String pair : query.split("&")) {
      int eq = pair.indexOf('=');
      parameters.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
          URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
    }
    return parameters;
  }

  private static String random() {
    byte[] bytes = new byte[32];
    new SecureRandom().nextBytes(bytes);
    return base64Url(bytes);
  }

  private static String base64Url(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
