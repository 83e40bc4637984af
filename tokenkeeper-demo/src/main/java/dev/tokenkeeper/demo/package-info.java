/**
 * The Tokenkeeper demo: a small API and auth server with short-lived JWTs and rotating refresh
 * tokens ({@link dev.tokenkeeper.demo.DemoServer}), and three clients run against it side by side
 * by {@link dev.tokenkeeper.demo.Demo}: one that never refreshes, the naive refresh recipe
 * ({@code NaiveClient}, meant to be read), and a client whose tokens a {@code TokenKeeper} keeps.
 */
@NullMarked
package dev.tokenkeeper.demo;

import org.jspecify.annotations.NullMarked;
