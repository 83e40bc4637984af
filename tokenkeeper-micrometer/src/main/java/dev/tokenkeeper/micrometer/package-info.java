/**
 * Micrometer metrics for Tokenkeeper, with or without Spring: {@link
 * dev.tokenkeeper.micrometer.TokenKeeperMetrics} is a {@link dev.tokenkeeper.TokenListener} that
 * turns a keeper's events into meters, and gauges on the keeper itself.
 */
@NullMarked
package dev.tokenkeeper.micrometer;

import org.jspecify.annotations.NullMarked;
