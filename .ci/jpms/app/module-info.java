/** A user's application as a named module: what .ci/jpms-smoke compiles and runs on the module path. */
module dev.tokenkeeper.smoke {
  requires dev.tokenkeeper.okhttp; // and, transitively, dev.tokenkeeper.core and java.net.http
  requires dev.tokenkeeper.testing;
  requires okhttp3;
}
