/**
 * Micrometer meters from a {@code TokenKeeper}'s events: {@link dev.tokenkeeper.micrometer.TokenKeeperMetrics};
 * Observations of its token endpoint calls: {@link dev.tokenkeeper.micrometer.TokenKeeperObservations}.
 * Micrometer is the application's (a provided dependency): required to compile, never forced at
 * run time; name it in your own module.
 */
module dev.tokenkeeper.micrometer {
  exports dev.tokenkeeper.micrometer;

  requires transitive dev.tokenkeeper.core;
  // The Automatic-Module-Name of micrometer-core. Static and not transitive, for the reason given
  // in dev.tokenkeeper.okhttp's module-info.
  requires static micrometer.core;
  requires static micrometer.observation;
  requires static transitive org.jspecify;
}
