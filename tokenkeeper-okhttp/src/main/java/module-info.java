/**
 * The OkHttp (and so Retrofit) adapter of Tokenkeeper: {@link dev.tokenkeeper.okhttp.TokenInterceptor}.
 */
module dev.tokenkeeper.okhttp {
  exports dev.tokenkeeper.okhttp;

  // TokenInterceptor's API takes TokenPolicy and throws TokenIOException.
  requires transitive dev.tokenkeeper.core;
  // OkHttp is the user's (a provided dependency): required to compile, not forced at run time.
  // "okhttp3" is the Automatic-Module-Name of both okhttp-jvm 5.x and okhttp 4.12. Not transitive,
  // although the API takes OkHttp types (javac's "exports" lint is off for this module): a static
  // transitive edge would let an application compile without "requires okhttp3" and then fail at
  // run time, since static edges are never resolved. The application names its own OkHttp.
  requires static okhttp3;
  requires static transitive org.jspecify;
}
