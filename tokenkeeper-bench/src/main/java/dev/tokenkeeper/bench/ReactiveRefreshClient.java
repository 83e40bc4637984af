package dev.tokenkeeper.bench;

import dev.tokenkeeper.TokenRequest;
import dev.tokenkeeper.TokenSource;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * Reactive-only refresh, as axios-auth-refresh does it: send with the current token; on a 401,
 * refresh (once for everybody whose request failed meanwhile) and retry once with the new token.
 * It never looks at the expiry, so the first requests after it each pay a rejected round trip, the
 * endpoint's latency and a retry.
 */
final class ReactiveRefreshClient {
  private final HttpClient http;
  private final TokenSource endpoint;
  private volatile String token;
  private final AtomicReference<@Nullable CompletableFuture<String>> refreshing = new AtomicReference<>();
  final AtomicInteger rejections = new AtomicInteger();
  final AtomicInteger refreshes = new AtomicInteger();

  ReactiveRefreshClient(HttpClient http, TokenSource endpoint) throws Exception {
    this.http = http;
    this.endpoint = endpoint;
    this.token = fetch();
  }

  String currentToken() {
    return token;
  }

  /** GETs {@code uri}, refreshing and retrying once on a 401; returns the final status. */
  int get(URI uri) throws Exception {
    String sent = token;
    int status = send(uri, sent);
    if (status != 401) {
      return status;
    }
    rejections.incrementAndGet();
    return send(uri, refreshAfter(sent));
  }

  private int send(URI uri, String bearer) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + bearer).build();
    return http.send(request, HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  /** Returns a token newer than {@code rejected}, refreshing once for all callers that need one. */
  private String refreshAfter(String rejected) throws Exception {
    for (;;) {
      String current = token;
      if (!current.equals(rejected)) {
        return current; // somebody refreshed meanwhile
      }
      CompletableFuture<String> running = refreshing.get();
      if (running != null) {
        return running.join();
      }
      CompletableFuture<String> mine = new CompletableFuture<>();
      if (refreshing.compareAndSet(null, mine)) {
        try {
          if (token.equals(rejected)) {
            token = fetch();
            refreshes.incrementAndGet();
          }
          mine.complete(token);
        } catch (Exception e) {
          mine.completeExceptionally(e);
        } finally {
          refreshing.set(null);
        }
        return mine.join();
      }
    }
  }

  private String fetch() throws Exception {
    return endpoint.fetch(new TokenRequest(null, TokenRequest.Reason.REJECTED)).accessToken();
  }
}
