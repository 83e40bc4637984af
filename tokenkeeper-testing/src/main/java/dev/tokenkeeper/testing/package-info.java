/**
 * Test support for Tokenkeeper users and for Tokenkeeper itself: {@link
 * dev.tokenkeeper.testing.TestClock}, a clock and timer that only move when the test says so, and
 * {@link dev.tokenkeeper.testing.ScriptedTokenServer}, an OAuth 2.0 token endpoint on loopback that
 * issues real signed JWTs, rotates refresh tokens with reuse detection and injects faults; {@link
 * dev.tokenkeeper.testing.ScriptedApiServer}, an API that checks those JWTs; and {@link
 * dev.tokenkeeper.testing.AdapterConformanceSuite}, the stories every HTTP adapter must pass,
 * which an adapter's test class extends.
 */
@NullMarked
package dev.tokenkeeper.testing;

import org.jspecify.annotations.NullMarked;
