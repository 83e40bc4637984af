package dev.tokenkeeper.it;

import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;

/**
 * What the authorization server and the API saw, counted on the server side: token endpoint calls
 * by grant type and outcome (in all and per client), API answers by status, and every distinct
 * access token the API accepted. The tests hand one to the server (no static hooks) and read it
 * after the run. Thread-safe.
 */
final class ServerLedger {
  private final Map<String, LongAdder> tokenCalls = new ConcurrentHashMap<>();
  /** Keyed by client id, grant type and status (NUL-separated: none of them holds a NUL). */
  private final Map<String, LongAdder> tokenCallsByClient = new ConcurrentHashMap<>();
  private final Map<Integer, LongAdder> apiAnswers = new ConcurrentHashMap<>();
  private final Map<String, Instant> acceptedTokens = new ConcurrentHashMap<>();
  private final Map<String, Set<String>> tokensByClient = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> requestsByClient = new ConcurrentHashMap<>();

  /** A call to the token endpoint; {@code error} is the RFC 6749 error code, or "" on success. */
  void tokenCall(String grantType, int status, String error) {
    tokenCall("", grantType, status, error);
  }

  /**
   * A call to the token endpoint by {@code clientId} (as the request named it: HTTP Basic user or
   * {@code client_id} parameter; "" when it named none), counted in all and for that client.
   */
  void tokenCall(String clientId, String grantType, int status, String error) {
    tokenCalls.computeIfAbsent(grantType + " " + status + " " + error, k -> new LongAdder()).increment();
    tokenCallsByClient.computeIfAbsent(clientKey(clientId, grantType) + status, k -> new LongAdder()).increment();
  }

  /** An answer of the API, whatever its status. */
  void apiAnswer(int status) {
    apiAnswers.computeIfAbsent(status, k -> new LongAdder()).increment();
  }

  /** The API accepted the token with id {@code jti}, issued at {@code issuedAt}, from {@code client}. */
  void accepted(String jti, Instant issuedAt, String client) {
    acceptedTokens.putIfAbsent(jti, issuedAt);
    tokensByClient.computeIfAbsent(client, k -> ConcurrentHashMap.newKeySet()).add(jti);
    requestsByClient.computeIfAbsent(client, k -> new LongAdder()).increment();
  }

  /** Token endpoint calls with {@code grantType}, whatever their outcome. */
  long tokenCalls(String grantType) {
    return sum(grantType + " ");
  }

  /** Token endpoint calls with {@code grantType} answered with {@code status}. */
  long tokenCalls(String grantType, int status) {
    return sum(grantType + " " + status + " ");
  }

  /** Token endpoint calls by {@code clientId} with {@code grantType}, whatever their outcome. */
  long tokenCalls(String clientId, String grantType) {
    String prefix = clientKey(clientId, grantType);
    return tokenCallsByClient.entrySet().stream()
        .filter(e -> e.getKey().startsWith(prefix))
        .mapToLong(e -> e.getValue().sum())
        .sum();
  }

  /** Token endpoint calls by {@code clientId} with {@code grantType} answered with {@code status}. */
  long tokenCalls(String clientId, String grantType, int status) {
    LongAdder n = tokenCallsByClient.get(clientKey(clientId, grantType) + status);
    return n == null ? 0 : n.sum();
  }

  private static String clientKey(String clientId, String grantType) {
    return clientId + "\0" + grantType + "\0";
  }

  /** Token endpoint calls, of any grant type, answered with the error code {@code error}. */
  long tokenErrors(String error) {
    return tokenCalls.entrySet().stream()
        .filter(e -> e.getKey().endsWith(" " + error))
        .mapToLong(e -> e.getValue().sum())
        .sum();
  }

  long apiAnswers(int status) {
    LongAdder n = apiAnswers.get(status);
    return n == null ? 0 : n.sum();
  }

  long apiAnswers() {
    return apiAnswers.values().stream().mapToLong(LongAdder::sum).sum();
  }

  /** Distinct access tokens the API accepted. */
  int acceptedTokens() {
    return acceptedTokens.size();
  }

  /** Distinct access tokens the API accepted from clients whose User-Agent starts with {@code prefix}. */
  int acceptedTokens(String userAgentPrefix) {
    return tokensByClient.entrySet().stream()
        .filter(e -> e.getKey().startsWith(userAgentPrefix))
        .flatMap(e -> e.getValue().stream())
        .collect(Collectors.toSet())
        .size();
  }

  /** Requests the API accepted from clients whose User-Agent starts with {@code prefix}. */
  long acceptedRequests(String userAgentPrefix) {
    return requestsByClient.entrySet().stream()
        .filter(e -> e.getKey().startsWith(userAgentPrefix))
        .mapToLong(e -> e.getValue().sum())
        .sum();
  }

  /** The issue time of the newest token the API accepted, or {@code null}. */
  Instant newestAcceptedIssuedAt() {
    return acceptedTokens.values().stream().max(Instant::compareTo).orElse(null);
  }

  /** The issue time of the oldest token the API accepted, or {@code null}. */
  Instant oldestAcceptedIssuedAt() {
    return acceptedTokens.values().stream().min(Instant::compareTo).orElse(null);
  }

  private long sum(String prefix) {
    return tokenCalls.entrySet().stream()
        .filter(e -> e.getKey().startsWith(prefix))
        .mapToLong(e -> e.getValue().sum())
        .sum();
  }

  @Override
  public String toString() {
    return "ServerLedger[tokenCalls=" + tokenCalls + ", tokenCallsByClient=" + tokenCallsByClient.size()
        + " keys, apiAnswers=" + apiAnswers
        + ", acceptedTokens=" + acceptedTokens.size() + "]";
  }
}
