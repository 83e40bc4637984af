package dev.tokenkeeper;

import dev.tokenkeeper.internal.AtomicFiles;
import dev.tokenkeeper.internal.FileLocks;
import dev.tokenkeeper.internal.TokenFileCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import javax.crypto.SecretKey;
import org.jspecify.annotations.Nullable;

/**
 * A {@link SharedTokenStore} that keeps one identity's tokens in one file, so that they survive
 * restarts and can be shared by several processes on one machine.
 *
 * <pre>{@code
 * FileTokenStore store = FileTokenStore.directory(Path.of(System.getProperty("user.home"), ".myapp", "tokens"))
 *     .identity("alice");                       // alice.tokens, alice.lock, alice.write.lock
 * }</pre>
 *
 * <p><b>Files.</b> In the directory (created rwx------ if missing): {@code <identity>.tokens}
 * holds the tokens, {@code <identity>.write.lock} serializes writers, {@code <identity>.lock} is
 * the refresh lease and its fencing counter. The token file is a small JSON document with a {@code
 * format} number, or, with {@link Builder#encryptWith} / {@link Builder#encryptWithPassphrase}, a
 * JWE of it.
 *
 * <p><b>Atomic.</b> Every write goes to a temp file in the same directory, is fsync-ed, renamed over
 * the old file atomically, and the directory is fsync-ed: a crash (power cut, {@code kill -9})
 * leaves the old version or the new one, never a torn file. {@link #compareAndSet} holds an OS file
 * lock on the write-lock file, so it is atomic across processes too.
 *
 * <p><b>Private.</b> On POSIX file systems files are created rw------- (not chmod-ed afterwards)
 * and the directory rwx------. A token file that group or others can read is refused with {@link
 * TokenStoreException.Reason#INSECURE_PERMISSIONS}, as ssh refuses such a private key, unless
 * {@link Builder#allowGroupReadable(boolean)}. On other file systems (Windows) the file gets the
 * directory's default ACL: put the directory in the user's profile.
 *
 * <p><b>Failures.</b> A wrong key, a corrupt or truncated file, a file of an unknown format
 * version, insecure permissions or an I/O failure (read-only directory, full disk) each throw a
 * {@link TokenStoreException} naming the file; a file the store could not read is never
 * overwritten, and a failed write leaves the previous version in place. Delete or restore the file
 * to recover.
 *
 * <p>Thread-safe; any number of stores, in any number of processes, may open the same identity.
 * {@link #toString()} shows the path, never a token.
 */
public final class FileTokenStore implements SharedTokenStore {
  private static final Pattern SAFE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");
  private static final Set<String> WINDOWS_RESERVED = Set.of("CON", "PRN", "AUX", "NUL", "COM1",
      "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "LPT1", "LPT2", "LPT3", "LPT4",
      "LPT5", "LPT6", "LPT7", "LPT8", "LPT9");

  private static final Duration LONGEST_WAIT = Duration.ofDays(365 * 100L);

  private final Path directory;
  private final Path file;
  private final Path leaseFile;
  private final Path writeLockFile;
  private final TokenFileCodec codec;
  private final boolean groupReadable;
  private final Duration pollInterval;
  private final Duration lockTimeout;
  private final AtomicFiles.ContentWriter writer;
  /** The last bytes read or written and what they decode to: decrypting again is not free. */
  private volatile @Nullable Cached cached;

  private FileTokenStore(Builder builder, String fileName) {
    this.directory = builder.directory;
    this.file = directory.resolve(fileName + ".tokens");
    this.leaseFile = directory.resolve(fileName + ".lock");
    this.writeLockFile = directory.resolve(fileName + ".write.lock");
    this.codec = builder.codec();
    this.groupReadable = builder.groupReadable;
    this.pollInterval = builder.pollInterval;
    this.lockTimeout = builder.lockTimeout;
    this.writer = builder.writer;
  }

  /**
   * Starts building stores kept in {@code directory}, one file per identity. The directory is
   * created (rwx------) on the first write, not now.
   */
  public static Builder directory(Path directory) {
    return new Builder(Objects.requireNonNull(directory, "directory"));
  }

  /** Returns the file holding the tokens. */
  public Path file() {
    return file;
  }

  /**
   * {@inheritDoc}
   *
   * <p>Reads the file without any lock: writers replace it atomically, so a reader sees a whole
   * version. A missing file is {@link StoredTokens#EMPTY}.
   *
   * @throws TokenStoreException if the file cannot be read, decrypted or parsed, or others can read
   *     it
   */
  @Override
  public StoredTokens load() {
    byte[] bytes = AtomicFiles.read(file, groupReadable);
    if (bytes == null) {
      return StoredTokens.EMPTY;
    }
    Cached last = cached;
    if (last != null && Arrays.equals(last.bytes, bytes)) {
      return last.tokens;
    }
    StoredTokens tokens = codec.decode(bytes, file);
    cached = new Cached(bytes, tokens);
    return tokens;
  }

