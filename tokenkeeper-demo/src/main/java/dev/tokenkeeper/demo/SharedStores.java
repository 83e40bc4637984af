package dev.tokenkeeper.demo;

import dev.tokenkeeper.FileTokenStore;
import dev.tokenkeeper.TokenStore;
import dev.tokenkeeper.redis.RedisTokenStore;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The stores act 2's processes share: a {@link FileTokenStore} in a directory, or a {@link
 * RedisTokenStore} under a key prefix of one run. A store location is one string, as it travels on
 * a worker's command line: the directory, or the Redis URI and the key prefix separated by a space.
 */
final class SharedStores {
  private SharedStores() {}

  /** A store and what must be closed with it. */
  static final class Opened implements AutoCloseable {
    private final TokenStore store;
    private final @Nullable RedisClient client;

    Opened(TokenStore store, @Nullable RedisClient client) {
      this.store = store;
      this.client = client;
    }

    TokenStore store() {
      return store;
    }

    @Override
    public void close() {
      if (store instanceof RedisTokenStore) {
        ((RedisTokenStore) store).close();
      }
      if (client != null) {
        client.shutdown();
      }
    }
  }

  /** The key prefix of one run: its keys are removed at the end, and never touch another run's. */
  static String redisPrefix(String run) {
    return "tokenkeeper-demo:" + run + ":";
  }

  /** Opens the shared store of {@code setup} at {@code location}. */
  static Opened open(Act2.Setup setup, String location) {
    if (setup == Act2.Setup.FILE) {
      return new Opened(FileTokenStore.directory(Path.of(location)).identity(Act2.IDENTITY), null);
    }
    if (setup != Act2.Setup.REDIS) {
      throw new IllegalArgumentException("no shared store in setup " + setup);
    }
    String[] parts = location.split(" ");
    if (parts.length != 2) {
      throw new IllegalArgumentException("a Redis store location is '<redis URI> <key prefix>'");
    }
    RedisClient client = RedisClient.create(parts[0]);
    try {
      return new Opened(RedisTokenStore.builder(client).keyPrefix(parts[1]).identity(Act2.IDENTITY), client);
    } catch (RuntimeException e) {
      client.shutdown();
      throw e;
    }
  }

  /** Removes every key of one run (the demo's own; nothing else on that Redis is touched). */
  static void deleteRedisKeys(@Nullable URI redis, String prefix) {
    if (redis == null) {
      return;
    }
    RedisClient client = RedisClient.create(redis.toString());
    try (StatefulRedisConnection<String, String> connection = client.connect()) {
      List<String> keys = connection.sync().keys(prefix + "*");
      if (!keys.isEmpty()) {
        connection.sync().del(keys.toArray(new String[0]));
      }
    } catch (RuntimeException e) {
      System.err.println("could not remove the demo's Redis keys under " + prefix + ": "
          + e.getClass().getSimpleName());
    } finally {
      client.shutdown();
    }
  }
}
