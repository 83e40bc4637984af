package dev.tokenkeeper;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

/** {@link FileTokenStore}, plain and encrypted, against the shared-store contract. */
class FileTokenStoreContractTest extends SharedTokenStoreContract {
  private static final AtomicInteger IDENTITIES = new AtomicInteger();

  @TempDir Path dir;

  FileTokenStore.Builder builder() {
    return FileTokenStore.directory(dir);
  }

  @Override
  protected SharedTokenStore newStore() {
    return builder().identity("id-" + IDENTITIES.incrementAndGet());
  }

  @Override
  protected SharedTokenStore reopen(TokenStore store) {
    String name = ((FileTokenStore) store).file().getFileName().toString();
    return builder().identity(name.substring(0, name.length() - ".tokens".length()));
  }

  /** The same contract with every file encrypted (JWE dir + A256GCM). */
  @Nested
  class Encrypted extends SharedTokenStoreContract {
    @Override
    protected SharedTokenStore newStore() {
      return encrypted().identity("enc-" + IDENTITIES.incrementAndGet());
    }

    @Override
    protected SharedTokenStore reopen(TokenStore store) {
      String name = ((FileTokenStore) store).file().getFileName().toString();
      return encrypted().identity(name.substring(0, name.length() - ".tokens".length()));
    }

    private FileTokenStore.Builder encrypted() {
      return FileTokenStore.directory(dir).encryptWith(new SecretKeySpec(new byte[32], "AES"));
    }
  }
}
