package dev.tokenkeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenkeeper.ChildJvm.Line;
import dev.tokenkeeper.ChildJvm.Result;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keepers in several JVMs ({@link SharedKeeperChild}, started with {@link ProcessBuilder} on the
 * test class path) share one identity in one {@link FileTokenStore} against {@link
 * ScriptedTokenServer} with refresh token rotation and reuse detection: the shared-store protocol
 * of issue 11 with real processes, real file locks and {@code kill -9}.
 *
 * <p>Figures go to stdout and to {@code target/shared-file-store-*.txt}. The 20-kill runs of each
 * mode are in {@code mvn verify}; {@link #killTheLeaseHolder_100Kills_eachMode} is tagged {@code
 * crash1000} with the 1,000-kill crash test.
 */
class SharedFileStoreProcessTest {
  private static final String IDENTITY = "shared";
  private static final Duration START = Duration.ofSeconds(90); // a JVM start on a loaded machine
  private static final Duration ANSWER = Duration.ofSeconds(30);
  /** How soon after a kill a surviving process must have its next endpoint answer: no hang. */
  private static final Duration NEXT_ANSWER_BOUND = Duration.ofSeconds(10);

  @TempDir Path dir;
  @TempDir Path logs;
  private final List<KeeperProcess> children = new ArrayList<>();
  private int started;

  @AfterEach
  void killChildren() throws InterruptedException {
    for (KeeperProcess child : children) {
      child.close();
    }
  }

  // ---- a. four processes, twenty threads each ----

  @Test
  @Timeout(300)
  void fourProcesses_twentyThreadsEach_oneIdentity_fiftyRotations_noReuse_noFailedCall()
      throws Exception {
    int rotationsWanted = 50;
    long begun = System.nanoTime();
    try (ScriptedTokenServer server = server(Duration.ZERO)) {
      seed(server);
      List<KeeperProcess> four = startChildren(server, 4, 20);

      // Stops early on the first reuse detection: the failure the protocol exists to prevent.
      await("%d rotations".formatted(rotationsWanted)).atMost(Duration.ofMinutes(3))
          .until(() -> server.issuedAccessTokens() >= rotationsWanted || server.reuseDetections() > 0);
      List<Result> results = stopAll(four);

      int rotations = server.issuedAccessTokens();
      int endpointCalls = server.tokenRequests("refresh_token");
      long announced = four.stream().mapToLong(c -> c.count(t -> t.equals("fetch"))).sum();
      Map<String, Long> calls = KeeperProcess.sum(results);
      String figures = String.format("a. processes=4 threads=20 rotations=%d endpointCalls=%d "
          + "reuseDetections=%d calls=%d reauth=%d failedCalls=%d maxCallMillis=%d time=%d ms",
          rotations, endpointCalls, server.reuseDetections(), calls.get("ok"), calls.get("reauth"),
          calls.get("failures"), calls.get("maxCallMillis"), millisSince(begun));
      report("a", figures);

      assertThat(server.reuseDetections()).as(figures + transcripts(four)).isZero();
      assertThat(calls.get("failures") + calls.get("reauth")).as(figures).isZero();
      assertThat(rotations).as(figures).isGreaterThanOrEqualTo(rotationsWanted);
      assertThat(endpointCalls).as(figures).isLessThanOrEqualTo(rotations + 4);
      assertThat(announced).as("every endpoint call went through a child's source")
          .isEqualTo(endpointCalls);
      assertThat(results).allSatisfy(r -> assertThat(r.ok()).as(r.name()).isPositive());
      assertStoreHoldsTheLiveRefreshToken(server);
    }
  }

  // ---- b. kill -9 of the lease holder after the server rotated ----

  @Test
  @Timeout(300)
  void killTheLeaseHolder_20Times_withAGraceWindow_noSessionLost_noHang() throws Exception {
    KillFigures figures = killTheLeaseHolder(20, Duration.ofSeconds(30));

    assertThat(figures.sessionsLost).as(figures.text).isZero();
    assertThat(figures.graceReuses).as("each lost rotation forgiven once: %s", figures.text)
        .isEqualTo(20);
    assertThat(figures.calls.get("failures") + figures.calls.get("reauth")).as(figures.text)
        .isZero();
  }

