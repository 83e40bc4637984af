package dev.tokenkeeper;

import static dev.tokenkeeper.KeeperTestSupport.TTL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.testing.TestClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The registry of keepers per identity: on demand, one per key, idle and size eviction, resume. */
class TokenKeepersTest {
  private final TestClock clock = new TestClock();
  private final FakeSource source = new FakeSource(TTL);
  /** One durable store per identity, as a user would give (a file per identity, a Redis key). */
  private final Map<String, TokenStore> stores = new ConcurrentHashMap<>();
  private final AtomicInteger built = new AtomicInteger();
  private final ExecutorService threads = Executors.newFixedThreadPool(32);
  private TokenKeepers<String> registry;

  private TokenKeepers.Builder<String> registry() {
    return TokenKeepers.newBuilder((String tenant) -> {
      built.incrementAndGet();
      return TokenKeeper.newBuilder(source).name("tenant").clock(clock).scheduler(clock::schedule)
          .jitter(0).random(() -> 0L)
          .store(stores.computeIfAbsent(tenant, t -> TokenStore.inMemory()));
    }).clock(clock);
  }

  @AfterEach
  void stop() {
    threads.shutdownNow();
    if (registry != null) {
      registry.close();
    }
  }

  @Test
  void thirtyTwoThreadsAskingForOneNewIdentity_buildOneKeeper_andMakeOneEndpointCall() throws Exception {
    registry = registry().build();
    CountDownLatch start = new CountDownLatch(1);
    List<Future<AccessToken>> calls = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      calls.add(threads.submit(() -> {
        start.await();
        return registry.token("acme");
      }));
    }
    start.countDown();
    for (Future<AccessToken> call : calls) {
      assertThat(call.get(30, TimeUnit.SECONDS).value()).isEqualTo("access-1");
    }
    assertThat(built).hasValue(1);
    assertThat(source.calls).hasValue(1);
    assertThat(registry.size()).isEqualTo(1);
  }

  @Test
  void anIdleKeeperIsClosed_andTheIdentityResumesFromItsStore_withoutAnEndpointCall() {
    registry = registry().idleTimeout(Duration.ofMinutes(4)).build();
    TokenKeeper first = registry.get("acme");
    AccessToken token = first.token();
    registry.token("globex");
    clock.advance(Duration.ofMinutes(3));
    registry.token("globex"); // globex is used, acme is not
    clock.advance(Duration.ofMinutes(2)); // acme idle for 5 minutes, globex for 2
    registry.get("initech"); // a call looks for idle keepers
    assertThat(registry.size()).isEqualTo(2);
    assertThatThrownBy(first::token).isInstanceOf(TokenKeeperClosedException.class);

    assertThat(registry.token("acme")).isEqualTo(token); // rebuilt from its store
    assertThat(built).hasValue(4);
    assertThat(source.calls).hasValue(2); // acme and globex once each; nothing for the resume
  }

  @Test
  void beyondTheMaximumSize_theLeastRecentlyUsedAreClosedFirst() {
    registry = registry().maximumSize(3).build();
    for (String tenant : List.of("a", "b", "c")) {
      registry.get(tenant);
      clock.advance(Duration.ofSeconds(1));
    }
    registry.get("a"); // a is now the most recently used
    clock.advance(Duration.ofSeconds(1));
    TokenKeeper b = registry.get("b");
    clock.advance(Duration.ofSeconds(1));
    registry.get("d"); // evicts c, the least recently used
    assertThat(registry.size()).isEqualTo(3);
    assertThat(built).hasValue(4);
    registry.get("a");
    registry.get("b");
    assertThat(built).as("a and b were kept").hasValue(4);
    registry.get("c");
    assertThat(built).as("c was evicted and is rebuilt").hasValue(5);
    assertThat(b.token()).isNotNull();
  }

  @Test
  void aKeeperWithCallersWaitingForARefresh_isNotEvicted() throws Exception {
    registry = registry().idleTimeout(Duration.ofSeconds(4)).maximumSize(1).build();
    CountDownLatch held = source.hold();
    Future<AccessToken> waiting = threads.submit(() -> registry.token("acme"));
    assertThat(source.entered.tryAcquire(10, TimeUnit.SECONDS)).isTrue();
    org.awaitility.Awaitility.await().until(() -> registry.get("acme").waitingCallers() == 1);
    clock.advance(Duration.ofSeconds(5)); // within the caller's 10 s deadline
    registry.get("globex"); // over the size and past the idle time, but acme has a caller waiting
    assertThat(registry.size()).isEqualTo(2);
    held.countDown();
    assertThat(waiting.get(10, TimeUnit.SECONDS).value()).isEqualTo("access-1");
  }

  @Test
  void tokenAsksTheSuccessor_whenTheKeeperWasEvictedMeanwhile() throws Exception {
    registry = registry().build();
    TokenKeeper old = registry.get("acme");
    AccessToken token = old.token();
    registry.evict("acme");
    assertThatThrownBy(old::token).isInstanceOf(TokenKeeperClosedException.class);
    assertThat(registry.token("acme")).isEqualTo(token);
    assertThat(registry.tokenAsync("acme").get(10, TimeUnit.SECONDS)).isEqualTo(token);
    assertThat(source.calls).hasValue(1);
  }

  @Test
  void closeClosesEveryKeeper_andLaterCallsFailTyped() {
    registry = registry().build();
    TokenKeeper acme = registry.get("acme");
    registry.close();
    assertThatThrownBy(acme::token).isInstanceOf(TokenKeeperClosedException.class);
    assertThatThrownBy(() -> registry.get("acme")).isInstanceOf(TokenKeeperClosedException.class)
        .hasMessageContaining("registry is closed");
    assertThatThrownBy(() -> registry.tokenAsync("acme").join())
        .hasCauseInstanceOf(TokenKeeperClosedException.class);
    assertThat(registry.toString()).contains("closed").doesNotContain("acme");
  }

  @Test
  void aFactoryThatFails_registersNothing_andTheNextCallTriesAgain() {
    AtomicInteger attempts = new AtomicInteger();
    registry = TokenKeepers.newBuilder((String tenant) -> {
      if (attempts.incrementAndGet() == 1) {
        throw TokenStoreException.of(TokenStoreException.Reason.IO_FAILURE, null, "store down", null);
      }
      return TokenKeeper.newBuilder(source).clock(clock).scheduler(clock::schedule);
    }).build();
    assertThatThrownBy(() -> registry.get("acme")).isInstanceOf(RuntimeException.class);
    assertThat(registry.size()).isZero();
    assertThat(registry.token("acme")).isNotNull();
  }

  @Test
  void invalidSettingsAreRefused() {
    assertThatThrownBy(() -> TokenKeepers.newBuilder(k -> null).idleTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("idleTimeout");
    assertThatThrownBy(() -> TokenKeepers.newBuilder(k -> null).maximumSize(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maximumSize");
    TokenKeepers<String> nulls = TokenKeepers.<String>newBuilder(k -> null).build();
    assertThatThrownBy(() -> nulls.get("x")).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("factory returned null");
    nulls.close();
  }
}
