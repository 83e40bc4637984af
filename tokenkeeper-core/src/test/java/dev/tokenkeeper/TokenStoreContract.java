package dev.tokenkeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What every {@link TokenStore} must do: versioned load and compare-and-set, atomic however many
 * threads and handles race. A store's test extends this and supplies the store; a store shared by
 * several keepers extends {@link SharedTokenStoreContract} instead.
 */
public abstract class TokenStoreContract {

  /** Returns a new, empty store. */
  protected abstract TokenStore newStore();

  /** Returns another handle on the same stored state (what another keeper would open). */
  protected abstract TokenStore reopen(TokenStore store);

  /** Tokens for {@code version} with every field set, each derived from the version. */
  static StoredTokens tokens(long version) {
    Instant obtained = Instant.ofEpochSecond(1_700_000_000L + version, version % 1_000_000_000L);
    AccessToken access = new AccessToken("at-" + version, version % 2 == 0 ? "Bearer" : "DPoP",
        obtained, obtained.plusSeconds(60 + version), Set.of("read", "s" + version));
    return new StoredTokens(version, access, new RefreshToken("rt-" + version));
  }

  /** Asserts that {@code loaded} is exactly {@link #tokens(long)} of its version, field by field. */
  static void assertExactly(StoredTokens loaded, StoredTokens expected) {
    assertThat(loaded.version()).isEqualTo(expected.version());
    if (expected.accessToken() == null) {
      assertThat(loaded.accessToken()).isNull();
    } else {
      AccessToken a = loaded.accessToken();
      AccessToken e = expected.accessToken();
      assertThat(a).isNotNull();
      assertThat(a.value()).isEqualTo(e.value());
      assertThat(a.type()).isEqualTo(e.type());
      assertThat(a.obtainedAt()).isEqualTo(e.obtainedAt());
      assertThat(a.expiresAt()).isEqualTo(e.expiresAt());
      assertThat(a.scopes()).isEqualTo(e.scopes());
    }
    assertThat(loaded.refreshToken()).isEqualTo(expected.refreshToken());
  }

  @Test
  void load_newStore_isEmptyAtVersionZero() {
    StoredTokens loaded = newStore().load();

    assertThat(loaded.version()).isZero();
    assertThat(loaded.isEmpty()).isTrue();
  }

  @Test
  void compareAndSet_expectedVersion_writesEveryFieldForAllHandles() {
    TokenStore store = newStore();

    assertThat(store.compareAndSet(0, tokens(1))).isTrue();
    assertThat(store.compareAndSet(1, tokens(2))).isTrue();

    assertExactly(store.load(), tokens(2));
    assertExactly(reopen(store).load(), tokens(2));
  }

  @Test
  void compareAndSet_unknownExpiryNoScopesNoRefreshToken_roundTrips() {
    TokenStore store = newStore();
    StoredTokens bare = new StoredTokens(1, AccessToken.bearer("opaque", Instant.EPOCH), null);

    store.compareAndSet(0, bare);

    assertExactly(reopen(store).load(), bare);
  }

  @Test
  void compareAndSet_emptyTokens_roundTrips() {
    TokenStore store = newStore();
    store.compareAndSet(0, tokens(1));

    store.compareAndSet(1, new StoredTokens(2, null, null)); // sign-out

    StoredTokens loaded = reopen(store).load();
    assertThat(loaded.version()).isEqualTo(2);
    assertThat(loaded.isEmpty()).isTrue();
  }

  @Test
  void compareAndSet_staleVersion_returnsFalseAndKeepsTheWinner() {
    TokenStore store = newStore();
    TokenStore other = reopen(store);
    store.compareAndSet(0, tokens(1));

    boolean written = other.compareAndSet(0, new StoredTokens(1, null, new RefreshToken("loser")));

    assertThat(written).isFalse();
    assertExactly(other.load(), tokens(1));
  }

  @Test
  void compareAndSet_replacementNotTheNextVersion_throwsAndWritesNothing() {
    TokenStore store = newStore();

    assertThatThrownBy(() -> store.compareAndSet(0, tokens(2)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expectedVersion + 1");
    assertThat(store.load().version()).isZero();
  }

  @Test
  void compareAndSet_8ThreadsOn2HandlesRacing_everyVersionWrittenExactlyOnce() throws Exception {
    TokenStore first = newStore();
    TokenStore second = reopen(first);
    int threads = 8;
    int target = 200;
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Integer>> wins = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        TokenStore store = t % 2 == 0 ? first : second;
        wins.add(pool.submit(() -> {
          start.await();
          int won = 0;
          for (long v = store.load().version(); v < target; v = store.load().version()) {
            if (store.compareAndSet(v, tokens(v + 1))) {
              won++;
            }
          }
          return won;
        }));
      }
      start.countDown();
      int total = 0;
      for (Future<Integer> w : wins) {
        total += w.get(60, TimeUnit.SECONDS);
      }

      assertThat(total).isEqualTo(target);
      assertExactly(first.load(), tokens(target));
    } finally {
      pool.shutdownNow();
    }
  }
}
