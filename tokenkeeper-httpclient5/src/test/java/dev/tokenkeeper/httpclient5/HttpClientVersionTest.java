package dev.tokenkeeper.httpclient5;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.core5.http.HttpRequest;
import org.junit.jupiter.api.Test;

/**
 * The build runs the conformance suites twice: on the HttpClient we compile against and on the
 * oldest we claim. This says which one a run really had on its class path, so that a build change
 * cannot quietly test the same version twice.
 */
class HttpClientVersionTest {

  @Test
  void theHttpClientOnTheClassPath_isTheOneThisRunIsFor() throws IOException {
    String expected = System.getProperty("httpclient5.expected.version");
    assertThat(expected).as("set by the surefire configuration").isNotBlank();
    assertThat(version(HttpClientBuilder.class, "client5/httpclient5")).isEqualTo(expected);
    String core = System.getProperty("httpcore5.expected.version"); // set where it is not the client's own
    if (core != null) {
      assertThat(version(HttpRequest.class, "core5/httpcore5")).isEqualTo(core);
    }
  }

  /** The version in the pom.properties of the jar {@code type} came from. */
  private static String version(Class<?> type, String artifact) throws IOException {
    String group = "org.apache.httpcomponents." + artifact.substring(0, artifact.indexOf('/'));
    String name = artifact.substring(artifact.indexOf('/') + 1);
    try (InputStream in = type.getResourceAsStream("/META-INF/maven/" + group + "/" + name + "/pom.properties")) {
      assertThat(in).as("pom.properties of " + artifact).isNotNull();
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version");
    }
  }
}
