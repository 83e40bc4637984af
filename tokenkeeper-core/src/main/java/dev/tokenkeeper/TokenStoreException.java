package dev.tokenkeeper;

import java.nio.file.Path;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A {@link TokenStore} could not read or write its tokens; {@link #reason()} says why and {@link
 * #path()} which file it was. Unchecked, like the keeper's own failures.
 *
 * <p>A store that throws this has not overwritten anything it could not read: the file that could
 * not be decrypted or parsed is still there, byte for byte, for you to inspect or restore. Messages
 * name the file and the fix, never a token or key. Immutable and thread-safe.
 */
public final class TokenStoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why a store failed. */
  public enum Reason {
    /**
     * The token file can be read by other users (POSIX group or others bits), so the store refuses
     * to trust or use it, as ssh refuses a private key that others can read. Fix with {@code chmod
     * 600}, or allow group read explicitly.
     */
    INSECURE_PERMISSIONS,
    /**
     * The file is encrypted and cannot be decrypted with the configured key or passphrase (a wrong
     * key, a file altered on disk: authenticated encryption cannot tell the two apart), or it is
     * not encrypted although the store requires encryption, or the other way round.
     */
    CANNOT_DECRYPT,
    /** The file is truncated, empty, not JSON or JWE, or misses a field the format requires. */
    CORRUPT,
    /** The file was written in a format version this library does not know (a newer release). */
    UNKNOWN_FORMAT,
    /**
     * The operating system refused a read, write or lock: a read-only directory, a full disk, a
     * lock held for too long by another process.
     */
    IO_FAILURE
  }

  private final Reason reason;
  private final transient @Nullable Path path;

  private TokenStoreException(Reason reason, @Nullable Path path, String message,
      @Nullable Throwable cause) {
    super(message, cause);
    this.reason = reason;
    this.path = path;
  }

  /**
   * Returns an exception for a store failure about {@code path}. For store implementations: the
   * message is {@code "<path>: <detail>"}; {@code detail} must not contain a token or key.
   *
   * @param reason why the store failed
   * @param path the file concerned, or {@code null} when the store has no file
   * @param detail what happened and how to fix it, without secrets
   * @param cause the underlying failure, or {@code null}
   */
  public static TokenStoreException of(Reason reason, @Nullable Path path, String detail,
      @Nullable Throwable cause) {
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(detail, "detail");
    return new TokenStoreException(reason, path, (path == null ? "" : path + ": ") + detail, cause);
  }

  /** Returns why the store failed. */
  public Reason reason() {
    return reason;
  }

  /** Returns the file the failure is about, or {@code null} when the store has no file. */
  public @Nullable Path path() {
    return path;
  }
}
