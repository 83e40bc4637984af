package dev.tokenkeeper.it;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/** Requests to the protected API through each adapter; each throws unless the API answered 200 with the subject. */
final class ApiCalls {
  private ApiCalls() {}

  /** {@code count} requests, alternating between the JDK client and the OkHttp client. */
  static List<Workers.Request> alternating(int count, HttpClient jdk, OkHttpClient okHttp, URI api, String subject) {
    List<Workers.Request> requests = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      requests.add(i % 2 == 0 ? viaJdk(jdk, api, subject) : viaOkHttp(okHttp, api, subject));
    }
    return requests;
  }

  static Workers.Request viaJdk(HttpClient client, URI api, String subject) {
    HttpRequest request = HttpRequest.newBuilder(api).timeout(Duration.ofSeconds(10)).build();
    return () -> {
      HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
      check("JDK", response.statusCode(), response.body(), subject);
    };
  }

  static Workers.Request viaOkHttp(OkHttpClient client, URI api, String subject) {
    Request request = new Request.Builder().url(api.toString()).build();
    return () -> {
      try (Response response = client.newCall(request).execute()) {
        check("OkHttp", response.code(), response.body().string(), subject);
      }
    };
  }

  private static void check(String adapter, int status, String body, String subject) {
    if (status != 200 || !body.equals(subject)) {
      throw new IllegalStateException(adapter + ": API answered " + status + " " + body);
    }
  }
}
