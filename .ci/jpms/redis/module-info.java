/**
 * A user's application on Redis as a named module: what .ci/jpms-smoke compiles and runs on the
 * module path with tokenkeeper-redis and Lettuce (an automatic module, lettuce.core).
 */
module dev.tokenkeeper.smoke.redis {
  requires dev.tokenkeeper.redis; // and, transitively, dev.tokenkeeper.core and lettuce.core
}
