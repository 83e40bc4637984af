package dev.tokenkeeper.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The committed fuzzing corpus runs as regression inputs in {@code mvn verify}. Jazzer's
 * regression mode reads a target's inputs from the test classpath ({@code
 * FuzzTargetsTestInputs/<target>} next to the test class), not from {@code .cifuzz-corpus}, where
 * fuzzing writes them; the pom copies the one to the other. This checks that every committed input
 * is there, so that {@link FuzzTargetsTest} replays it.
 */
class FuzzCorpusTest {

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"jwtExpiry", "jwtClaims", "tokenResponse"})
  void committedCorpus_isAmongTheRegressionInputs(String target) throws Exception {
    Set<String> committed = names(Path.of(".cifuzz-corpus", FuzzTargetsTest.class.getName(), target));
    assertThat(committed).as("committed corpus of %s", target).isNotEmpty();
    URL inputs = FuzzTargetsTest.class.getResource("FuzzTargetsTestInputs/" + target);
    assertThat(inputs).as("regression inputs of %s on the test classpath", target).isNotNull();
    assertThat(names(Path.of(inputs.toURI()))).containsAll(committed);
  }

  private static Set<String> names(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return Set.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).collect(Collectors.toSet());
    }
  }
}
