package dev.tokenkeeper.okhttp;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Guards the OkHttp version the adapter's tests run against: without it, a run meant to prove
 * OkHttp 4.12 support ({@code -Pokhttp4}) could quietly run on OkHttp 5 again.
 */
class OkHttpVersionTest {
  @Test
  void okHttpOnTheTestClassPath_isTheVersionThisRunIsFor() throws ReflectiveOperationException {
    // Read reflectively: OkHttp.VERSION is a compile-time constant, inlined from the OkHttp we
    // compiled against, not the one running.
    Object running = Class.forName("okhttp3.OkHttp").getField("VERSION").get(null);

    assertThat(running).isEqualTo(System.getProperty("tokenkeeper.okhttp.expected"));
  }
}
