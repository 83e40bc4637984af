package dev.tokenkeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tokenkeeper.SharedTokenStore.RefreshLease;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * What a {@link SharedTokenStore} must do on top of {@link TokenStoreContract}: one lease holder at
 * a time across handles and threads, fencing numbers that only grow, compare-and-delete release,
 * and {@code awaitChange} that wakes on a write and otherwise times out.
 */
public abstract class SharedTokenStoreContract extends TokenStoreContract {

  @Override
  protected abstract SharedTokenStore newStore();

  @Override
  protected abstract SharedTokenStore reopen(TokenStore store);

  private static final Duration LONG = Duration.ofMinutes(5);

  @Test
  void tryLease_heldThroughAnotherHandle_returnsNullUntilReleased() {
    SharedTokenStore store = newStore();
    SharedTokenStore other = reopen(store);
    RefreshLease lease = store.tryLease(LONG);

    assertThat(lease).isNotNull();
    assertThat(lease.isHeld()).isTrue();
    assertThat(other.tryLease(LONG)).isNull();
    assertThat(store.tryLease(LONG)).isNull();

    lease.release();
    assertThat(lease.isHeld()).isFalse();
    RefreshLease next = other.tryLease(LONG);
    assertThat(next).isNotNull();
    next.release();
  }

  @Test
  void tryLease_16ThreadsOn2Handles_neverTwoHoldersAndFencingIncreases() throws Exception {
    SharedTokenStore first = newStore();
    SharedTokenStore second = reopen(first);
    int threads = 16;
    int attempts = 300;
    AtomicInteger holders = new AtomicInteger();
    AtomicInteger overlaps = new AtomicInteger();
    AtomicInteger grants = new AtomicInteger();
    List<Long> fencing = java.util.Collections.synchronizedList(new ArrayList<>());
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        SharedTokenStore store = t % 2 == 0 ? first : second;
        done.add(pool.submit(() -> {
          start.await();
          for (int i = 0; i < attempts; i++) {
            RefreshLease lease = store.tryLease(LONG);
            if (lease == null) {
              continue;
            }
            if (holders.incrementAndGet() != 1) {
              overlaps.incrementAndGet();
            }
            grants.incrementAndGet();
            fencing.add(lease.fencingToken());
            holders.decrementAndGet();
            lease.release();
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }

    assertThat(overlaps.get()).isZero();
    assertThat(grants.get()).isPositive();
    // Grants are serialized by the lease, so the list is in grant order: strictly increasing.
    assertThat(fencing).hasSize(grants.get()).isSorted().doesNotHaveDuplicates();
  }

  @Test
  void fencingToken_newHandleAfterRelease_isGreater() {
    SharedTokenStore store = newStore();
    RefreshLease first = store.tryLease(LONG);
    first.release();

    RefreshLease second = reopen(store).tryLease(LONG);

    assertThat(second.fencingToken()).isGreaterThan(first.fencingToken());
    second.release();
  }

  @Test
  void release_twice_isHarmless() {
    SharedTokenStore store = newStore();
    RefreshLease lease = store.tryLease(LONG);

    lease.release();
    lease.release();

    RefreshLease next = store.tryLease(LONG);
    assertThat(next).isNotNull();
    next.release();
  }

  @Test
  void release_afterTtlLapsedAndAnotherTookOver_leavesTheNewHolderAlone() {
    SharedTokenStore store = newStore();
    SharedTokenStore other = reopen(store);
    RefreshLease lapsed = store.tryLease(Duration.ofMillis(20));
    await().atMost(Duration.ofSeconds(5)).until(() -> !lapsed.isHeld());

    RefreshLease successor = other.tryLease(LONG);
    lapsed.release();

    assertThat(successor).isNotNull();
    assertThat(successor.fencingToken()).isGreaterThan(lapsed.fencingToken());
    assertThat(successor.isHeld()).isTrue();
    assertThat(store.tryLease(LONG)).isNull();
    successor.release();
  }

  @Test
  void tryLease_holderPastItsTtl_isTakenOverWithoutTheHolderReleasing() {
    SharedTokenStore store = newStore();
    SharedTokenStore other = reopen(store);
    RefreshLease lapsed = store.tryLease(Duration.ofMillis(20));
    AtomicReference<RefreshLease> successor = new AtomicReference<>();

    await().atMost(Duration.ofSeconds(5)).until(() -> {
      successor.set(other.tryLease(LONG));
      return successor.get() != null;
    });

    assertThat(lapsed.isHeld()).isFalse();
    assertThat(successor.get().fencingToken()).isGreaterThan(lapsed.fencingToken());
    lapsed.release();
    assertThat(successor.get().isHeld()).isTrue();
    assertThat(store.tryLease(LONG)).isNull();
    successor.get().release();
  }

  @Test
  void tryLease_nonPositiveTtl_throws() {
    SharedTokenStore store = newStore();

    assertThatThrownBy(() -> store.tryLease(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ttl");
  }

  @Test
  void awaitChange_anotherHandleWrites_returnsTheNewVersion() throws Exception {
    SharedTokenStore store = newStore();
    SharedTokenStore writer = reopen(store);
    CompletableFuture<StoredTokens> seen = CompletableFuture.supplyAsync(() -> {
      try {
        return store.awaitChange(0, LONG);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });

    writer.compareAndSet(0, tokens(1));

    assertExactly(seen.get(10, TimeUnit.SECONDS), tokens(1));
  }

  @Test
  void awaitChange_versionAlreadyDifferent_returnsAtOnce() throws Exception {
    SharedTokenStore store = newStore();
    store.compareAndSet(0, tokens(1));

    long started = System.nanoTime();
    StoredTokens seen = store.awaitChange(0, LONG);

    assertThat(seen.version()).isEqualTo(1);
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void awaitChange_noWrite_returnsTheSameVersionAfterTheTimeout() throws Exception {
    SharedTokenStore store = newStore();
    store.compareAndSet(0, tokens(1));

    long started = System.nanoTime();
    StoredTokens seen = store.awaitChange(1, Duration.ofMillis(150));

    assertThat(seen.version()).isEqualTo(1);
    assertThat(Duration.ofNanos(System.nanoTime() - started))
        .isGreaterThanOrEqualTo(Duration.ofMillis(150)).isLessThan(Duration.ofSeconds(5));
  }
}
