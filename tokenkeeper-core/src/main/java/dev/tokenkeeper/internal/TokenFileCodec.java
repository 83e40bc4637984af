package dev.tokenkeeper.internal;

import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEDecrypter;
import com.nimbusds.jose.JWEEncrypter;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.DirectDecrypter;
import com.nimbusds.jose.crypto.DirectEncrypter;
import com.nimbusds.jose.crypto.PasswordBasedDecrypter;
import com.nimbusds.jose.crypto.PasswordBasedEncrypter;
import com.nimbusds.jose.util.JSONObjectUtils;
import dev.tokenkeeper.AccessToken;
import dev.tokenkeeper.ReauthenticationRequiredException;
import dev.tokenkeeper.RefreshToken;
import dev.tokenkeeper.StoredTokens;
import dev.tokenkeeper.TokenStoreException;
import dev.tokenkeeper.TokenStoreException.Reason;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import javax.crypto.SecretKey;
import org.jspecify.annotations.Nullable;

/**
 * The token file format: a JSON object with a {@code format} number, optionally wrapped in a JWE
 * (compact serialization): {@code dir} + {@code A256GCM} with an application key, or {@code
 * PBES2-HS512+A256KW} + {@code A256GCM} with a passphrase. JSON and JWE are nimbus-jose-jwt's; no
 * parsing or crypto is written here. Immutable and thread-safe.
 */
public final class TokenFileCodec {
  /** The format this release writes and the only one it reads. */
  public static final int FORMAT = 1;
  /** PBKDF2-HMAC-SHA512 iterations for passphrases (OWASP's 2023 figure for SHA-512). */
  static final int PBES2_ITERATIONS = 210_000;
  private static final int PBES2_SALT_BYTES = 16;
  private static final String CONTENT_TYPE = "tokenkeeper+json";

  private final @Nullable SecretKey key;
  private final byte @Nullable [] passphrase;

  private TokenFileCodec(@Nullable SecretKey key, byte @Nullable [] passphrase) {
    this.key = key;
    this.passphrase = passphrase;
  }

  /** Plain JSON, readable by the owner only through file permissions. */
  public static TokenFileCodec plain() {
    return new TokenFileCodec(null, null);
  }

  /** JWE {@code dir} + {@code A256GCM} with a 256-bit AES key. */
  public static TokenFileCodec directKey(SecretKey key) {
    return new TokenFileCodec(Objects.requireNonNull(key, "key"), null);
  }

  /** JWE {@code PBES2-HS512+A256KW} + {@code A256GCM}; the passphrase is copied as UTF-8. */
  public static TokenFileCodec passphrase(char[] passphrase) {
    ByteBuffer utf8 = StandardCharsets.UTF_8.encode(CharBuffer.wrap(passphrase));
    byte[] copy = new byte[utf8.remaining()];
    utf8.get(copy);
    Arrays.fill(utf8.array(), (byte) 0);
    return new TokenFileCodec(null, copy);
  }

  /** Returns {@code "plain"}, {@code "dir+A256GCM"} or {@code "PBES2-HS512+A256KW"}. */
  public String describe() {
    return key != null ? "dir+A256GCM" : passphrase != null ? "PBES2-HS512+A256KW" : "plain";
  }

