package dev.tokenkeeper;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every {@code ```java} block of the README is code that a test compiles and runs: it must equal,
 * line for line (indentation and runs of blanks aside), a {@code // --- README: <name> ---} ...
 * {@code // --- end ---} region of a test source under some module's {@code src/test/java}. The
 * one exception, the {@code module-info} example, must ask for the modules the JPMS smoke test
 * ({@code .ci/jpms/app}) compiles and runs with. Edit a README snippet without its test, or the
 * test without the README, and this fails.
 */
class ReadmeSnippetsTest {
  private static final Pattern JAVA_BLOCK = Pattern.compile("(?ms)^```java\\n(.*?)^```\\s*$");
  private static final Pattern REGION = Pattern.compile(
      "(?ms)^\\s*// --- README: ([\\w-]+) ---\\n(.*?)^\\s*// --- end ---\\s*$");
  private static final Pattern REQUIRES = Pattern.compile("(?m)^\\s*requires\\s+([\\w.]+)\\s*;");

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  @Test
  void everyJavaBlockOfTheReadme_isARegionOfATestThatRunsIt() throws IOException {
    List<String> blocks = javaBlocks();
    Map<String, List<String>> regions = regions();
    List<String> unmatched = new ArrayList<>();
    List<String> used = new ArrayList<>();
    for (String block : blocks) {
      List<String> lines = normalise(block);
      if (lines.get(0).startsWith("module ")) {
        continue; // moduleInfoExample checks it
      }
      String match = regions.entrySet().stream().filter(e -> e.getValue().equals(lines))
          .map(Map.Entry::getKey).findFirst().orElse(null);
      if (match == null) {
        unmatched.add(String.join("\n", lines));
      } else {
        used.add(match);
      }
    }
    assertThat(unmatched).as("README java blocks with no identical '// --- README: <name> ---' region "
        + "in a test (fix the README or the test so they say the same thing); regions found: %s",
        regions.keySet()).isEmpty();
    assertThat(used).as("README blocks checked").hasSizeGreaterThanOrEqualTo(9);
    assertThat(regions.keySet()).as("test regions the README no longer shows").containsExactlyInAnyOrderElementsOf(used);
  }

  @Test
  void moduleInfoExample_requiresWhatTheJpmsSmokeTestRunsWith() throws IOException {
    List<String> modules = javaBlocks().stream().filter(b -> normalise(b).get(0).startsWith("module "))
        .collect(Collectors.toList());
    assertThat(modules).hasSize(1);
    List<String> readmeRequires = requires(modules.get(0));
    String app = Files.readString(ROOT.resolve(".ci/jpms/app/module-info.java"), StandardCharsets.UTF_8);
    List<String> appRequires = requires(app);
    assertThat(readmeRequires).containsExactly("dev.tokenkeeper.okhttp", "okhttp3");
    assertThat(appRequires).containsAll(readmeRequires);
    // and the README's "brings dev.tokenkeeper.core" is the adapter's own word:
    String okhttp = Files.readString(ROOT.resolve("tokenkeeper-okhttp/src/main/java/module-info.java"),
        StandardCharsets.UTF_8);
    assertThat(okhttp).contains("module dev.tokenkeeper.okhttp").contains("requires transitive dev.tokenkeeper.core;");
  }

  private static List<String> requires(String moduleInfo) {
    List<String> names = new ArrayList<>();
    Matcher m = REQUIRES.matcher(moduleInfo);
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

  private static List<String> javaBlocks() throws IOException {
    String readme = Files.readString(ROOT.resolve("README.md"), StandardCharsets.UTF_8);
    List<String> blocks = new ArrayList<>();
    Matcher m = JAVA_BLOCK.matcher(readme);
    while (m.find()) {
      blocks.add(m.group(1));
    }
    return blocks;
  }

  private static Map<String, List<String>> regions() throws IOException {
    Map<String, List<String>> regions = new LinkedHashMap<>();
    List<Path> sources;
    try (Stream<Path> modules = Files.list(ROOT)) {
      sources = modules.map(module -> module.resolve("src/test/java")).filter(Files::isDirectory)
          .flatMap(ReadmeSnippetsTest::javaFiles).collect(Collectors.toList());
    }
    for (Path source : sources) {
      Matcher m = REGION.matcher(Files.readString(source, StandardCharsets.UTF_8));
      while (m.find()) {
        List<String> previous = regions.put(m.group(1), normalise(m.group(2)));
        assertThat(previous).as("region %s appears twice (again in %s)", m.group(1), source).isNull();
      }
    }
    return regions;
  }

  private static Stream<Path> javaFiles(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(p -> p.toString().endsWith(".java")).collect(Collectors.toList()).stream();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Trims each line, collapses runs of blanks, drops empty lines. */
  private static List<String> normalise(String text) {
    return text.lines().map(line -> line.strip().replaceAll("\\s+", " ")).filter(line -> !line.isEmpty())
        .collect(Collectors.toList());
  }
}
