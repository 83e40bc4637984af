/**
 * Apache HttpClient 5 exec-chain handlers (classic and async) that keep requests authenticated
 * with a {@code TokenKeeper}. HttpClient is the application's (a provided dependency): required to
 * compile, never forced at run time; name it in your own module ({@code requires
 * org.apache.httpcomponents.client5.httpclient5;}).
 */
module dev.tokenkeeper.httpclient5 {
  exports dev.tokenkeeper.httpclient5;

  requires transitive dev.tokenkeeper.core;
  // The Automatic-Module-Names of httpclient5 and httpcore5 (5.3 to 5.6). Static and not
  // transitive, for the reason given in dev.tokenkeeper.okhttp's module-info.
  requires static org.apache.httpcomponents.client5.httpclient5;
  requires static org.apache.httpcomponents.core5.httpcore5;
  requires static transitive org.jspecify;
}
