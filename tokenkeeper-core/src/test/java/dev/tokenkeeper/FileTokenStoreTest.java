package dev.tokenkeeper;

import static dev.tokenkeeper.TokenStoreContract.assertExactly;
import static dev.tokenkeeper.TokenStoreContract.tokens;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.tokenkeeper.TokenStoreException.Reason;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file store's format, permissions, encryption and typed failures, in one process. */
class FileTokenStoreTest {
  private static final SecretKey KEY = key(1);
  private static final SecretKey OTHER_KEY = key(2);

  @TempDir Path dir;

  static SecretKey key(int seed) {
    byte[] bytes = new byte[32];
    Arrays.fill(bytes, (byte) seed);
    return new SecretKeySpec(bytes, "AES");
  }

  private FileTokenStore written(FileTokenStore.Builder builder, int versions) {
    FileTokenStore store = builder.identity("alice");
    for (int v = 0; v < versions; v++) {
      assertThat(store.compareAndSet(v, tokens(v + 1))).isTrue();
    }
    return store;
  }

  /** Asserts that {@code call} fails with {@code reason}, naming the file, without any token. */
  private static TokenStoreException assertFails(ThrowingCallable call, Reason reason, Path file) {
    Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(call);
    assertThat(thrown).isInstanceOf(TokenStoreException.class);
    TokenStoreException e = (TokenStoreException) thrown;
    assertThat(e.reason()).isEqualTo(reason);
    assertThat(e.getMessage()).contains(file.toString()).doesNotContain("at-", "rt-");
    return e;
  }

