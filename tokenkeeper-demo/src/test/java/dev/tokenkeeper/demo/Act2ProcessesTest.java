package dev.tokenkeeper.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import dev.tokenkeeper.redis.RedisServer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Act 2 with real worker JVMs (this module's class path), short runs: 3 processes of 4 workers
 * for 4 s with 2 s tokens, so every process needs at least one refresh.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class Act2ProcessesTest {
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

  private static DemoOptions options() throws Exception {
    return DemoOptions.parse("--act", "2", "--processes", "3", "--process-workers", "4",
        "--setup-seconds", "4", "--ttl", "2");
  }

  @Test
  void tokensInMemory_theProcessesBurnEachOthersRefreshToken_andTheServerRevokesTheSession() throws Exception {
    ChildProcesses children = new ChildProcesses();
    Act2.SetupResult memory = Act2.runSetup(Act2.Setup.MEMORY, options(), out, false, 100, children);

    Tally total = memory.total();
    assertThat(memory.processes()).hasSize(3);
    assertThat(total.reuseDetections()).as(text()).isEqualTo(1);
    assertThat(memory.sessionAlive()).isFalse();
    assertThat(total.count(Outcome.SESSION_LOST)).isPositive();
    assertThat(total.failed()).isEqualTo(total.count(Outcome.SESSION_LOST) + total.count(Outcome.API_REJECTED));
    assertThat(text()).contains("refresh token reused -> session revoked at");
    assertThat(children.stopAll()).as("worker processes still alive").isZero();
  }

  @Test
  void sharedFileStore_threeProcesses_zeroFailures_zeroReuse_everyProcessServed() throws Exception {
    ChildProcesses children = new ChildProcesses();
    Act2.SetupResult file = Act2.runSetup(Act2.Setup.FILE, options(), out, false, 100, children);

    Tally total = file.total();
    assertThat(total.failed()).as(text()).isZero();
    assertThat(total.reuseDetections()).isZero();
    assertThat(file.sessionAlive()).isTrue();
    assertThat(file.processes()).hasSize(3).allSatisfy(p -> assertThat(p.ok()).isPositive());
    // 4 s of 2 s tokens (1 to 2 s each, JWT times being whole seconds): a handful of refreshes in
    // all, never two for the same token (that would be a reuse detection or a refusal). Bound: no
    // keeper refreshes a token within 1 s of its issue (it could not get a later expiry), so at most
    // one per second of the run, plus one per process whose workers start on an expired token.
    assertThat(total.refreshCalls()).as(text()).isBetween(1L, 4L + 1 + 3);
    assertThat(children.stopAll()).isZero();
  }

  @Test
  void sharedRedisStore_threeProcesses_zeroFailures_zeroReuse_everyProcessServed(@TempDir Path dir)
      throws Exception {
    try (RedisServer redis = RedisServer.start(dir)) {
      ChildProcesses children = new ChildProcesses();
      DemoOptions options = DemoOptions.parse("--act", "2", "--processes", "3", "--process-workers", "4",
          "--setup-seconds", "4", "--ttl", "2", "--redis", "redis://127.0.0.1:" + redis.port());
      Act2.SetupResult shared = Act2.runSetup(Act2.Setup.REDIS, options, out, false, 100, children);

      Tally total = shared.total();
      assertThat(total.failed()).as(text()).isZero();
      assertThat(total.reuseDetections()).isZero();
      assertThat(shared.sessionAlive()).isTrue();
      assertThat(shared.processes()).hasSize(3).allSatisfy(p -> assertThat(p.ok()).isPositive());
      assertThat(total.refreshCalls()).as(text()).isBetween(1L, 4L + 1 + 3); // as for the file store
      assertThat(children.stopAll()).isZero();
      // The run's keys are removed afterwards: nothing of the demo stays in the user's Redis.
      io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create(redis.uri());
      try (var connection = client.connect()) {
        assertThat(connection.sync().keys("tokenkeeper-demo:*")).isEmpty();
      } finally {
        client.shutdown();
      }
    }
  }

  @Test
  void bothSetups_throughTheCommandLine_exit0_tableAndOneLinePerSetup() {
    int status = Demo.run(new String[] {"--act", "2", "--process-workers", "3", "--setup-seconds", "3",
        "--ttl", "2", "--width", "80"}, out, out, false);

    assertThat(status).as(text()).isZero();
    assertThat(text()).contains("Act 2, setup 1 of 2", "Act 2, setup 2 of 2", "in memory  shared file",
        "session at the end", "revoked", "alive", "Act 2, shared FileTokenStore: 0 failed requests.");
  }

  @ParameterizedTest
  @ValueSource(strings = {"INT", "TERM"})
  void demoKilledBySignal_whileWorkersRun_noWorkerSurvives(String signal) throws Exception {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Demo.class.getName(),
        "--act", "2", "--process-workers", "2", "--setup-seconds", "120"));
    Process demo = new ProcessBuilder(command).redirectErrorStream(true).start();
    List<ProcessHandle> workers = new ArrayList<>();
    try {
      BufferedReader lines = new BufferedReader(new InputStreamReader(demo.getInputStream(), StandardCharsets.UTF_8));
      StringBuilder seen = new StringBuilder();
      // Until the workers run (a live line), past the start where they still wait for "go".
      for (String line = lines.readLine(); line != null && !line.matches("\\[ *[1-9]\\d*/120 s\\] process 1 .*");
          line = lines.readLine()) {
        seen.append(line).append('\n');
      }
      workers.addAll(demo.descendants().toList());
      assertThat(workers).as(seen.toString()).hasSizeGreaterThanOrEqualTo(3);

      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(demo.pid())).start();
      assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();

      assertThat(demo.waitFor(30, TimeUnit.SECONDS)).as("the demo exits").isTrue();
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(workers).noneMatch(ProcessHandle::isAlive));
    } finally {
      workers.forEach(ProcessHandle::destroyForcibly); // survivors of a failed run, not left behind
      demo.descendants().forEach(ProcessHandle::destroyForcibly);
      demo.destroyForcibly();
    }
  }

  private String text() {
    return bytes.toString(StandardCharsets.UTF_8);
  }
}
