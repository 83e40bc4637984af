package dev.tokenkeeper.okhttp;

import dev.tokenkeeper.TokenIOException;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.TokenPolicy;
import java.io.IOException;
import java.net.URI;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import retrofit2.Call;
import retrofit2.Retrofit;
import retrofit2.converter.scalars.ScalarsConverterFactory;
import retrofit2.http.GET;

/**
 * The README's OkHttp and Retrofit recipes, compiled with the tests and run by {@link RecipesTest}
 * so they cannot rot. The lines between {@code // --- README: <name> ---} and {@code // --- end ---}
 * are what the README shows (core's ReadmeSnippetsTest compares them); {@code keeper} is the one built in the README's quick start.
 */
final class Recipes {
  private Recipes() {}

  /** README, "OkHttp". */
  static String okHttp(TokenKeeper keeper, URI apiOrigin) throws IOException {
    // --- README: okhttp ---
    TokenPolicy policy = TokenPolicy.of(apiOrigin, keeper); // only this origin gets the token
    OkHttpClient client = TokenInterceptor.install(new OkHttpClient.Builder(), policy).build();

    Request request = new Request.Builder().url(apiOrigin.resolve("/api/items").toString()).build();
    try (Response response = client.newCall(request).execute()) {
      return response.body().string();
    } catch (TokenIOException e) {
      if (e.isReauthenticationRequired()) {
        // the session is over: sign in again
      }
      throw e; // otherwise temporary: no token could be obtained in time
    }
    // --- end ---
  }

  // --- README: retrofit ---
  interface Items {
    @GET("api/items")
    Call<String> list();
  }

  static Items items(TokenPolicy policy, URI apiOrigin) {
    OkHttpClient client = TokenInterceptor.install(new OkHttpClient.Builder(), policy).build();
    return new Retrofit.Builder()
        .baseUrl(apiOrigin + "/")
        .client(client) // the only change: Retrofit calls now carry the token
        .addConverterFactory(ScalarsConverterFactory.create())
        .build()
        .create(Items.class);
  }
  // --- end ---
}