  @Test
  void newFiles_areCreatedOwnerOnly_andTheDirectoryRwxOwnerOnly() throws IOException {
    Path tokensDir = dir.resolve("app").resolve("tokens");
    FileTokenStore store = FileTokenStore.directory(tokensDir).identity("alice");

    store.compareAndSet(0, tokens(1));
    store.tryLease(java.time.Duration.ofMinutes(1)).release();

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tokensDir))).isEqualTo("rwx------");
    for (String name : List.of("alice.tokens", "alice.lock", "alice.write.lock")) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tokensDir.resolve(name))))
          .as(name).isEqualTo("rw-------");
    }
    try (Stream<Path> files = Files.list(tokensDir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("alice.tokens", "alice.lock", "alice.write.lock"); // no temp left
    }
  }

  @Test
  void plainFile_isAJsonDocumentWithAFormatNumber() throws IOException {
    FileTokenStore store = written(FileTokenStore.directory(dir), 1);

    String content = Files.readString(store.file());

    assertThat(content).startsWith("{").contains("\"format\":1", "\"version\":1", "\"at-1\"", "\"rt-1\"");
  }

  @Test
  void groupReadableFile_isRefusedWithTheFixInTheMessage_andNotOverwritten() throws IOException {
    FileTokenStore store = written(FileTokenStore.directory(dir), 1);
    Files.setPosixFilePermissions(store.file(), PosixFilePermissions.fromString("rw-r-----"));
    byte[] before = Files.readAllBytes(store.file());
    FileTokenStore reopened = FileTokenStore.directory(dir).identity("alice");

    TokenStoreException e = assertFails(reopened::load, Reason.INSECURE_PERMISSIONS, store.file());
    assertThat(e.getMessage()).contains("rw-r-----", "chmod 600", "allowGroupReadable(true)");
    assertFails(() -> reopened.compareAndSet(1, tokens(2)), Reason.INSECURE_PERMISSIONS, store.file());
    assertThat(Files.readAllBytes(store.file())).isEqualTo(before);
  }

  @Test
  void allowGroupReadable_acceptsGroupRead_createsRwR_butStillRefusesOthers() throws IOException {
    FileTokenStore store = written(FileTokenStore.directory(dir).allowGroupReadable(true), 1);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(store.file())))
        .isEqualTo("rw-r-----");
    assertExactly(store.load(), tokens(1));

    Files.setPosixFilePermissions(store.file(), PosixFilePermissions.fromString("rw-r--r--"));

    assertFails(store::load, Reason.INSECURE_PERMISSIONS, store.file());
  }

  @Test
  void encryptedWithKey_roundTripsEveryField_andHoldsNoTokenInClear() throws IOException {
    FileTokenStore store = written(FileTokenStore.directory(dir).encryptWith(KEY), 2);

    String content = Files.readString(store.file());
    assertThat(content).startsWith("ey").doesNotContain("at-", "rt-", "format");
    assertThat(content.split("\\.", -1)).hasSize(5); // JWE compact serialization
    assertExactly(FileTokenStore.directory(dir).encryptWith(KEY).identity("alice").load(), tokens(2));
  }

  @Test
  void encryptedWithPassphrase_roundTripsEveryField() {
    written(FileTokenStore.directory(dir).encryptWithPassphrase("correct horse".toCharArray()), 1);

    StoredTokens loaded = FileTokenStore.directory(dir)
        .encryptWithPassphrase("correct horse".toCharArray()).identity("alice").load();

    assertExactly(loaded, tokens(1));
  }

  @Test
  void wrongKey_isATypedError_andTheFileIsUnchanged() throws IOException {
    FileTokenStore store = written(FileTokenStore.directory(dir).encryptWith(KEY), 1);
    byte[] before = Files.readAllBytes(store.file());
    FileTokenStore wrong = FileTokenStore.directory(dir).encryptWith(OTHER_KEY).identity("alice");

    assertFails(wrong::load, Reason.CANNOT_DECRYPT, store.file());
    assertFails(() -> wrong.compareAndSet(1, tokens(2)), Reason.CANNOT_DECRYPT, store.file());
    assertFails(() -> wrong.compareAndSet(0, tokens(1)), Reason.CANNOT_DECRYPT, store.file());

    assertThat(Files.readAllBytes(store.file())).isEqualTo(before);
    assertExactly(store.load(), tokens(1));
  }

  @Test
  void wrongPassphrase_isATypedError_andTheFileIsUnchanged() throws IOException {
    FileTokenStore store = written(FileTokenStore.directory(dir).encryptWithPassphrase("right".toCharArray()), 1);
    byte[] before = Files.readAllBytes(store.file());
    FileTokenStore wrong = FileTokenStore.directory(dir).encryptWithPassphrase("wrong".toCharArray()).identity("alice");

    assertFails(() -> wrong.compareAndSet(1, tokens(2)), Reason.CANNOT_DECRYPT, store.file());

    assertThat(Files.readAllBytes(store.file())).isEqualTo(before);
  }

  @Test
  void encryptedFileWithoutKey_andPlainFileWhereEncryptionIsRequired_areRefused() {
    FileTokenStore encrypted = written(FileTokenStore.directory(dir).encryptWith(KEY), 1);
    FileTokenStore plain = written(FileTokenStore.directory(dir.resolve("plain")), 1);

    assertThat(assertFails(FileTokenStore.directory(dir).identity("alice")::load, Reason.CANNOT_DECRYPT,
        encrypted.file())).hasMessageContaining("encryptWith");
    assertFails(FileTokenStore.directory(dir.resolve("plain")).encryptWith(KEY).identity("alice")::load,
        Reason.CANNOT_DECRYPT, plain.file());
  }

  @Test
  void truncatedPlainFile_isCorrupt_andNotOverwritten() throws IOException {
    assertDamagedFileRefused(FileTokenStore.directory(dir), content -> Arrays.copyOf(content, content.length / 2),
        Reason.CORRUPT);
  }

  @Test
  void truncatedEncryptedFile_isATypedError_andNotOverwritten() throws IOException {
    assertDamagedFileRefused(FileTokenStore.directory(dir).encryptWith(KEY),
        content -> Arrays.copyOf(content, content.length - 10), Reason.CANNOT_DECRYPT);
    assertDamagedFileRefused(FileTokenStore.directory(dir.resolve("2")).encryptWith(KEY),
        content -> Arrays.copyOf(content, 40), Reason.CORRUPT);
  }

  @Test
  void flippedByteInEncryptedFile_cannotBeDecrypted_andIsNotOverwritten() throws IOException {
    assertDamagedFileRefused(FileTokenStore.directory(dir).encryptWith(KEY), content -> {
      byte[] copy = content.clone();
      int i = copy.length - 30; // inside the ciphertext or tag: authentication fails
      copy[i] = (byte) (copy[i] == 'A' ? 'B' : 'A');
      return copy;
    }, Reason.CANNOT_DECRYPT);
  }

  @Test
  void emptyAndGarbageFiles_areCorrupt() throws IOException {
    assertDamagedFileRefused(FileTokenStore.directory(dir), content -> new byte[0], Reason.CORRUPT);
    assertDamagedFileRefused(FileTokenStore.directory(dir.resolve("2")),
        content -> "{\"format\":1,\"version\":\"seven\"}".getBytes(StandardCharsets.UTF_8), Reason.CORRUPT);
    assertDamagedFileRefused(FileTokenStore.directory(dir.resolve("3")),
        content -> "{\"format\":1,\"version\":3,\"accessToken\":{\"value\":\"has space\",\"type\":\"Bearer\"}}"
            .getBytes(StandardCharsets.UTF_8), Reason.CORRUPT);
  }

  @Test
  void unknownFormatVersion_isATypedError_andNotOverwritten() throws IOException {
    assertDamagedFileRefused(FileTokenStore.directory(dir),
        content -> new String(content, StandardCharsets.UTF_8).replace("\"format\":1", "\"format\":2")
            .getBytes(StandardCharsets.UTF_8), Reason.UNKNOWN_FORMAT)
        .hasMessageContaining("format 2");
  }

  @Test
  void foreignJsonFile_isNotATokenFile() throws IOException {
    assertDamagedFileRefused(FileTokenStore.directory(dir),
        content -> "{\"name\":\"my-app\",\"version\":\"1.0\"}".getBytes(StandardCharsets.UTF_8),
        Reason.UNKNOWN_FORMAT)
        .hasMessageContaining("not a Tokenkeeper token file");
  }

  private org.assertj.core.api.AbstractThrowableAssert<?, ?> assertDamagedFileRefused(
      FileTokenStore.Builder builder, java.util.function.UnaryOperator<byte[]> damage, Reason reason)
      throws IOException {
    FileTokenStore store = written(builder, 1);
    byte[] damaged = damage.apply(Files.readAllBytes(store.file()));
    Files.write(store.file(), damaged);
    FileTokenStore reopened = builder.identity("alice");

    TokenStoreException e = assertFails(reopened::load, reason, store.file());
    assertFails(() -> reopened.compareAndSet(1, tokens(2)), reason, store.file());
    assertFails(() -> reopened.compareAndSet(0, tokens(1)), reason, store.file());

    assertThat(Files.readAllBytes(store.file())).isEqualTo(damaged);
    return assertThat(e);
  }

  @Test
  void diskFullDuringWrite_injected_isAnIoFailure_previousVersionLoads_noTempLeft() throws IOException {
    FileTokenStore.Builder builder = FileTokenStore.directory(dir);
    written(builder, 1);
    FileTokenStore full = builder.contentWriter((channel, data) -> {
      data.limit(data.limit() / 2);
      channel.write(data); // half of it made it to the temp file, then:
      throw new IOException("No space left on device");
    }).identity("alice");

    TokenStoreException e = assertFails(() -> full.compareAndSet(1, tokens(2)), Reason.IO_FAILURE,
        dir.resolve("alice.tokens"));

    assertThat(e.getMessage()).contains("No space left on device", "previous version is intact");
    assertExactly(FileTokenStore.directory(dir).identity("alice").load(), tokens(1));
    assertThat(Files.exists(dir.resolve("alice.tokens.tmp"))).isFalse();
  }

  @Test
  void readOnlyDirectory_writeIsAnIoFailure_previousVersionLoads() throws IOException {
    FileTokenStore store = written(FileTokenStore.directory(dir), 1);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-x------"));
    try {
      assumeThat(Files.isWritable(dir))
          .as("this user ignores directory permissions (root); ReadOnlyMountTest covers it with a read-only mount")
          .isFalse();

      assertFails(() -> store.compareAndSet(1, tokens(2)), Reason.IO_FAILURE, store.file());

      assertExactly(FileTokenStore.directory(dir).identity("alice").load(), tokens(1));
    } finally {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }
  }

  @Test
  void identityNames_safeOnesAreFileNames_othersAreHashed() {
    FileTokenStore.Builder builder = FileTokenStore.directory(dir);

    assertThat(builder.identity("alice_2-prod").file().getFileName()).hasToString("alice_2-prod.tokens");
    assertThat(builder.identity("alice@example.com").file().getFileName().toString())
        .matches("_[0-9a-f]{32}\\.tokens");
    assertThat(builder.identity("../etc/passwd").file().getParent()).isEqualTo(dir.toAbsolutePath());
    assertThat(builder.identity("a.write").file().getFileName().toString()).startsWith("_");
    assertThat(builder.identity("con").file().getFileName().toString()).startsWith("_");
    assertThat(builder.identity("x@y").file()).isNotEqualTo(builder.identity("x@z").file());
    assertThatThrownBy(() -> builder.identity("")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void builder_rejectsBadSettingsWithTheFix() {
    FileTokenStore.Builder builder = FileTokenStore.directory(dir);

    assertThatThrownBy(() -> builder.encryptWith(new SecretKeySpec(new byte[16], "AES")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("256-bit", "128 bits", "init(256)");
    assertThatThrownBy(() -> builder.encryptWithPassphrase(new char[0]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
    assertThatThrownBy(() -> FileTokenStore.directory(dir).encryptWith(KEY).encryptWithPassphrase("p".toCharArray()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("key or a passphrase");
    assertThatThrownBy(() -> builder.pollInterval(java.time.Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pollInterval");
    assertThatThrownBy(() -> builder.lockTimeout(java.time.Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lockTimeout");
  }

  @Test
  void toString_showsThePathAndEncryption_neverATokenOrKey() {
    FileTokenStore store = written(FileTokenStore.directory(dir).encryptWith(KEY), 1);

    assertThat(store.toString()).contains(store.file().toString(), "dir+A256GCM")
        .doesNotContain("at-1", "rt-1");
  }
}