  @Test
  @Timeout(300)
  void killTheLeaseHolder_20Times_withoutAGraceWindow_everyKillLosesTheSession_noHang()
      throws Exception {
    KillFigures figures = killTheLeaseHolder(20, Duration.ZERO);

    // What no client can prevent: the rotation died with the process that asked for it.
    assertThat(figures.sessionsLost).as(figures.text).isEqualTo(20);
    assertThat(figures.calls.get("failures")).as(figures.text).isZero(); // only reauth failures
  }

  /**
   * The long run, with the 1,000-kill crash test: {@code mvn -B -pl tokenkeeper-core -am test
   * -Dsurefire.excludedGroups= -Dgroups=crash1000 -Dtest=SharedFileStoreProcessTest
   * -Dsurefire.failIfNoSpecifiedTests=false}.
   */
  @Test
  @Tag("crash1000")
  @Timeout(3600)
  void killTheLeaseHolder_100Kills_eachMode() throws Exception {
    KillFigures grace = killTheLeaseHolder(100, Duration.ofSeconds(30));
    children.forEach(child -> child.process.destroyForcibly());
    children.clear();
    KillFigures none = killTheLeaseHolder(100, Duration.ZERO);

    assertThat(grace.sessionsLost).as(grace.text).isZero();
    assertThat(grace.calls.get("failures") + grace.calls.get("reauth")).as(grace.text).isZero();
    assertThat(none.sessionsLost).as(none.text).isEqualTo(100);
  }

  private record KillFigures(int sessionsLost, int graceReuses, Map<String, Long> calls,
      String text) {}

  /**
   * Four processes with 20 threads each; {@code kills} times: script the next token request to be
   * served and its answer held, wait until the server has rotated, kill -9 the process that sent
   * it (the lease holder), and start a replacement. The others must get their next endpoint answer
   * within {@link #NEXT_ANSWER_BOUND}. Without a grace window that answer is reuse detection: the
   * session is lost, and a surviving process signs in again for everyone before the next round.
   */
  private KillFigures killTheLeaseHolder(int kills, Duration graceWindow) throws Exception {
    long begun = System.nanoTime();
    String mode = graceWindow.isZero() ? "none" : graceWindow.toSeconds() + "s";
    try (ScriptedTokenServer server = server(graceWindow)) {
      seed(server);
      List<KeeperProcess> live = new ArrayList<>(startChildren(server, 4, 20));
      int sessionsLost = 0;
      boolean signInNeeded = false;
      long signInAdoptedMillis = 0;
      List<Long> nextAnswerMillis = new ArrayList<>();
      for (int kill = 1; kill <= kills; kill++) {
        // At least two processes have started; each of them has a live session before the kill.
        await("two ready processes").atMost(START).until(() -> ready(live).size() >= 2);
        List<KeeperProcess> ready = ready(live);
        long signedInAt = System.nanoTime();
        if (signInNeeded) {
          assertThat(ready.get(0).ask("signin",
              text -> text.equals("signedin") || text.startsWith("signin failed"), ANSWER))
              .isEqualTo("signedin");
          signedInAt = System.nanoTime();
        }
        for (KeeperProcess child : ready) {
          // A keeper whose session ended learns of a sign-in elsewhere from the store: soon, not
          // at once.
          await("%s has a session before kill %d".formatted(child.name, kill)).atMost(ANSWER)
              .pollInterval(Duration.ofMillis(50))
              .until(() -> child.ask("probe", text -> text.startsWith("probe "), ANSWER)
                  .equals("probe ok"));
        }
        if (signInNeeded) {
          signInAdoptedMillis = Math.max(signInAdoptedMillis, millisSince(signedInAt));
        }

        LeaseHolderKill round = LeaseHolderKill.killTheHolderOfTheNextRequest(server, live, ANSWER);
        long killedAt = round.killedAt();
        int reuses = round.reuseDetectionsBefore();
        live.remove(round.holder());
        live.add(startChild(server, 20));

        Line next = await("an endpoint answer in a surviving process after kill %d".formatted(kill))
            .atMost(ANSWER).pollInterval(Duration.ofMillis(10))
            .until(() -> firstAnswerAfter(live, killedAt), line -> line != null);
        nextAnswerMillis.add(TimeUnit.NANOSECONDS.toMillis(next.nanos() - killedAt));
        signInNeeded = server.reuseDetections() > reuses;
        if (signInNeeded) {
          sessionsLost++;
        }
        assertThat(next.text()).as("kill %d", kill)
            .isEqualTo(signInNeeded ? "fetched refused invalid_grant" : "fetched ok");
      }
      List<Result> results = stopAll(ready(live));
      Map<String, Long> calls = KeeperProcess.sum(results);
      List<Long> sorted = nextAnswerMillis.stream().sorted().collect(Collectors.toList());
      String text = String.format("b. graceWindow=%s kills=%d sessionsLost=%d graceReuses=%d "
          + "reuseDetections=%d rotations=%d nextAnswerAfterKill median=%d ms max=%d ms "
          + "signInAdoptedByAllWithin=%d ms survivors' calls=%d reauth=%d failedCalls=%d "
          + "maxCallMillis=%d time=%d ms",
          mode, kills, sessionsLost, server.graceReuses(), server.reuseDetections(),
          server.issuedAccessTokens(), sorted.get(sorted.size() / 2), sorted.get(sorted.size() - 1),
          signInAdoptedMillis, calls.get("ok"), calls.get("reauth"), calls.get("failures"), calls.get("maxCallMillis"),
          millisSince(begun));
      report("b-" + mode + "-" + kills, text);
      assertThat(sorted.get(sorted.size() - 1)).as(text)
          .isLessThanOrEqualTo(NEXT_ANSWER_BOUND.toMillis());
      return new KillFigures(sessionsLost, server.graceReuses(), calls, text);
    }
  }

