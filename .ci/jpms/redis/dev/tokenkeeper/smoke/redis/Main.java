package dev.tokenkeeper.smoke.redis;

import dev.tokenkeeper.AccessToken;
import dev.tokenkeeper.RefreshToken;
import dev.tokenkeeper.SharedTokenStore.RefreshLease;
import dev.tokenkeeper.StoredTokens;
import dev.tokenkeeper.redis.RedisTokenStore;
import io.lettuce.core.RedisClient;
import java.lang.module.ModuleDescriptor;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.TreeSet;
import javax.crypto.spec.SecretKeySpec;

/**
 * Runs on the module path against the built tokenkeeper-redis jar, Lettuce and its dependencies:
 * writes, reads and leases one identity's tokens on the Redis at {@code args[0]} (plain and
 * encrypted: the Lua scripts are read from the named module, the token codec comes from core's
 * {@code internal} package through its one qualified export), then checks what the module exports
 * and requires. Exits non-zero (an exception) on the first thing that is not as published.
 */
public final class Main {
  public static void main(String[] args) throws Exception {
    check(Main.class.getModule().isNamed(), "the smoke test itself must run as a named module");
    RedisClient client = RedisClient.create(args[0]);
    try {
      Instant now = Instant.now();
      StoredTokens tokens = new StoredTokens(1, new AccessToken("jpms-access", "Bearer", now,
          now.plusSeconds(60), Set.of()), new RefreshToken("jpms-refresh"));
      String identity = "jpms-smoke-" + ProcessHandle.current().pid();
      for (RedisTokenStore.Builder builder : new RedisTokenStore.Builder[] {
          RedisTokenStore.builder(client).keyPrefix("jpms-smoke:plain:"),
          RedisTokenStore.builder(client).keyPrefix("jpms-smoke:encrypted:")
              .encryptWith(new SecretKeySpec(new byte[32], "AES"))}) {
        try (RedisTokenStore store = builder.identity(identity)) {
          check(store.compareAndSet(0, tokens), store + ": compare-and-set refused on a new key");
          check(store.load().accessToken().value().equals("jpms-access"), store + ": read back");
          RefreshLease lease = store.tryLease(Duration.ofSeconds(5));
          check(lease != null && lease.fencingToken() == 1, store + ": lease " + lease);
          lease.release();
          System.out.println("  " + store + ": compare-and-set, load, lease, release");
        }
      }
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(5));
    }

    Module redis = RedisTokenStore.class.getModule();
    check("dev.tokenkeeper.redis".equals(redis.getName()), "redis's module is " + redis.getName());
    check(!redis.getDescriptor().isAutomatic(), "dev.tokenkeeper.redis is an automatic module");
    check(exports(redis).equals(Set.of("dev.tokenkeeper.redis")),
        "dev.tokenkeeper.redis exports " + exports(redis));
    check(requires(redis, "lettuce.core").contains(ModuleDescriptor.Requires.Modifier.TRANSITIVE),
        "dev.tokenkeeper.redis must require lettuce.core transitively (Lettuce types are in its API)");
    check(requires(redis, "dev.tokenkeeper.core").contains(ModuleDescriptor.Requires.Modifier.TRANSITIVE),
        "dev.tokenkeeper.redis must require dev.tokenkeeper.core transitively");
    Module lettuce = RedisClient.class.getModule();
    check("lettuce.core".equals(lettuce.getName()) && lettuce.getDescriptor().isAutomatic(),
        "Lettuce is expected as the automatic module lettuce.core, found " + lettuce.getDescriptor());
    check(RedisTokenStore.class.getModule().getLayer().findModule("dev.tokenkeeper.core").orElseThrow()
            .isExported("dev.tokenkeeper.internal", redis),
        "dev.tokenkeeper.core does not export dev.tokenkeeper.internal to dev.tokenkeeper.redis");
    System.out.println("  " + redis.getDescriptor().toNameAndVersion() + " exports " + exports(redis)
        + ", requires " + new TreeSet<>(redis.getDescriptor().requires().stream()
            .map(r -> (r.modifiers().stream().map(x -> x.toString().toLowerCase() + " ").sorted()
                .reduce("", String::concat)) + r.name())
            .toList()));
    System.out.println("JPMS smoke (redis): ok (a named module kept tokens in Redis through"
        + " dev.tokenkeeper.redis and lettuce.core on the module path)");
  }

  private static Set<String> exports(Module m) {
    Set<String> out = new TreeSet<>();
    for (ModuleDescriptor.Exports e : m.getDescriptor().exports()) {
      out.add(e.isQualified() ? e.source() + " to " + e.targets() : e.source());
    }
    return out;
  }

  private static Set<ModuleDescriptor.Requires.Modifier> requires(Module m, String name) {
    return m.getDescriptor().requires().stream().filter(r -> r.name().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError(m.getName() + " does not require " + name))
        .modifiers();
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new AssertionError(message);
    }
  }
}
