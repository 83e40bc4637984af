/** Must NOT compile: dev.tokenkeeper.internal is not exported. .ci/jpms-smoke fails if it does. */
module dev.tokenkeeper.smoke.internal {
  requires dev.tokenkeeper.core;
}
