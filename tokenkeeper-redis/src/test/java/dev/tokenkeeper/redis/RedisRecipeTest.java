package dev.tokenkeeper.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.AccessToken;
import dev.tokenkeeper.OAuth2TokenEndpoint;
import dev.tokenkeeper.RefreshToken;
import dev.tokenkeeper.StoredTokens;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenKeepers;
import dev.tokenkeeper.TokenSource;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's Redis recipe, compiled and run here so it cannot rot. */
class RedisRecipeTest {

  /** README, "Running several instances (Redis)": the region below, checked by ReadmeSnippetsTest. */
  static AccessToken recipe(RedisClient redisClient, TokenSource source, SecretKey key) {
    // --- README: redis-store ---
    // redisClient: your Lettuce RedisClient, e.g. RedisClient.create("redis://redis.internal:6379")
    try (RedisTokenStore store = RedisTokenStore.builder(redisClient)
            .keyPrefix("orders:tokens:")  // one prefix per application
            .encryptWith(key)             // a 256-bit AES key, the same in every instance
            .identity("orders-service");  // only a hash of it appears in Redis
        TokenKeeper keeper = TokenKeeper.newBuilder(source).store(store).build()) {
      return keeper.token();              // one refresh per expiry across all instances
    }
    // --- end ---
  }

  @Test
  void recipe_twoInstancesShareTheTokenThroughRedis_oneEndpointCall(@TempDir Path dir) throws Exception {
    KeyGenerator generator = KeyGenerator.getInstance("AES");
    generator.init(256);
    SecretKey key = generator.generateKey();
    try (RedisServer redis = RedisServer.start(dir);
        ScriptedTokenServer server = ScriptedTokenServer.newBuilder().build().start()) {
      RedisClient client = RedisClient.create(redis.uri());
      try {
        TokenSource source = source(server.uri());
        AccessToken first = recipe(client, source, key);
        AccessToken second = recipe(client, source, key); // another instance, or a restart

        assertThat(second.value()).isEqualTo(first.value());
        assertThat(server.tokenRequests()).isEqualTo(1);
        try (RedisTokenStore store = RedisTokenStore.builder(client).keyPrefix("orders:tokens:")
            .encryptWith(key).identity("orders-service")) {
          StoredTokens saved = store.load();
          assertThat(saved.accessToken().value()).isEqualTo(first.value());
        }
      } finally {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(5));
      }
    }
  }

  @Test
  void recipe_manyIdentities_onTwoSharedConnections_evictedKeeperResumesFromRedis(@TempDir Path dir)
      throws Exception {
    try (RedisServer redis = RedisServer.start(dir);
        ScriptedTokenServer server = ScriptedTokenServer.newBuilder().rotateRefreshTokens(true)
            .reuseDetection(true).build().start()) {
      RedisClient redisClient = RedisClient.create(redis.uri());
      try {
        OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(server.uri())
            .clientId("test-client").clientSecret("test-secret").build();
        // --- README: redis-many ---
        StatefulRedisConnection<String, String> commands = redisClient.connect();
        StatefulRedisPubSubConnection<String, String> pubsub = redisClient.connectPubSub();
        RedisTokenStore.Builder stores = RedisTokenStore.builder(commands).notifications(pubsub);
        TokenKeepers<String> tenants = TokenKeepers.newBuilder((String tenant) ->
                TokenKeeper.newBuilder(endpoint.refreshTokens()).store(stores.identity(tenant)))
            .idleTimeout(Duration.ofMinutes(30))
            .build();
        // --- end ---
        try (tenants; commands; pubsub) {
          for (String tenant : new String[] {"acme", "globex"}) { // each connected once, by a login
            stores.identity(tenant).compareAndSet(0,
                new StoredTokens(1, null, new RefreshToken(server.issueLogin(tenant))));
          }
          AccessToken acme = tenants.token("acme");
          assertThat(tenants.token("globex")).isNotEqualTo(acme);
          tenants.evict("acme");
          assertThat(tenants.token("acme")).isEqualTo(acme); // resumed from Redis
          assertThat(server.tokenRequests("refresh_token")).isEqualTo(2);
          assertThat(server.reuseDetections()).isZero();
        }
      } finally {
        redisClient.shutdown(Duration.ZERO, Duration.ofSeconds(5));
      }
    }
  }

  private static TokenSource source(URI tokenEndpoint) {
    return OAuth2TokenEndpoint.newBuilder(tokenEndpoint).clientId("test-client")
        .clientSecret("test-secret").build().clientCredentials();
  }
}
