package dev.tokenkeeper.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.testing.TestClock;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReportAndLiveViewTest {
  private final TestClock clock = new TestClock();

  @Test
  void sparkline_blankForZero_blocksInProportionToTheSharedMax() {
    assertThat(Report.sparkline(List.of(0L, 1L, 4L, 8L, 7L), 8)).isEqualTo(" ▁▄█▇");
  }

  @Test
  void liveView_onATerminal_redrawsInPlaceWithEscapeCodes() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    LiveView view = view(bytes, true);

    view.update();
    clock.advance(Duration.ofMillis(7500));
    view.update();

    String frames = bytes.toString(StandardCharsets.UTF_8);
    assertThat(frames)
        .startsWith("\u001b[2Kfake " + "░".repeat(12) + "   0.0s  ok      2  failed ")
        .contains("\u001b[1F\u001b[2Kfake " + "█".repeat(6) + "░".repeat(6) + "   7.5s  ok")
        .contains("failed \u001b[31m     1\u001b[0m  refresh calls    7\n");
  }

  @Test
  void liveView_notATerminal_appendsPlainLines() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    LiveView view = view(bytes, false);

    view.update();
    clock.advance(Duration.ofSeconds(2));
    view.update();

    assertThat(bytes.toString(StandardCharsets.UTF_8)).doesNotContain("\u001b").isEqualTo(
        "[ 0/15 s] fake  ok      2  failed      1  refresh calls    7\n"
            + "[ 2/15 s] fake  ok      2  failed      1  refresh calls    7\n");
  }

  @Test
  void report_columnPerClient_failuresByCause_andFirstFailure() {
    ClientStats stats = new ClientStats(new FakeClient(), clock, clock.millis(), Duration.ofSeconds(3));
    stats.record(Outcome.OK);
    clock.advance(Duration.ofMillis(1500));
    stats.record(Outcome.SESSION_LOST);

    String table = Report.render(List.of(Report.ClientResult.of(stats,
        new DemoServer.ClientCounts(1, 12, 11, 1, 2, 1))));

    assertThat(table).contains(
        "                                            fake\n",
        "requests                                       2\n",
        "  session lost to reuse detection              1\n",
        "refresh calls                                 12\n",
        "reuse detections                               1\n",
        "  fake  █    first failure after 1.5 s\n");
  }

  @Test
  void exitStatus_1OnlyWhenTheKeeperClientHadFailures() {
    assertThat(Demo.exitStatus(List.of(result("none", 5), result("keeper", 0)))).isZero();
    assertThat(Demo.exitStatus(List.of(result("naive", 5)))).isZero();
    assertThat(Demo.exitStatus(List.of(result("naive", 0), result("keeper", 1)))).isEqualTo(1);
  }

  private static Report.ClientResult result(String id, long failed) {
    return new Report.ClientResult(id, id, Map.of(Outcome.OK, 10L, Outcome.TIMEOUT_OR_OTHER, failed),
        1, 0, 1, 2, List.of(10L), failed > 0 ? 0 : -1);
  }

  private LiveView view(ByteArrayOutputStream bytes, boolean terminal) {
    ClientStats stats = new ClientStats(new FakeClient(), clock, clock.millis(), Duration.ofSeconds(15));
    stats.record(Outcome.OK);
    stats.record(Outcome.OK);
    stats.record(Outcome.API_REJECTED);
    long start = clock.millis();
    return new LiveView(new PrintStream(bytes, true, StandardCharsets.UTF_8), terminal, List.of(stats),
        id -> 7, Duration.ofSeconds(15), () -> clock.millis() - start);
  }

  private static final class FakeClient implements DemoClient {
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
