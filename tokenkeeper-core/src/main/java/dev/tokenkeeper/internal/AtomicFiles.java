package dev.tokenkeeper.internal;

import dev.tokenkeeper.TokenStoreException;
import dev.tokenkeeper.TokenStoreException.Reason;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Owner-only files written atomically: a temp file in the same directory, created with its final
 * permissions (never chmod-ed afterwards, so there is no moment when others could open it), fsync,
 * an atomic rename over the old file, then an fsync of the directory so that the rename itself
 * survives a power cut. A crash at any point leaves the old file or the new one, never a mix.
 */
public final class AtomicFiles {
  /** Largest token file read; anything bigger is not ours. */
  static final int MAX_BYTES = 1 << 20;

  /** Writes the bytes of a temp file; replaceable in tests to simulate a full disk. */
  @FunctionalInterface
  public interface ContentWriter {
    /** Writes all of {@code data} to {@code channel}. */
    void write(FileChannel channel, ByteBuffer data) throws IOException;

    /** Writes until the buffer is empty. */
    ContentWriter DEFAULT = (channel, data) -> {
      while (data.hasRemaining()) {
        channel.write(data);
      }
    };
  }

  private AtomicFiles() {}

  /** Returns {@code true} when {@code dir}'s file system has POSIX permissions. */
  public static boolean isPosix(Path dir) {
    return dir.getFileSystem().supportedFileAttributeViews().contains("posix");
  }

  /** rw------- or, with {@code groupRead}, rw-r-----. */
  static Set<PosixFilePermission> filePermissions(boolean groupRead) {
    return PosixFilePermissions.fromString(groupRead ? "rw-r-----" : "rw-------");
  }

  /** The attributes that create a file with its final permissions (none off POSIX). */
  public static FileAttribute<?>[] ownerOnly(Path dir, boolean groupRead) {
    return isPosix(dir)
        ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(filePermissions(groupRead))}
        : new FileAttribute<?>[0];
  }

  /** Creates {@code dir} and missing parents as rwx------ (on POSIX). */
  public static void createDirectories(Path dir) {
    if (Files.isDirectory(dir)) {
      return;
    }
    try {
      Path parent = dir.toAbsolutePath().getParent();
      if (isPosix(parent == null ? dir : parent)) {
        Files.createDirectories(dir,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      } else {
        Files.createDirectories(dir);
      }
    } catch (IOException e) {
      throw ioFailure(dir, "cannot create the token directory", e);
    }
  }

  /**
   * Reads {@code file} after checking its permissions.
   *
   * @return the bytes, or {@code null} when the file does not exist
   * @throws TokenStoreException {@code INSECURE_PERMISSIONS}, {@code CORRUPT} (too big) or {@code
   *     IO_FAILURE}
   */
  public static byte @Nullable [] read(Path file, boolean allowGroupRead) {
    try {
      if (isPosix(file)) {
        checkPermissions(file, Files.getPosixFilePermissions(file), allowGroupRead);
      }
      long size = Files.size(file);
      if (size > MAX_BYTES) {
        throw TokenStoreException.of(Reason.CORRUPT, file,
            "the token file is " + size + " bytes, too big to be a token file", null);
      }
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw ioFailure(file, "cannot read the token file", e);
    }
  }

  private static void checkPermissions(Path file, Set<PosixFilePermission> actual,
      boolean allowGroupRead) {
    Set<PosixFilePermission> others = EnumSet.noneOf(PosixFilePermission.class);
    for (PosixFilePermission p : actual) {
      if (p.name().startsWith("GROUP_") || p.name().startsWith("OTHERS_")) {
        others.add(p);
      }
    }
    if (allowGroupRead) {
      others.remove(PosixFilePermission.GROUP_READ);
    }
    if (!others.isEmpty()) {
      throw TokenStoreException.of(Reason.INSECURE_PERMISSIONS, file,
          "the token file's permissions " + PosixFilePermissions.toString(actual)
              + " let other users read or change it; run chmod 600 '" + file + "'"
              + (allowGroupRead ? "" : ", or build the store with allowGroupReadable(true) "
                  + "to accept group read (rw-r-----)"), null);
    }
  }

  /**
   * Replaces {@code file} with {@code data} atomically. The caller holds the write lock, so the
   * one temp name is never in use by another writer; a temp file left by a crash is replaced.
   *
   * @throws TokenStoreException {@code IO_FAILURE}; {@code file} is then unchanged
   */
  public static void write(Path file, byte[] data, boolean groupRead, ContentWriter writer) {
    Path dir = file.toAbsolutePath().getParent();
    Path temp = dir.resolve(file.getFileName() + ".tmp");
    try {
      Files.deleteIfExists(temp);
      OpenOption[] options = {StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE};
      try (FileChannel channel = FileChannel.open(temp, Set.of(options), ownerOnly(dir, groupRead))) {
        writer.write(channel, ByteBuffer.wrap(data));
        channel.force(true);
      }
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      deleteQuietly(temp);
      throw ioFailure(file, "cannot write the token file (the previous version is intact)", e);
    }
    syncDirectory(dir);
  }

  /** Makes a rename in {@code dir} durable; a no-op where directories cannot be opened. */
  static void syncDirectory(Path dir) {
    if (!isPosix(dir)) {
      return; // Windows cannot open a directory as a channel; NTFS journals the rename itself
    }
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      throw ioFailure(dir, "cannot sync the token directory after a write", e);
    }
  }

  private static void deleteQuietly(Path temp) {
    try {
      Files.deleteIfExists(temp);
    } catch (IOException ignored) {
      // The next writer deletes it before writing its own; nothing reads it.
    }
  }

  /** An {@code IO_FAILURE} with the OS's reason (file names and errno text, never content). */
  public static TokenStoreException ioFailure(Path path, String what, IOException e) {
    String why = e instanceof AccessDeniedException ? "permission denied (read-only directory?)"
        : e instanceof FileSystemException && ((FileSystemException) e).getReason() != null
            ? ((FileSystemException) e).getReason()
            : e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    return TokenStoreException.of(Reason.IO_FAILURE, path, what + ": " + why, e);
  }
}
