package dev.tokenkeeper.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.testing.TestClock;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReportAndLiveViewTest {
  private final TestClock clock = new TestClock();

  @Test
  void sparkline_blankForZero_blocksInProportionToTheSharedMax() {
    assertThat(Report.sparkline(List.of(0L, 1L, 4L, 8L, 7L), 8)).isEqualTo(" ▁▄█▇");
  }

  @Test
  void liveView_onATerminal_redrawsInPlace_statsLineAndCauseLine() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    LiveView view = view(bytes, true, 160);

    view.update();
    clock.advance(Duration.ofMillis(7500));
    view.update();

    String frames = bytes.toString(StandardCharsets.UTF_8);
    assertThat(frames)
        .startsWith("\u001b[2Kfake         " + "░".repeat(12) + "   0.0s  ok       2  failed ")
        .contains("\u001b[2F\u001b[2Kfake         " + "█".repeat(6) + "░".repeat(6) + "   7.5s  ok")
        .contains("failed \u001b[31m      1\u001b[0m  refresh calls     7\n")
        .contains("\u001b[2K  ↳ 1 sent an expired token (401), first at 0.0 s\n\u001b[J");
  }

  @Test
  void liveView_notATerminal_appendsPlainLines_andTheCauseOnlyWhenItChanges() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    LiveView view = view(bytes, false, 80);

    view.update();
    clock.advance(Duration.ofSeconds(2));
    view.update();

    assertThat(bytes.toString(StandardCharsets.UTF_8)).doesNotContain("\u001b").isEqualTo(
        "[ 0/15 s] fake          ok       2  failed       1  refresh calls     7\n"
            + "[ 0/15 s] fake: 1 sent an expired token (401), first at 0.0 s\n"
            + "[ 2/15 s] fake          ok       2  failed       1  refresh calls     7\n");
  }

  @Test
  void report_columnPerClient_onlyCausesThatHappened_takeawayPerClient() {
    ClientStats stats = new ClientStats(new FakeClient(), clock, clock.millis(), Duration.ofSeconds(3));
    stats.record(Outcome.OK);
    clock.advance(Duration.ofMillis(1500));
    stats.record(Outcome.SESSION_LOST);

    String table = Report.render(List.of(Report.ClientResult.of(stats,
        new DemoServer.ClientCounts(1, 12, 11, 1, 2, 1))), 100, 3000, 3);

    assertThat(table).contains(
        "                                   fake\n",
        "requests                              2\n",
        "  session lost to reuse detection     1\n",
        "refresh calls                        12\n",
        "reuse detections                      1\n",
        "  fake  █    first failure after 1.5 s\n",
        "fake: 12 refreshes with the same refresh token; at 1.5 s the server saw a rotated token come back,")
        .doesNotContain("401 from the API", "refresh rejected", "timeout / other", "latency");
  }

  @Test
  void exitStatus_1OnlyWhenTheKeeperClientHadFailures() {
    assertThat(Demo.exitStatus(List.of(result("none", 5), result("keeper", 0)), List.of())).isZero();
    assertThat(Demo.exitStatus(List.of(result("naive", 5)), List.of())).isZero();
    assertThat(Demo.exitStatus(List.of(result("naive", 0), result("keeper", 1)), List.of())).isEqualTo(1);
  }

  @Test
  void exitStatus_act2_1OnlyWhenTheSharedStoreSetupHadFailures() {
    Act2.SetupResult memoryFailed = setup(Act2.Setup.MEMORY, 100);
    assertThat(Demo.exitStatus(List.of(), List.of(memoryFailed, setup(Act2.Setup.FILE, 0)))).isZero();
    assertThat(Demo.exitStatus(List.of(), List.of(memoryFailed, setup(Act2.Setup.FILE, 1)))).isEqualTo(1);
    assertThat(Demo.exitStatus(List.of(result("keeper", 1)), List.of(setup(Act2.Setup.FILE, 0)))).isEqualTo(1);
  }

  static Report.ClientResult result(String id, long failed) {
    long[] counts = new long[Outcome.values().length];
    long[] first = new long[counts.length];
    java.util.Arrays.fill(first, -1);
    counts[Outcome.OK.ordinal()] = 10;
    counts[Outcome.TIMEOUT_OR_OTHER.ordinal()] = failed;
    if (failed > 0) {
      first[Outcome.TIMEOUT_OR_OTHER.ordinal()] = 0;
    }
    return new Report.ClientResult(id, id, new Tally(counts, first, 1, 0), 1, 2, List.of(10L));
  }

  static Act2.SetupResult setup(Act2.Setup setup, long failed) {
    return new Act2.SetupResult(setup, 10, List.of(result("p1", failed).tally(), result("p2", 0).tally()),
        failed == 0, 2000, 8000);
  }

  private LiveView view(ByteArrayOutputStream bytes, boolean terminal, int width) {
    ClientStats stats = new ClientStats(new FakeClient(), clock, clock.millis(), Duration.ofSeconds(15));
    stats.record(Outcome.OK);
    stats.record(Outcome.OK);
    stats.record(Outcome.API_REJECTED);
    long start = clock.millis();
    return new LiveView(new PrintStream(bytes, true, StandardCharsets.UTF_8), terminal, width,
        () -> List.of(new LiveView.Row("fake", "f", stats.tally(new DemoServer.ClientCounts(0, 7, 0, 0, 0, 0)))),
        Duration.ofSeconds(15), () -> clock.millis() - start);
  }

  static final class FakeClient implements DemoClient {
    @Override
    public String id() {
      return "fake";
    }

    @Override
    public String title() {
      return "fake";
    }

    @Override
    public void logIn() {}

    @Override
    public Outcome request() {
      return Outcome.OK;
    }
  }
}
