/**
 * Tokenkeeper keeps HTTP clients authenticated with short-lived access tokens and refresh tokens.
 *
 * <p>Start with {@link dev.tokenkeeper.TokenKeeper}: one keeper owns one identity's tokens, refreshes
 * them ahead of expiry with a single request however many threads ask, and reports failures as
 * {@link dev.tokenkeeper.TokenRefreshException} (temporary) or {@link
 * dev.tokenkeeper.ReauthenticationRequiredException} (the session is over). Tokens come from a
 * {@link dev.tokenkeeper.TokenSource}: {@link dev.tokenkeeper.OAuth2TokenEndpoint} for RFC 6749
 * token endpoints, {@link dev.tokenkeeper.JsonTokenEndpoint} for custom JSON login/refresh APIs, or
 * a lambda.
 *
 * <p>Tokens live in a {@link dev.tokenkeeper.TokenStore}: in memory by default, or in a {@link
 * dev.tokenkeeper.FileTokenStore} to survive restarts. Keepers in several processes (or several in
 * one) that act as one identity share a {@link dev.tokenkeeper.SharedTokenStore}; the keeper then
 * follows the shared-state protocol described there, so that a rotating refresh token is only ever
 * used by one of them, once.
 *
 * <p>Everything in {@code dev.tokenkeeper.internal} is implementation and may change without notice.
 */
@NullMarked
package dev.tokenkeeper;

import org.jspecify.annotations.NullMarked;
