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
 * <p>Everything in {@code dev.tokenkeeper.internal} is implementation and may change without notice.
 */
@NullMarked
package dev.tokenkeeper;

import org.jspecify.annotations.NullMarked;