  /**
   * {@inheritDoc}
   *
   * <p>Atomic across threads and processes: holds the write lock (in this JVM, then an OS lock on
   * {@code <identity>.write.lock}, waiting at most the {@linkplain Builder#lockTimeout lock
   * timeout}), re-reads the version, and replaces the file atomically.
   *
   * @throws IllegalArgumentException if {@code replacement}'s version is not {@code expectedVersion
   *     + 1}
   * @throws TokenStoreException if the current file cannot be read (it is then left as it is) or
   *     the new one cannot be written (the previous version stays in place)
   */
  @Override
  public boolean compareAndSet(long expectedVersion, StoredTokens replacement) {
    Objects.requireNonNull(replacement, "replacement");
    if (replacement.version() != expectedVersion + 1) {
      throw new IllegalArgumentException("replacement version " + replacement.version()
          + " must be expectedVersion + 1 = " + (expectedVersion + 1));
    }
    AtomicFiles.createDirectories(directory);
    return FileLocks.withWriteLock(writeLockFile, groupReadable, lockTimeout, () -> {
      if (load().version() != expectedVersion) { // throws, and writes nothing, if unreadable
        return false;
      }
      byte[] bytes = codec.encode(replacement, file);
      AtomicFiles.write(file, bytes, groupReadable, writer);
      cached = new Cached(bytes, replacement);
      return true;
    });
  }

