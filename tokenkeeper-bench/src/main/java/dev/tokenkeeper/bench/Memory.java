package dev.tokenkeeper.bench;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenKeepers;
import dev.tokenkeeper.TokenResponse;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Memory: the heap an idle keeper retains (built as the README builds one: defaults, memory store,
 * its own idle thread pools, which hold no thread while idle), and the heap of 10,000 identities
 * in the {@link TokenKeepers} registry. Every keeper holds its own copy of an RS256 JWT of the
 * usual size (about 750 characters) and a refresh token, as a real one would.
 *
 * <p>Method: used heap after full GCs (until it stops falling), before and after building the
 * keepers, while they are still reachable; the difference divided by their number. It includes
 * the token strings themselves, since a keeper holds them; the "tokens only" row is that share.
 */
final class Memory {
  private Memory() {}

  static String run(int keepers, int identities) throws Exception {
    String jwt = Jwts.mint(Duration.ofHours(2));
    Table table = new Table("what", "count", "heap retained", "per item");
    // Tokens only: the access token and the refresh token strings a keeper holds, nothing else.
    long before = usedAfterGc();
    List<Object> tokens = new ArrayList<>(keepers);
    for (int i = 0; i < keepers; i++) {
      tokens.add(new String[] {copy(jwt), "refresh-" + i + "-" + "x".repeat(32)});
    }
    long tokensOnly = usedAfterGc() - before;
    table.row("tokens only (access JWT + refresh token strings, for scale)", keepers, kb(tokensOnly), bytes(tokensOnly, keepers));
    tokens.clear();

    before = usedAfterGc();
    List<TokenKeeper> held = new ArrayList<>(keepers);
    for (int i = 0; i < keepers; i++) {
      held.add(TokenKeeper.newBuilder(request -> {
            throw new IllegalStateException("idle: never refreshes");
          })
          .initialTokens(TokenResponse.bearer(copy(jwt)).withExpiresIn(Duration.ofHours(2))
              .withRefreshToken("refresh-" + i + "-" + "x".repeat(32)))
          .build());
    }
    long idle = usedAfterGc() - before;
    table.row("idle TokenKeeper (defaults, memory store, own idle pools)", keepers, kb(idle), bytes(idle, keepers));
    for (TokenKeeper k : held) {
      k.close();
    }
    held.clear();

    before = usedAfterGc();
    TokenKeepers<Integer> registry = TokenKeepers.newBuilder((Integer id) ->
            TokenKeeper.newBuilder(request -> {
                  throw new IllegalStateException("idle: never refreshes");
                })
                .initialTokens(TokenResponse.bearer(copy(jwt)).withExpiresIn(Duration.ofHours(2))
                    .withRefreshToken("refresh-" + id + "-" + "x".repeat(32))))
        .maximumSize(identities)
        .idleTimeout(Duration.ofHours(1))
        .build();
    for (int i = 0; i < identities; i++) {
      registry.token(i);
    }
    long inRegistry = usedAfterGc() - before;
    int size = registry.size();
    table.row("TokenKeepers registry, one keeper per identity (shared threads)", size, kb(inRegistry),
        bytes(inRegistry, size));
    registry.close();
    return "\nMemory: heap retained (used heap after full GC, before vs after; JDK " + Machine.jdk() + ")\n\n"
        + table.render();
  }

  /** A copy of {@code s} with its own character array, as a token read from a response would be. */
  private static String copy(String s) {
    return new String(s.toCharArray());
  }

  private static long usedAfterGc() throws InterruptedException {
    long last = Long.MAX_VALUE;
    for (int i = 0; i < 10; i++) {
      System.gc();
      Thread.sleep(50);
      long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
      if (used >= last) {
        return Math.min(used, last);
      }
      last = used;
    }
    return last;
  }

  private static String kb(long bytes) {
    return String.format("%,.0f KB", bytes / 1024.0);
  }

  private static String bytes(long bytes, int count) {
    return String.format("%,d B", count == 0 ? 0 : bytes / count);
  }
}
