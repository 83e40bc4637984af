package dev.tokenkeeper.demo;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import org.jspecify.annotations.Nullable;

/**
 * Client 1: logs in once and never refreshes. Every request fails from the moment the first access
 * token expires. The baseline that shows what the token lifetime means.
 */
final class NoRefreshClient implements DemoClient {
  private final HttpClient http = DemoHttp.newClient();
  private final URI base;
  private final String username;
  private final String password;
  private volatile @Nullable String accessToken;

  NoRefreshClient(URI base, String username, String password) {
    this.base = base;
    this.username = username;
    this.password = password;
  }

  @Override
  public String id() {
    return "none";
  }

  @Override
  public String title() {
    return "no refresh";
  }

  @Override
  public void logIn() throws IOException, InterruptedException {
    accessToken = DemoHttp.logIn(http, base, id(), username, password).accessToken();
  }

  @Override
  public Outcome request() {
    try {
      return Outcome.ofApiStatus(DemoHttp.getItems(http, base, id(), "Bearer " + accessToken));
    } catch (IOException e) {
      return Outcome.TIMEOUT_OR_OTHER;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Outcome.TIMEOUT_OR_OTHER;
    }
  }
}
