package dev.tokenkeeper.redis;

import dev.tokenkeeper.TokenStoreException;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The few Redis commands the store sends, each bounded by the store's command timeout whatever the
 * client's own timeout is, and each failure turned into a {@link TokenStoreException}. Scripts run
 * by {@code EVALSHA}; a server that does not know one (restarted, or {@code SCRIPT FLUSH}) answers
 * {@code NOSCRIPT}, and the script is then sent whole with {@code EVAL}, which caches it again.
 *
 * <p>Commands go through Lettuce's asynchronous API and the calling thread waits for the answer:
 * the store never blocks one of Lettuce's event-loop threads. The commands are those a standalone
 * connection and a Redis Cluster connection have in common ({@link RedisClusterAsyncCommands}); on
 * a cluster, Lettuce sends each command, scripts included, to the master of its first key's slot.
 * Thread-safe (a Lettuce connection is).
 */
final class RedisCalls {
  private final RedisClusterAsyncCommands<String, String> commands;
  private final long timeoutNanos;
  private final String where;

  RedisCalls(RedisClusterAsyncCommands<String, String> commands, Duration timeout, String where) {
    this.commands = commands;
    this.timeoutNanos = timeout.toNanos();
    this.where = where;
  }

  /** {@code HMGET key fields...}: the values, {@code null} for absent fields. */
  List<KeyValue<String, String>> hmget(String key, String... fields) {
    return await(() -> commands.hmget(key, fields), "HMGET");
  }

  /** Runs {@code script} and returns its integer answer. */
  long script(LuaScript script, String[] keys, String... args) {
    try {
      return awaitOrThrow(commands.<Long>evalsha(script.sha, ScriptOutputType.INTEGER, keys, args));
    } catch (RedisNoScriptException e) {
      return await(() -> commands.<Long>eval(script.text, ScriptOutputType.INTEGER, keys, args),
          "EVAL " + script.name);
    } catch (TimeoutException | RuntimeException | ExecutionException e) {
      throw failure("EVALSHA " + script.name, e);
    }
  }

  /**
   * Sends {@code script} without waiting for the answer: for a release that must reach Redis
   * after a command whose answer did not arrive in time (the connection keeps the order).
   */
  void scriptInBackground(LuaScript script, String[] keys, String... args) {
    commands.<Long>eval(script.text, ScriptOutputType.INTEGER, keys, args);
  }

  private <T> T await(Supplier<RedisFuture<T>> command, String name) {
    try {
      return awaitOrThrow(command.get());
    } catch (TimeoutException | RuntimeException | ExecutionException e) {
      throw failure(name, e);
    }
  }

  /**
   * Waits for {@code future} at most the command timeout. A command that did not answer in time is
   * cancelled: if it is still queued (Redis unreachable, the client reconnecting), it is never sent.
   */
  private <T> T awaitOrThrow(RedisFuture<T> future) throws TimeoutException, ExecutionException {
    try {
      return future.get(timeoutNanos, TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      future.cancel(false);
      throw e;
    } catch (InterruptedException e) {
      future.cancel(false);
      Thread.currentThread().interrupt();
      throw TokenStoreException.of(TokenStoreException.Reason.IO_FAILURE, null,
          where + ": interrupted while waiting for Redis (interrupt flag kept)", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RedisNoScriptException) {
        throw (RedisNoScriptException) e.getCause();
      }
      throw e;
    }
  }

  private TokenStoreException failure(String command, Exception e) {
    if (e instanceof TokenStoreException) {
      return (TokenStoreException) e;
    }
    Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
    String detail;
    if (cause instanceof TimeoutException || cause instanceof RedisCommandTimeoutException) {
      detail = "Redis did not answer " + command + " within " + Duration.ofNanos(timeoutNanos).toMillis()
          + " ms (unreachable, stopped or overloaded); a write may still happen when it answers";
    } else if (cause instanceof CancellationException) {
      detail = "the " + command + " command was cancelled (connection closed?)";
    } else if (cause instanceof RedisConnectionException) {
      detail = "cannot reach Redis for " + command + ": " + cause.getMessage();
    } else if (cause instanceof RedisCommandExecutionException && isRedirect(cause.getMessage())) {
      // The server's text is "MOVED <slot> <host:port>": no value of ours in it.
      detail = command + " was answered '" + cause.getMessage() + "': this Redis is a Redis Cluster "
          + "and the store's connection is not cluster-aware; build the store with "
          + "RedisTokenStore.builder(RedisClusterClient) or builder(StatefulRedisClusterConnection)";
    } else {
      // Other messages are the server's error text; they never quote our values, but say only
      // the type to be sure.
      detail = command + " failed: " + cause.getClass().getName();
    }
    return TokenStoreException.of(TokenStoreException.Reason.IO_FAILURE, null, where + ": " + detail,
        cause);
  }

  private static boolean isRedirect(@Nullable String message) {
    return message != null && (message.startsWith("MOVED ") || message.startsWith("ASK "));
  }

  static @Nullable String value(List<KeyValue<String, String>> values, int index) {
    KeyValue<String, String> kv = values.get(index);
    return kv.hasValue() ? kv.getValue() : null;
  }
}
