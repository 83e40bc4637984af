/**
 * {@link dev.tokenkeeper.redis.RedisTokenStore}: the shared-store protocol of {@code
 * dev.tokenkeeper.SharedTokenStore} on Redis or Valkey, through Lettuce.
 */
@NullMarked
package dev.tokenkeeper.redis;

import org.jspecify.annotations.NullMarked;