  /**
   * {@inheritDoc}
   *
   * <p>The lease is an OS lock ({@code FileChannel.tryLock}) on {@code <identity>.lock}, plus a
   * guard in this JVM. <b>What {@code ttl} means for a file lock:</b> an OS lock does not expire by
   * itself. Within this JVM the lease lapses at {@code ttl}: {@link RefreshLease#isHeld()} turns
   * false and another keeper here may take it over. The OS lock is released when the holder
   * releases, when it (or anyone in its JVM) next looks at a lapsed lease, or when its process
   * dies: the kernel drops the locks of a dead process, {@code kill -9} included, so a crash never
   * leaves a stale lease. A live process that holds a lease past its ttl without looking at it
   * keeps other processes waiting until it does.
   *
   * <p>The fencing number is a counter in the lock file, incremented and fsync-ed by each grant.
   *
   * @throws TokenStoreException {@code IO_FAILURE} if the lock file cannot be created or written
   */
  @Override
  public @Nullable RefreshLease tryLease(Duration ttl) {
    if (Objects.requireNonNull(ttl, "ttl").isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("ttl must be positive: " + ttl);
    }
    AtomicFiles.createDirectories(directory);
    return FileLocks.tryLease(leaseFile, groupReadable, ttl);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Polls the file every {@linkplain Builder#pollInterval poll interval} (50 ms unless set); a
   * poll of an unchanged file reads it but decrypts nothing.
   */
  @Override
  public StoredTokens awaitChange(long knownVersion, Duration timeout) throws InterruptedException {
    Objects.requireNonNull(timeout, "timeout");
    long budget = timeout.isNegative() ? 0
        : timeout.compareTo(LONGEST_WAIT) > 0 ? LONGEST_WAIT.toNanos() : timeout.toNanos();
    long start = System.nanoTime();
    while (true) {
      StoredTokens current = load();
      long left = budget - (System.nanoTime() - start);
      if (current.version() != knownVersion || left <= 0) {
        return current;
      }
      TimeUnit.NANOSECONDS.sleep(Math.min(left, pollInterval.toNanos()));
    }
  }

  /** Shows the file and the encryption, never a token. */
  @Override
  public String toString() {
    return "FileTokenStore[" + file + ", " + codec.describe() + "]";
  }

  /** Maps an identity to a file name: itself when safe everywhere, else a hash of it. */
  static String fileName(String identity) {
    if (SAFE_NAME.matcher(identity).matches()
        && !WINDOWS_RESERVED.contains(identity.toUpperCase(Locale.ROOT))) {
      return identity;
    }
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest(identity.getBytes(StandardCharsets.UTF_8));
      return "_" + HexFormat.of().formatHex(digest, 0, 16); // '_' first: never a safe name
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every JDK has SHA-256", e);
    }
  }

  private static final class Cached {
    final byte[] bytes;
    final StoredTokens tokens;

    Cached(byte[] bytes, StoredTokens tokens) {
      this.bytes = bytes;
      this.tokens = tokens;
    }
  }

  /**
   * Configures the stores of one directory; {@link #identity} makes one. Not thread-safe; the
   * stores it makes are.
   */
  public static final class Builder {
    private static final Duration LONGEST_WAIT = Duration.ofDays(365 * 100L);

  private final Path directory;
    private @Nullable SecretKey key;
    private char @Nullable [] passphrase;
    private boolean groupReadable;
    private Duration pollInterval = Duration.ofMillis(50);
    private Duration lockTimeout = Duration.ofSeconds(10);
    private AtomicFiles.ContentWriter writer = AtomicFiles.ContentWriter.DEFAULT;

    private Builder(Path directory) {
      this.directory = directory.toAbsolutePath().normalize();
    }

    /**
     * Encrypts the token files with {@code key} (JWE {@code dir} + {@code A256GCM}); files that are
     * not encrypted with this key are then refused with {@code CANNOT_DECRYPT}.
     *
     * @param key a 256-bit AES key, e.g. from {@code KeyGenerator.getInstance("AES")} initialised
     *     with 256, kept somewhere safer than next to the files (a keystore, a secret manager)
     * @throws IllegalArgumentException if the key is not 32 bytes, or a passphrase is already set
     */
    public Builder encryptWith(SecretKey key) {
      Objects.requireNonNull(key, "key");
      byte[] encoded = key.getEncoded();
      if (encoded == null || encoded.length != 32) {
        throw new IllegalArgumentException("encryptWith needs a 256-bit (32-byte) AES key, got "
            + (encoded == null ? "a key without encoding" : encoded.length * 8 + " bits")
            + "; make one with KeyGenerator.getInstance(\"AES\") and init(256)");
      }
      Arrays.fill(encoded, (byte) 0);
      if (passphrase != null) {
        throw new IllegalArgumentException("a passphrase is already set: use a key or a passphrase");
      }
      this.key = key;
      return this;
    }

    /**
     * Encrypts the token files with a key derived from {@code passphrase} (JWE {@code
     * PBES2-HS512+A256KW} with 210,000 PBKDF2 iterations, then {@code A256GCM}). Deriving the key
     * is slow by design, on every write and every read of a changed file (0.5-0.7 s each on a
     * loaded 2-core machine); prefer {@link #encryptWith} where a key can be kept. The array is
     * copied; clear yours afterwards.
     *
     * @throws IllegalArgumentException if the passphrase is empty, or a key is already set
     */
    public Builder encryptWithPassphrase(char[] passphrase) {
      if (Objects.requireNonNull(passphrase, "passphrase").length == 0) {
        throw new IllegalArgumentException("the passphrase is empty");
      }
      if (key != null) {
        throw new IllegalArgumentException("a key is already set: use a key or a passphrase");
      }
      this.passphrase = passphrase.clone();
      return this;
    }

    /**
     * Accepts token files that the owner's group can read (rw-r-----), and creates new files so;
     * default {@code false} (rw-------, and group-readable files are refused). Files that others
     * can read, or group can write, are refused either way.
     */
    public Builder allowGroupReadable(boolean allow) {
      this.groupReadable = allow;
      return this;
    }

    /**
     * Sets how often {@link #awaitChange} looks at the file; default 50 ms.
     *
     * @throws IllegalArgumentException unless between 1 ms and 10 s
     */
    public Builder pollInterval(Duration interval) {
      Objects.requireNonNull(interval, "interval");
      if (interval.compareTo(Duration.ofMillis(1)) < 0 || interval.compareTo(Duration.ofSeconds(10)) > 0) {
        throw new IllegalArgumentException("pollInterval must be between 1 ms and 10 s: " + interval);
      }
      this.pollInterval = interval;
      return this;
    }

    /**
     * Sets how long {@link #compareAndSet} waits for another writer's lock before it fails with
     * {@code IO_FAILURE}; default 10 s (a write takes milliseconds).
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder lockTimeout(Duration timeout) {
      if (Objects.requireNonNull(timeout, "timeout").isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("lockTimeout must be positive: " + timeout);
      }
      this.lockTimeout = timeout;
      return this;
    }

    /** Test hook: replaces how temp files are written (to simulate a full disk). */
    Builder contentWriter(AtomicFiles.ContentWriter writer) {
      this.writer = Objects.requireNonNull(writer, "writer");
      return this;
    }

    /**
     * Returns the store of {@code identity} in this directory. A name of letters, digits, {@code
     * -} and {@code _} (up to 64, starting with a letter or digit) is used as the file name; any
     * other (an email address, a URL) is replaced by a hash of it, starting with {@code _}. Names
     * differing only in case share a file on case-insensitive file systems (macOS, Windows).
     *
     * @throws IllegalArgumentException if {@code identity} is empty
     */
    public FileTokenStore identity(String identity) {
      if (Objects.requireNonNull(identity, "identity").isEmpty()) {
        throw new IllegalArgumentException("identity is empty; name it, e.g. \"default\" or a user id");
      }
      return new FileTokenStore(this, fileName(identity));
    }

    private TokenFileCodec codec() {
      return key != null ? TokenFileCodec.directKey(key)
          : passphrase != null ? TokenFileCodec.passphrase(passphrase)
          : TokenFileCodec.plain();
    }
  }
}
