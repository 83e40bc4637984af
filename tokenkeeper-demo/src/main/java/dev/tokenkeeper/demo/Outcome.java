package dev.tokenkeeper.demo;

/** How one request of a demo client ended: a success, or the cause of its failure. */
enum Outcome {
  /** The API answered 200. */
  OK("succeeded"),
  /** The API answered 401: the request carried an expired or invalid token. */
  API_REJECTED("401 from the API"),
  /** The auth server refused this request's refresh (not because of reuse detection). */
  REFRESH_REJECTED("refresh rejected"),
  /**
   * The session is gone because reuse detection revoked the client's refresh tokens: the request
   * that learnt it, and every request after it (the user was logged out).
   */
  SESSION_LOST("session lost to reuse detection"),
  /** A timeout, an I/O error, or an answer the client did not expect. */
  TIMEOUT_OR_OTHER("timeout / other");

  private final String label;

  Outcome(String label) {
    this.label = label;
  }

  /** The row label in the final table. */
  String label() {
    return label;
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
