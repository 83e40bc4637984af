package dev.tokenkeeper.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class DemoCliTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @Test
  void noOptions_defaults_bothActs_50Workers15Seconds3sTokensAllClients_3ProcessesOf10For8s() throws Exception {
    DemoOptions options = DemoOptions.parse();

    assertThat(options).isEqualTo(new DemoOptions(50, 15, 3, List.of("none", "naive", "keeper"), false,
        List.of(1, 2), 3, 10, 8, null, null));
  }

  @Test
  void options_bothSpellings_lastOneWins() throws Exception {
    DemoOptions options = DemoOptions.parse("--workers", "8", "--seconds=4", "--ttl", "5",
        "--client", "naive", "--workers=9", "--act", "2", "--processes=4", "--process-workers", "6",
        "--setup-seconds", "5", "--width=60", "--redis", "redis://127.0.0.1:6379");

    assertThat(options).isEqualTo(new DemoOptions(9, 4, 5, List.of("naive"), false, List.of(2), 4, 6, 5, 60,
        java.net.URI.create("redis://127.0.0.1:6379")));
  }

  @Test
  void clientAll_runsAllThree() throws Exception {
    assertThat(DemoOptions.parse("--client", "ALL").clients()).containsExactly("none", "naive", "keeper");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "--workers 0        | --workers must be a whole number from 1 to 500, not '0'",
      "--workers many     | --workers must be a whole number from 1 to 500, not 'many'",
      "--seconds -3       | --seconds must be a whole number from 1 to 3600, not '-3'",
      "--ttl 1            | --ttl must be a whole number from 2 to 3600, not '1'",
      "--client fancy     | --client must be none, naive, keeper or all, not 'fancy'",
      "--act 3            | --act must be 1, 2 or all, not '3'",
      "--processes 1      | --processes must be a whole number from 2 to 8, not '1'",
      "--process-workers 0 | --process-workers must be a whole number from 1 to 200, not '0'",
      "--setup-seconds 1  | --setup-seconds must be a whole number from 2 to 3600, not '1'",
      "--width 39         | --width must be a whole number from 40 to 1000, not '39'",
      "--redis localhost:6379 | --redis must be redis://host:port or rediss://host:port",
      "--redis http://x:1 | --redis must be redis://host:port or rediss://host:port",
      "--seconds          | --seconds needs a value",
      "--verbose          | unknown option '--verbose'",
      "now                | unexpected argument 'now'",
  })
  void badCommandLine_exit2_oneLineErrorThenUsage_onStderr(String args, String message) {
    int status = Demo.run(args.trim().split(" +"), print(out), print(err), false);

    assertThat(status).isEqualTo(2);
    assertThat(text(out)).isEmpty();
    assertThat(text(err)).isEqualTo("tokenkeeper-demo: " + message + "\n" + DemoOptions.USAGE);
    assertThatThrownBy(() -> DemoOptions.parse(args.trim().split(" +")))
        .isInstanceOf(DemoOptions.UsageException.class).hasMessageNotContaining("\n");
  }

  @Test
  void help_exit0_usageOnStdout() {
    int status = Demo.run(new String[] {"--help"}, print(out), print(err), false);

    assertThat(status).isZero();
    assertThat(text(out)).isEqualTo(DemoOptions.USAGE).contains("--workers N", "--client C");
    assertThat(text(err)).isEmpty();
  }

  @Test
  void shortRun_notATerminal_plainOutputWithoutEscapeCodes_tableAndSparklines_exit0() {
    int status = Demo.run(new String[] {"--act", "1", "--seconds", "1", "--workers", "3"}, print(out), print(err), false);

    String output = text(out);
    assertThat(status).as(output + text(err)).isZero();
    assertThat(output).doesNotContain("\u001b");
    assertThat(output).contains("Warming up for 0.3 s: the same clients", "[ 1/1 s] Tokenkeeper", "requests",
        "refresh calls", "reuse detections", "Successful requests per second", "Tokenkeeper: 0 of ",
        "Act 1, Tokenkeeper: 0 failed requests.");
    assertThat(output).doesNotContain("Act 2");
    assertThat(text(err)).isEmpty();
  }

  private static PrintStream print(ByteArrayOutputStream bytes) {
    return new PrintStream(bytes, true, StandardCharsets.UTF_8);
  }

  private static String text(ByteArrayOutputStream bytes) {
    return bytes.toString(StandardCharsets.UTF_8);
  }
}
