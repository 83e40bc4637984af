package dev.tokenkeeper.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * One Lua script of {@code src/main/resources/dev/tokenkeeper/redis}, read once, with the SHA-1
 * digest that {@code EVALSHA} names it by. Immutable.
 */
final class LuaScript {
  static final LuaScript ACQUIRE = load("acquire.lua");
  static final LuaScript RELEASE = load("release.lua");
  static final LuaScript COMPARE_AND_SET = load("compare-and-set.lua");

  final String name;
  final String text;
  final String sha;

  private LuaScript(String name, String text) {
    this.name = name;
    this.text = text;
    try {
      this.sha = HexFormat.of().formatHex(
          MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every JDK has SHA-1", e);
    }
  }

  private static LuaScript load(String name) {
    try (InputStream in = LuaScript.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("the Lua script " + name + " is missing from the jar");
      }
      return new LuaScript(name, new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the Lua script " + name, e);
    }
  }

  @Override
  public String toString() {
    return name + " (" + sha.substring(0, 8) + ")";
  }
}
