package dev.tokenkeeper.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * A short, one-way fingerprint of a secret for logs and {@code toString}: the first 8 hex digits
 * of its SHA-256. Enough to tell two tokens apart in a log, useless for recovering either.
 */
public final class Fingerprint {
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private Fingerprint() {}

  /** Returns {@code "sha256:" + 8 hex digits} of {@code secret}. */
  public static String of(String secret) {
    byte[] digest;
    try {
      digest = MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every JDK has SHA-256", e);
    }
    StringBuilder out = new StringBuilder("sha256:");
    for (int i = 0; i < 4; i++) {
      out.append(HEX[(digest[i] >> 4) & 0xf]).append(HEX[digest[i] & 0xf]);
    }
    return out.toString();
  }
}
