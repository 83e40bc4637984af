package dev.tokenkeeper.demo;

/** How one request of a demo client ended: a success, or the cause of its failure. */
enum Outcome {
  /** The API answered 200. */
  OK("succeeded", "ok"),
  /** The API answered 401: the request carried an expired or invalid token. */
  API_REJECTED("401 from the API", "401 from API"),
  /** The auth server refused this request's refresh (not because of reuse detection). */
  REFRESH_REJECTED("refresh rejected", "refresh refused"),
  /**
   * The session is gone because reuse detection revoked the client's refresh tokens: the request
   * that learnt it, and every request after it (the user was logged out).
   */
  SESSION_LOST("session lost to reuse detection", "session lost"),
  /** A timeout, an I/O error, or an answer the client did not expect. */
  TIMEOUT_OR_OTHER("timeout / other", "timeout/other");

  private final String label;
  private final String shortLabel;

  Outcome(String label, String shortLabel) {
    this.label = label;
    this.shortLabel = shortLabel;
  }

  /** The row label in the final table. */
  String label() {
    return label;
  }

  /** The row label when the table must be narrow. */
  String shortLabel() {
    return shortLabel;
  }

  /** Classifies the status of an API answer. */
  static Outcome ofApiStatus(int status) {
    return status == 200 ? OK : status == 401 ? API_REJECTED : TIMEOUT_OR_OTHER;
  }

  /** Classifies a 401 from {@code /auth/refresh} by its {@code error} code. */
  static Outcome ofRefreshError(String error) {
    return error.equals("refresh_token_reused") || error.equals("refresh_token_revoked")
        ? SESSION_LOST : REFRESH_REJECTED;
  }
}
