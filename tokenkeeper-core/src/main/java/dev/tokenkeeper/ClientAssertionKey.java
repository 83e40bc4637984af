package dev.tokenkeeper;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.X509CertUtils;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The private key a client signs its {@code private_key_jwt} assertions with (RFC 7523, OpenID
 * Connect Core section 9): RSA (RS256) or EC (ES256, ES384 or ES512 by its curve), from a {@link
 * KeyStore}, a PEM or a JWK. The assertion's header names the key by {@code kid} (the JWK's, or
 * {@link #withKeyId}) and/or by {@code x5t#S256}, the SHA-256 thumbprint of the key's certificate
 * (a key store entry's, a PEM's or a JWK's {@code x5c}, or {@link #withCertificate}): give what
 * your provider matches keys by (Microsoft Entra: the certificate; Keycloak, Okta: {@code kid}).
 *
 * <p>Immutable and thread-safe. {@link #toString()} shows the key type, {@code kid} and
 * thumbprint, never the key.
 */
public final class ClientAssertionKey {
  private static final Pattern PEM = Pattern.compile(
      "-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

  private final PrivateKey key;
  private final String algorithm;
  private final @Nullable String keyId;
  private final @Nullable String thumbprint;

  private ClientAssertionKey(PrivateKey key, String algorithm, @Nullable String keyId,
      @Nullable String thumbprint) {
    this.key = key;
    this.algorithm = algorithm;
    this.keyId = keyId;
    this.thumbprint = thumbprint;
  }

  /**
   * The private key of {@code alias} in {@code keyStore}, with its certificate's {@code x5t#S256}.
   *
   * @param password the entry's password; copied by the key store, clear your array afterwards
   * @throws IllegalArgumentException if there is no such private key entry, it cannot be read with
   *     {@code password}, or it is neither RSA nor EC
   */
  public static ClientAssertionKey fromKeyStore(KeyStore keyStore, String alias, char[] password) {
    Objects.requireNonNull(keyStore, "keyStore");
    Objects.requireNonNull(alias, "alias");
    Objects.requireNonNull(password, "password");
    java.security.Key key;
    Certificate certificate;
    try {
      key = keyStore.getKey(alias, password);
      certificate = keyStore.getCertificate(alias);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot read the private key '" + alias
          + "' from the key store (" + e.getClass().getSimpleName() + "): check the alias and password");
    }
    if (!(key instanceof PrivateKey)) {
      throw new IllegalArgumentException("the key store has no private key under alias '" + alias + "'");
    }
    return of((PrivateKey) key, null,
        certificate instanceof X509Certificate ? thumbprint((X509Certificate) certificate) : null);
  }

  /**
   * A PKCS#8 private key in PEM ({@code -----BEGIN PRIVATE KEY-----}, as {@code openssl genpkey}
   * writes it), optionally followed by its certificate ({@code -----BEGIN CERTIFICATE-----}) for
   * {@code x5t#S256}.
   *
   * @throws IllegalArgumentException if there is no PKCS#8 private key in the text (a PKCS#1
   *     {@code RSA PRIVATE KEY} or an encrypted key: convert it with {@code openssl pkcs8 -topk8
   *     -nocrypt}), or it is neither RSA nor EC
   */
  public static ClientAssertionKey fromPem(String pem) {
    Objects.requireNonNull(pem, "pem");
    PrivateKey key = null;
    String thumbprint = null;
    Matcher m = PEM.matcher(pem);
    while (m.find()) {
      byte[] der = Base64.getMimeDecoder().decode(m.group(2));
      if (m.group(1).equals("PRIVATE KEY")) {
        key = pkcs8(der);
      } else if (m.group(1).equals("CERTIFICATE") && thumbprint == null) {
        X509Certificate certificate = X509CertUtils.parse(der);
        if (certificate == null) {
          throw new IllegalArgumentException("the PEM's CERTIFICATE is not an X.509 certificate");
        }
        thumbprint = thumbprint(certificate);
      } else if (m.group(1).endsWith("PRIVATE KEY")) {
        throw new IllegalArgumentException("the PEM holds a '" + m.group(1) + "'; give a PKCS#8"
            + " 'PRIVATE KEY' (openssl pkcs8 -topk8 -nocrypt -in key.pem)");
      }
    }
    if (key == null) {
      throw new IllegalArgumentException("no '-----BEGIN PRIVATE KEY-----' block in the PEM text");
    }
    return of(key, null, thumbprint);
  }

  /**
   * A private RSA or EC JWK (RFC 7517) as JSON; its {@code kid} names the key, and its {@code x5c},
   * if any, gives {@code x5t#S256}.
   *
   * @throws IllegalArgumentException if the JSON is not a JWK, has no private part, or is neither
   *     RSA nor EC (an {@code oct} key is a shared secret: use {@code client_secret_jwt})
   */
  public static ClientAssertionKey fromJwk(String json) {
    Objects.requireNonNull(json, "json");
    JWK jwk;
    try {
      jwk = JWK.parse(json);
    } catch (java.text.ParseException e) {
      // The parser's message could quote key material: keep it out.
      throw new IllegalArgumentException("not a JWK (RFC 7517) JSON object");
    }
    if (!jwk.isPrivate()) {
      throw new IllegalArgumentException("the JWK " + describe(jwk) + " has no private part: the"
          + " client signs with the private key; the server keeps the public one");
    }
    PrivateKey key;
    try {
      if (jwk instanceof RSAKey) {
        key = ((RSAKey) jwk).toPrivateKey();
      } else if (jwk instanceof ECKey) {
        key = ((ECKey) jwk).toPrivateKey();
      } else {
        throw new IllegalArgumentException("the JWK is of type " + jwk.getKeyType() + "; private_key_jwt"
            + " needs an RSA or EC key (a shared secret is client_secret_jwt)");
      }
    } catch (JOSEException e) {
      throw new IllegalArgumentException("the JWK " + describe(jwk) + " cannot be turned into a key");
    }
    List<com.nimbusds.jose.util.Base64> chain = jwk.getX509CertChain();
    String thumbprint = null;
    if (chain != null && !chain.isEmpty()) {
      X509Certificate certificate = X509CertUtils.parse(chain.get(0).decode());
      thumbprint = certificate == null ? null : thumbprint(certificate);
    }
    return of(key, jwk.getKeyID(), thumbprint);
  }

  /** A copy whose assertions name the key {@code keyId} in their {@code kid} header. */
  public ClientAssertionKey withKeyId(String keyId) {
    Objects.requireNonNull(keyId, "keyId");
    if (keyId.isBlank()) {
      throw new IllegalArgumentException("keyId is blank");
    }
    return new ClientAssertionKey(key, algorithm, keyId, thumbprint);
  }

  /** A copy whose assertions carry {@code x5t#S256}, the SHA-256 thumbprint of {@code certificate}. */
  public ClientAssertionKey withCertificate(X509Certificate certificate) {
    return new ClientAssertionKey(key, algorithm, keyId,
        thumbprint(Objects.requireNonNull(certificate, "certificate")));
  }

  /** Returns the JWS algorithm the assertions are signed with: RS256, ES256, ES384 or ES512. */
  public String algorithm() {
    return algorithm;
  }

  /** Returns the {@code kid} header, if any. */
  public java.util.Optional<String> keyId() {
    return java.util.Optional.ofNullable(keyId);
  }

  /** Returns the {@code x5t#S256} header, if any. */
  public java.util.Optional<String> certificateThumbprint() {
    return java.util.Optional.ofNullable(thumbprint);
  }

  /** The signer of this key (internal use). */
  com.nimbusds.jose.JWSSigner signer() {
    try {
      return key instanceof RSAPrivateKey ? new RSASSASigner(key) : new ECDSASigner((ECPrivateKey) key);
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign with the " + key.getAlgorithm() + " key", e);
    }
  }

  PrivateKey privateKey() {
    return key;
  }

  private static ClientAssertionKey of(PrivateKey key, @Nullable String keyId, @Nullable String thumbprint) {
    return new ClientAssertionKey(key, algorithm(key), keyId, thumbprint);
  }

  private static String algorithm(PrivateKey key) {
    if (key instanceof RSAPrivateKey) {
      if (((RSAPrivateKey) key).getModulus().bitLength() < 2048) {
        throw new IllegalArgumentException("the RSA key has " + ((RSAPrivateKey) key).getModulus().bitLength()
            + " bits; RS256 needs at least 2048 (RFC 7518 section 3.3)");
      }
      return JWSAlgorithm.RS256.getName();
    }
    if (key instanceof ECPrivateKey) {
      Curve curve = Curve.forECParameterSpec(((ECPrivateKey) key).getParams());
      if (Curve.P_256.equals(curve)) {
        return JWSAlgorithm.ES256.getName();
      }
      if (Curve.P_384.equals(curve)) {
        return JWSAlgorithm.ES384.getName();
      }
      if (Curve.P_521.equals(curve)) {
        return JWSAlgorithm.ES512.getName();
      }
      throw new IllegalArgumentException("the EC key is on curve " + curve
          + "; use P-256, P-384 or P-521 (ES256, ES384, ES512)");
    }
    throw new IllegalArgumentException("a " + key.getAlgorithm() + " key cannot sign a client assertion:"
        + " use an RSA (2048 bits or more) or EC (P-256, P-384, P-521) key");
  }

  private static PrivateKey pkcs8(byte[] der) {
    for (String type : new String[] {"RSA", "EC"}) {
      try {
        return KeyFactory.getInstance(type).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException e) {
        // not this type: try the next
      }
    }
    throw new IllegalArgumentException("the PEM's PRIVATE KEY is neither an RSA nor an EC key");
  }

  private static String thumbprint(X509Certificate certificate) {
    Base64URL thumbprint = X509CertUtils.computeSHA256Thumbprint(certificate);
    if (thumbprint == null) {
      throw new IllegalArgumentException("cannot compute the certificate's SHA-256 thumbprint");
    }
    return thumbprint.toString();
  }

  private static String describe(JWK jwk) {
    return "(kty " + jwk.getKeyType() + (jwk.getKeyID() == null ? "" : ", kid " + jwk.getKeyID()) + ")";
  }

  @Override
  public String toString() {
    return "ClientAssertionKey[" + algorithm + (keyId == null ? "" : ", kid=" + keyId)
        + (thumbprint == null ? "" : ", x5t#S256=" + thumbprint) + "]";
  }
}
