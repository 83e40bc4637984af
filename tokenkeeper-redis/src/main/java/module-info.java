/**
 * A {@code SharedTokenStore} on Redis or Valkey: keepers in many processes, on many machines, share
 * one identity with one refresh per expiry. Lettuce ({@code lettuce.core}, an automatic module) is
 * a normal dependency of this module and appears in its API (the application passes its own
 * {@code RedisClient} or connections), so it is required transitively.
 */
module dev.tokenkeeper.redis {
  exports dev.tokenkeeper.redis;

  requires transitive dev.tokenkeeper.core;
  requires transitive lettuce.core;
  requires static transitive org.jspecify;
}
