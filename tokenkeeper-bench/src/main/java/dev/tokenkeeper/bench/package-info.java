/**
 * Benchmarks of Tokenkeeper against the token caches people use today (google-auth, Spring
 * Security's client manager, the AWS SDK's {@code CachedSupplier}, Azure Core's {@code
 * AccessTokenCache}) and the naive recipe. {@link dev.tokenkeeper.bench.Bench} is the entry point;
 * BENCHMARKS.md at the repository root has the commands and the figures.
 */
@NullMarked
package dev.tokenkeeper.bench;

import org.jspecify.annotations.NullMarked;
