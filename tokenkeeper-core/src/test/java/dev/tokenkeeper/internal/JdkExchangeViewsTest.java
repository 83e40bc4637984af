package dev.tokenkeeper.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The JDK adapter sends a request through a view (no copy) only where {@code HttpRequest} has
 * nothing the view cannot forward: up to JDK 25. JDK 26 added per-request options ({@code
 * HttpRequest.getOption}); there the adapter copies the request, options included. Run on JDK 17
 * and 25 by CI; a JDK that changes either side fails this and needs a look at {@code WithHeaders}.
 */
class JdkExchangeViewsTest {

  @Test
  void requestsGoOutAsViews_onlyOnJdksWithoutPerRequestOptions() {
    assertThat(JdkExchange.VIEWS).as("JDK %s", Runtime.version())
        .isEqualTo(Runtime.version().feature() < 26);
  }
}