  private static Line firstAnswerAfter(List<KeeperProcess> live, long nanos) {
    return ChildJvm.firstAnswerToACallAfter(live, nanos);
  }

  private static List<KeeperProcess> ready(List<KeeperProcess> live) {
    return ChildJvm.ready(live);
  }

  // ---- c. the story of the issue, across two processes ----

  /**
   * Keeper A rotated R0 into R1; keeper B, which still holds R0 in memory, must not send it: B
   * adopts A's token from the store, and B's next refresh sends R1.
   */
  @Test
  @Timeout(120)
  void twoKeepersInTwoProcesses_aRotates_bsNextRefreshDoesNotReuse() throws Exception {
    try (ScriptedTokenServer server = ScriptedTokenServer.newBuilder()
        .accessTokenTtl(Duration.ofMinutes(10)).build().start()) {
      seed(server, Duration.ofMinutes(10)); // nobody refreshes unless told to
      KeeperProcess a = startChild(server, 0);
      KeeperProcess b = startChild(server, 0);
      a.awaitReady(START);
      b.awaitReady(START);

      String first = b.ask("token", text -> text.startsWith("token "), ANSWER); // B holds R0
      assertThat(a.ask("token", text -> text.startsWith("token "), ANSWER)).isEqualTo(first);
      String aRotated = a.ask("invalidate", text -> text.startsWith("invalidated "), ANSWER);
      assertThat(server.tokenRequests("refresh_token")).isEqualTo(1); // A sent R0, got R1

      // B's token is rejected too (a 401): B must take A's token from the store, not send R0.
      String bAdopted = b.ask("invalidate", text -> text.startsWith("invalidated "), ANSWER);
      String story = transcripts(List.of(a, b));
      assertThat(server.reuseDetections()).as(story).isZero();
      assertThat(fingerprint(bAdopted)).as(story).isEqualTo(fingerprint(aRotated))
          .isNotEqualTo(fingerprint(first));
      assertThat(server.tokenRequests("refresh_token")).as(story).isEqualTo(1);

      // B's next refresh sends R1 (from the store), and A adopts B's token in turn.
      String bRotated = b.ask("invalidate", text -> text.startsWith("invalidated "), ANSWER);
      String aAdopted = a.ask("invalidate", text -> text.startsWith("invalidated "), ANSWER);

      story = transcripts(List.of(a, b));
      assertThat(server.reuseDetections()).as(story).isZero();
      assertThat(server.tokenRequests("refresh_token")).as(story).isEqualTo(2);
      assertThat(fingerprint(bRotated)).as(story).isNotEqualTo(fingerprint(aRotated));
      assertThat(fingerprint(aAdopted)).as(story).isEqualTo(fingerprint(bRotated));
      assertThat(b.count(text -> text.equals("fetched ok"))).isEqualTo(1);
      assertThat(a.count(text -> text.equals("fetched ok"))).isEqualTo(1);
      assertStoreHoldsTheLiveRefreshToken(server);
    }
  }