  /** Encodes {@code tokens}; the result is what the file holds. */
  public byte[] encode(StoredTokens tokens, Path file) {
    byte[] json = JSONObjectUtils.toJSONString(toJson(tokens)).getBytes(StandardCharsets.UTF_8);
    if (key == null && passphrase == null) {
      return json;
    }
    JWEHeader header = new JWEHeader.Builder(algorithm(), EncryptionMethod.A256GCM)
        .contentType(CONTENT_TYPE).build();
    JWEObject jwe = new JWEObject(header, new Payload(json));
    try {
      jwe.encrypt(encrypter());
    } catch (JOSEException e) {
      throw TokenStoreException.of(Reason.CANNOT_DECRYPT, file,
          "cannot encrypt with the configured key: " + e.getMessage(), e);
    }
    return jwe.serialize().getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * Decodes a file's bytes.
   *
   * @throws TokenStoreException naming {@code file}: {@code CORRUPT}, {@code UNKNOWN_FORMAT} or
   *     {@code CANNOT_DECRYPT}
   */
  public StoredTokens decode(byte[] bytes, Path file) {
    String text = new String(bytes, StandardCharsets.UTF_8).strip();
    if (text.isEmpty()) {
      throw TokenStoreException.of(Reason.CORRUPT, file, "the token file is empty", null);
    }
    boolean encrypted = !text.startsWith("{");
    if (encrypted && key == null && passphrase == null) {
      throw TokenStoreException.of(Reason.CANNOT_DECRYPT, file,
          "the token file is not plain JSON (encrypted, or not a token file); "
              + "configure the key it was written with (encryptWith / encryptWithPassphrase)", null);
    }
    if (!encrypted && (key != null || passphrase != null)) {
      // Never accept a plain file where encryption is required: whoever can write the directory
      // could otherwise plant tokens of their choosing.
      throw TokenStoreException.of(Reason.CANNOT_DECRYPT, file,
          "the token file is plain JSON but this store requires " + describe()
              + " encryption; delete the file to start over, or open it without a key", null);
    }
    String json = encrypted ? decrypt(text, file) : text;
    Map<String, Object> object;
    try {
      object = JSONObjectUtils.parse(json);
    } catch (ParseException e) {
      throw TokenStoreException.of(Reason.CORRUPT, file,
          "the token file is not a JSON object (truncated or damaged)", null);
    }
    return fromJson(object, file);
  }

  private String decrypt(String text, Path file) {
    JWEObject jwe;
    try {
      jwe = JWEObject.parse(text);
    } catch (ParseException e) {
      throw TokenStoreException.of(Reason.CORRUPT, file,
          "the token file is neither JSON nor a JWE (truncated or damaged)", null);
    }
    if (!algorithm().equals(jwe.getHeader().getAlgorithm())
        || !EncryptionMethod.A256GCM.equals(jwe.getHeader().getEncryptionMethod())) {
      throw TokenStoreException.of(Reason.CANNOT_DECRYPT, file, "the token file is encrypted with "
          + jwe.getHeader().getAlgorithm() + "+" + jwe.getHeader().getEncryptionMethod()
          + ", this store expects " + describe(), null);
    }
    try {
      jwe.decrypt(decrypter());
    } catch (JOSEException | RuntimeException e) {
      throw TokenStoreException.of(Reason.CANNOT_DECRYPT, file,
          "cannot decrypt the token file: wrong key or passphrase, or the file was altered", null);
    }
    return jwe.getPayload().toString();
  }

  private JWEAlgorithm algorithm() {
    return key != null ? JWEAlgorithm.DIR : JWEAlgorithm.PBES2_HS512_A256KW;
  }

  private JWEEncrypter encrypter() throws JOSEException {
    return key != null
        ? new DirectEncrypter(key)
        : new PasswordBasedEncrypter(Objects.requireNonNull(passphrase), PBES2_SALT_BYTES,
            PBES2_ITERATIONS);
  }

  private JWEDecrypter decrypter() throws JOSEException {
    return key != null
        ? new DirectDecrypter(key)
        : new PasswordBasedDecrypter(Objects.requireNonNull(passphrase));
  }

  private static Map<String, Object> toJson(StoredTokens tokens) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("format", FORMAT);
    out.put("version", tokens.version());
    AccessToken access = tokens.accessToken();
    if (access != null) {
      Map<String, Object> a = new LinkedHashMap<>();
      a.put("value", access.value());
      a.put("type", access.type());
      a.put("obtainedAt", access.obtainedAt().toString());
      if (access.expiresAt() != null) {
        a.put("expiresAt", Objects.requireNonNull(access.expiresAt()).toString());
      }
      a.put("scopes", List.copyOf(new TreeSet<>(access.scopes())));
      out.put("accessToken", a);
    }
    RefreshToken refresh = tokens.refreshToken();
    if (refresh != null) {
      out.put("refreshToken", refresh.value());
    }
    if (tokens.sessionEnded() != null) {
      out.put("sessionEnded", tokens.sessionEnded().name()); // absent while the session is active
    }
    return out;
  }

  private static StoredTokens fromJson(Map<String, Object> json, Path file) {
    try {
      if (!(json.get("format") instanceof Number)) {
        throw TokenStoreException.of(Reason.UNKNOWN_FORMAT, file,
            "not a Tokenkeeper token file (no \"format\" field)", null);
      }
      long format = JSONObjectUtils.getLong(json, "format");
      if (format != FORMAT) {
        throw TokenStoreException.of(Reason.UNKNOWN_FORMAT, file, "token file format " + format
            + " is not known to this release (it reads format " + FORMAT + "); "
            + "it was probably written by a newer Tokenkeeper", null);
      }
      long version = JSONObjectUtils.getLong(json, "version");
      Map<String, Object> a = JSONObjectUtils.getJSONObject(json, "accessToken");
      AccessToken access = null;
      if (a != null) {
        String expires = JSONObjectUtils.getString(a, "expiresAt");
        List<String> scopes = JSONObjectUtils.getStringList(a, "scopes");
        access = new AccessToken(required(a, "value"), required(a, "type"),
            Instant.parse(required(a, "obtainedAt")), expires == null ? null : Instant.parse(expires),
            scopes == null ? Set.of() : new HashSet<>(scopes));
      }
      String refresh = JSONObjectUtils.getString(json, "refreshToken");
      String ended = JSONObjectUtils.getString(json, "sessionEnded");
      return new StoredTokens(version, access, refresh == null ? null : new RefreshToken(refresh),
          ended == null ? null : ReauthenticationRequiredException.Reason.valueOf(ended));
    } catch (ParseException | DateTimeParseException | IllegalArgumentException
        | NullPointerException e) {
      // The messages of these may quote a value, so they are not passed on: a token could be in it.
      throw TokenStoreException.of(Reason.CORRUPT, file,
          "the token file has a missing or malformed field (" + e.getClass().getSimpleName() + ")",
          null);
    }
  }

  private static String required(Map<String, Object> json, String field) throws ParseException {
    String value = JSONObjectUtils.getString(json, field);
    if (value == null) {
      throw new ParseException("missing " + field, 0);
    }
    return value;
  }
}
