package dev.tokenkeeper.smoke;

import dev.tokenkeeper.OAuth2TokenEndpoint;
import dev.tokenkeeper.TokenHttpClient;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenPolicy;
import dev.tokenkeeper.okhttp.TokenInterceptor;
import dev.tokenkeeper.testing.ScriptedApiServer;
import dev.tokenkeeper.testing.ScriptedTokenServer;
import java.lang.invoke.MethodHandles;
import java.lang.module.ModuleDescriptor;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.InstantSource;
import java.util.Set;
import java.util.TreeSet;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Runs on the module path against the built jars: gets a token from a scripted server and calls an
 * API through both adapters, then checks what each Tokenkeeper module exports and requires.
 * Exits non-zero (an exception) on the first thing that is not as published.
 */
public final class Main {
  public static void main(String[] args) throws Exception {
    check(Main.class.getModule().isNamed(), "the smoke test itself must run as a named module");

    try (ScriptedTokenServer tokens = ScriptedTokenServer.newBuilder().build().start();
        ScriptedApiServer api = ScriptedApiServer.start(tokens, InstantSource.system());
        TokenKeeper keeper = TokenKeeper.newBuilder(OAuth2TokenEndpoint.newBuilder(tokens.uri())
            .clientId("test-client").clientSecret("test-secret").build().clientCredentials()).build()) {
      TokenPolicy policy = TokenPolicy.of(api.origin(), keeper);

      HttpClient jdk = TokenHttpClient.wrap(HttpClient.newHttpClient(), policy);
      HttpResponse<String> viaJdk = jdk.send(HttpRequest.newBuilder(api.uri("/api/items")).build(),
          HttpResponse.BodyHandlers.ofString());
      check(viaJdk.statusCode() == 200, "JDK HttpClient adapter: status " + viaJdk.statusCode());

      OkHttpClient ok = TokenInterceptor.install(new OkHttpClient.Builder(), policy).build();
      try (Response viaOkHttp = ok.newCall(new Request.Builder().url(api.uri("/api/items").toString()).build())
          .execute()) {
        check(viaOkHttp.code() == 200, "OkHttp adapter: status " + viaOkHttp.code());
      } finally {
        ok.dispatcher().executorService().shutdownNow();
        ok.connectionPool().evictAll();
      }
      check(api.accepted() == 2, "the API accepted " + api.accepted() + " requests, expected 2");
      check(tokens.tokenRequests() == 1, "token requests: " + tokens.tokenRequests() + ", expected 1");
    }

    Module core = TokenKeeper.class.getModule();
    check("dev.tokenkeeper.core".equals(core.getName()), "core's module is " + core.getName());
    check(!core.getDescriptor().isAutomatic(), "dev.tokenkeeper.core is an automatic module: no module-info.class");
    // The one qualified export: the token file codec, to the Redis store (CONTRIBUTING.md says why).
    check(exports(core).equals(Set.of("dev.tokenkeeper",
            "dev.tokenkeeper.internal to [dev.tokenkeeper.redis]")),
        "dev.tokenkeeper.core must export dev.tokenkeeper unqualified, and dev.tokenkeeper.internal"
            + " to dev.tokenkeeper.redis only; it exports " + exports(core));
    check(!core.isExported("dev.tokenkeeper.internal"), "dev.tokenkeeper.internal is exported");
    check(core.getPackages().contains("dev.tokenkeeper.internal"), "no dev.tokenkeeper.internal in core?");
    Class<?> internal = Class.forName(anyClassIn(core, "dev/tokenkeeper/internal/"));
    try {
      MethodHandles.privateLookupIn(internal, MethodHandles.lookup());
      throw new AssertionError("dev.tokenkeeper.internal is open to reflection from other modules");
    } catch (IllegalAccessException expected) {
      // encapsulated, as it should be
    }

    Module okhttp = TokenInterceptor.class.getModule();
    check("dev.tokenkeeper.okhttp".equals(okhttp.getName()), "okhttp's module is " + okhttp.getName());
    check(exports(okhttp).equals(Set.of("dev.tokenkeeper.okhttp")), "dev.tokenkeeper.okhttp exports " + exports(okhttp));
    check(requires(okhttp, "okhttp3").contains(ModuleDescriptor.Requires.Modifier.STATIC),
        "dev.tokenkeeper.okhttp must require okhttp3 static (OkHttp is the user's)");

    Module testing = ScriptedTokenServer.class.getModule();
    check("dev.tokenkeeper.testing".equals(testing.getName()), "testing's module is " + testing.getName());
    check(exports(testing).equals(Set.of("dev.tokenkeeper.testing")), "dev.tokenkeeper.testing exports " + exports(testing));

    for (Module m : new Module[] {core, okhttp, testing}) {
      System.out.println("  " + m.getDescriptor().toNameAndVersion() + " exports " + exports(m)
          + ", requires " + new TreeSet<>(m.getDescriptor().requires().stream()
              .map(r -> (r.modifiers().stream().map(x -> x.toString().toLowerCase() + " ").sorted()
                  .reduce("", String::concat)) + r.name())
              .toList()));
    }
    System.out.println("JPMS smoke: ok (a named module called an API through both adapters on the module path)");
  }

  /** The name of some top-level class of {@code m} in the package directory {@code dir}. */
  private static String anyClassIn(Module m, String dir) throws java.io.IOException {
    try (java.lang.module.ModuleReader reader = m.getLayer().configuration().findModule(m.getName())
        .orElseThrow().reference().open()) {
      return reader.list().filter(n -> n.startsWith(dir) && n.endsWith(".class") && !n.contains("$"))
          .filter(n -> n.indexOf('/', dir.length()) < 0 && !n.endsWith("package-info.class"))
          .findFirst().orElseThrow().replace('/', '.').replace(".class", "");
    }
  }

  private static Set<String> exports(Module m) {
    Set<String> out = new TreeSet<>();
    for (ModuleDescriptor.Exports e : m.getDescriptor().exports()) {
      out.add(e.isQualified() ? e.source() + " to " + e.targets() : e.source());
    }
    return out;
  }

  private static Set<ModuleDescriptor.Requires.Modifier> requires(Module m, String name) {
    return m.getDescriptor().requires().stream().filter(r -> r.name().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError(m.getName() + " does not require " + name))
        .modifiers();
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new AssertionError(message);
    }
  }
}