  private static String fingerprint(String answer) {
    return answer.substring(answer.lastIndexOf(' ') + 1);
  }

  // ---- helpers ----

  /** Rotation and reuse detection on; 1-second tokens that live 1 to 2 s (exp rounded up). */
  private static ScriptedTokenServer server(Duration graceWindow) {
    return ScriptedTokenServer.newBuilder().accessTokenTtl(Duration.ofSeconds(1))
        .roundExpiryUp(true).rotateRefreshTokens(true).reuseDetection(true)
        .reuseGraceWindow(graceWindow).build().start();
  }

  /** A signed-in session in the store: R0 of a new family and a 1-second access token. */
  private void seed(ScriptedTokenServer server) {
    seed(server, Duration.ofSeconds(1));
  }

  private void seed(ScriptedTokenServer server, Duration accessTokenTtl) {
    TokenResponse login = TokenResponse.bearer(server.mintAccessToken("alice", accessTokenTtl))
        .withExpiresIn(accessTokenTtl).withRefreshToken(server.issueLogin("alice"));
    TokenSource none = request -> {
      throw new IOException("the seeding keeper never refreshes");
    };
    try (TokenKeeper seeder = TokenKeeper.newBuilder(none).store(store()).initialTokens(login)
        .build()) {
      assertThat(store().load().refreshToken()).isNotNull();
    }
  }

  private FileTokenStore store() {
    return FileTokenStore.directory(dir).identity(IDENTITY);
  }

  /** The stored refresh token is the family's live one: redeeming it works, no rotation lost. */
  private void assertStoreHoldsTheLiveRefreshToken(ScriptedTokenServer server) throws Exception {
    RefreshToken stored = store().load().refreshToken();
    assertThat(stored).isNotNull();
    OAuth2TokenEndpoint endpoint = OAuth2TokenEndpoint.newBuilder(server.uri())
        .clientId("test-client").clientSecret("test-secret").build();
    int reuses = server.reuseDetections();
    TokenResponse redeemed =
        endpoint.refreshTokens().fetch(new TokenRequest(stored, TokenRequest.Reason.EXPIRED));
    assertThat(redeemed.refreshToken()).isNotNull();
    assertThat(server.reuseDetections()).isEqualTo(reuses);
  }

  /** Starts {@code count} children at once and waits until all are ready. */
  private List<KeeperProcess> startChildren(ScriptedTokenServer server, int count, int threads)
      throws IOException {
    List<KeeperProcess> batch = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      batch.add(startChild(server, threads));
    }
    for (KeeperProcess child : batch) {
      child.awaitReady(START);
    }
    return batch;
  }

  /** 20 worker threads call every 10 ms each; refresh when half the token's life is left. */
  private KeeperProcess startChild(ScriptedTokenServer server, int threads) throws IOException {
    KeeperProcess child = new KeeperProcess(dir, logs, IDENTITY, server.uri(),
        "p" + (++started), threads, 10, 0.5);
    children.add(child);
    return child;
  }

  private static List<Result> stopAll(List<KeeperProcess> children) {
    return ChildJvm.stopAll(children, ANSWER);
  }

  private static String transcripts(List<KeeperProcess> children) {
    return ChildJvm.transcripts(children);
  }

  private static long millisSince(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
  }

  private static void report(String name, String figures) throws IOException {
    System.out.println(figures);
    Path target = Path.of("target");
    if (Files.isDirectory(target)) {
      Files.writeString(target.resolve("shared-file-store-" + name + ".txt"), figures + "\n");
    }
  }
}
