package dev.tokenkeeper;

import static org.awaitility.Awaitility.await;

import dev.tokenkeeper.testing.Fault;
import dev.tokenkeeper.testing.RecordedTokenRequest;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;

/**
 * One round of the process tests' kill scenario, shared by core's {@code SharedFileStoreProcessTest}
 * and tokenkeeper-redis's {@code RedisClusterProcessTest}: the next token request is served (the
 * server rotates the refresh token, or refuses it) and its answer held; the child that sent it
 * (named by its {@code process} parameter), which holds the lease, is killed with {@code kill -9}
 * while its call is open; then the answer is released to a dead connection, so the rotation is
 * lost. In core's test jar.
 *
 * @param holder the child that was killed (remove it from the live ones)
 * @param killedAt {@link System#nanoTime()} just before the kill
 * @param reuseDetectionsBefore the server's reuse detections before the round
 */
public record LeaseHolderKill(ChildJvm holder, long killedAt, int reuseDetectionsBefore) {

  /**
   * Plays the round against {@code live} children, each step awaited at most {@code answer}.
   *
   * @throws AssertionError if no live child sent the held request
   */
  public static <C extends ChildJvm> LeaseHolderKill killTheHolderOfTheNextRequest(
      ScriptedTokenServer server, List<C> live, Duration answer) throws InterruptedException {
    CountDownLatch release = new CountDownLatch(1);
    Fault held = Fault.holdResponse(release);
    int issued = server.issuedAccessTokens();
    int reuses = server.reuseDetections();
    server.enqueue(held);
    RecordedTokenRequest request = await("the held request").atMost(answer)
        .until(() -> heldRequest(server, held), r -> r != null);
    // Served: the server has rotated the refresh token (or refused it) and holds its answer.
    await("served").atMost(answer).until(() ->
        server.issuedAccessTokens() > issued || server.reuseDetections() > reuses);
    ChildJvm holder = live.stream()
        .filter(child -> child.name.equals(request.parameter("process"))).findFirst()
        .orElseThrow(() -> new AssertionError("no live child sent " + request));
    await("%s announced the call".formatted(holder.name)).atMost(answer)
        .until(() -> holder.openFetches() == 1);

    long killedAt = System.nanoTime();
    holder.kill9();
    release.countDown(); // the answer goes to a dead connection: the rotation is lost
    return new LeaseHolderKill(holder, killedAt, reuses);
  }

  private static @Nullable RecordedTokenRequest heldRequest(ScriptedTokenServer server, Fault held) {
    for (RecordedTokenRequest request : server.requests()) {
      if (request.fault() == held) {
        return request;
      }
    }
    return null;
  }
}
