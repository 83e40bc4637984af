package dev.tokenkeeper;

import static dev.tokenkeeper.KeeperTestSupport.TTL;
import static dev.tokenkeeper.KeeperTestSupport.initial;
import static dev.tokenkeeper.KeeperTestSupport.keeper;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tokenkeeper.testing.TestClock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A keeper closed while its refresh is at the endpoint (an application shutting down, a registry
 * evicting an idle identity): the server may already have rotated the refresh token, so the answer
 * must still reach the store, or the next keeper on that store would present a retired token.
 */
class LateAnswerAfterCloseTest {
  private final TestClock clock = new TestClock();

  @Test
  void anAnswerArrivingAfterClose_isSavedToTheStore_butHandedToNobody() throws Exception {
    FakeSource source = new FakeSource(TTL);
    TokenStore store = TokenStore.inMemory();
    TokenKeeper keeper = keeper(source, clock).store(store).initialTokens(initial()).build();
    long before = store.load().version();
    CountDownLatch held = source.hold();
    clock.advance(TTL);
    CompletableFuture<AccessToken> waiting = keeper.tokenAsync(Duration.ofMinutes(1));
    assertThat(source.entered.tryAcquire(10, TimeUnit.SECONDS)).isTrue();
    keeper.close();
    assertThatThrownBy(() -> waiting.get(10, TimeUnit.SECONDS))
        .hasCauseInstanceOf(TokenKeeperClosedException.class);
    held.countDown(); // the endpoint answers with a rotated refresh token
    await().until(() -> store.load().version() == before + 1);
    assertThat(store.load().refreshToken()).isEqualTo(new RefreshToken("refresh-1"));

    // The next keeper on the store continues with the rotated refresh token.
    TokenKeeper next = keeper(source, clock).store(store).build();
    assertThat(next.token().value()).isEqualTo("access-1");
    next.close();
  }

  @Test
  void anAnswerArrivingAfterCloseAndAnotherWrite_isDropped() throws Exception {
    FakeSource source = new FakeSource(TTL);
    TokenStore store = TokenStore.inMemory();
    TokenKeeper keeper = keeper(source, clock).store(store).initialTokens(initial()).build();
    CountDownLatch held = source.hold();
    clock.advance(TTL);
    keeper.tokenAsync(Duration.ofMinutes(1));
    assertThat(source.entered.tryAcquire(10, TimeUnit.SECONDS)).isTrue();
    keeper.close();
    StoredTokens latest = store.load();
    StoredTokens theirs = latest.next(null, new RefreshToken("someone-else"));
    assertThat(store.compareAndSet(latest.version(), theirs)).isTrue();
    held.countDown();
    await().during(Duration.ofMillis(200)).until(() -> store.load().equals(theirs));
  }
}
