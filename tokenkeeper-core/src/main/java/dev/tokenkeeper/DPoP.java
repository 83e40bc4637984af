package dev.tokenkeeper;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.tokenkeeper.internal.Challenges;
import dev.tokenkeeper.internal.HttpEndpoint;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.time.InstantSource;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * A DPoP key (RFC 9449, OAuth 2.0 Demonstrating Proof of Possession) and the proofs made with it:
 * tokens obtained with it are bound to the key, and every request that uses them carries a fresh
 * proof that the sender holds the private key. A stolen DPoP-bound token is worth nothing without
 * the key.
 *
 * <pre>{@code
 * TokenKeeper keeper = TokenKeeper.newBuilder(endpoint.clientCredentials())
 *     .dpop(DPoP.es256())   // one new P-256 key for this keeper
 *     .build();
 * HttpClient client = TokenHttpClient.wrap(HttpClient.newHttpClient(), TokenPolicy.of(apiOrigin, keeper));
 * // token requests carry a proof; every API request goes with "Authorization: DPoP <token>" and a
 * // "DPoP" header holding a fresh proof for its method and URI
 * }</pre>
 *
 * <p>What a keeper with a {@code DPoP} does:
 *
 * <ul>
 *   <li>{@link OAuth2TokenEndpoint}'s token requests carry a proof ({@code htm=POST}, {@code htu} =
 *       the token endpoint). A token response whose {@code token_type} is not {@code DPoP} fails the
 *       refresh as a malformed answer (temporary, retried with backoff): the server did not bind
 *       the token, and sending an unbound token as if it were bound would only be refused later.
 *   <li>The HTTP adapters ({@link TokenHttpClient}, the OkHttp interceptor, the Apache HttpClient 5
 *       handlers) send {@code Authorization: DPoP <token>} and a {@code DPoP} header with a proof
 *       made for that request: {@code htm}, {@code htu} (without query and fragment), {@code iat},
 *       a fresh random {@code jti} and {@code ath} (the access token's SHA-256).
 *   <li>Server nonces: when an origin (the token endpoint or an API) answers {@code
 *       use_dpop_nonce} with a {@code DPoP-Nonce} header, the nonce is remembered for that origin,
 *       the request is sent once more with it, and every later proof for that origin carries it
 *       (until the origin sends another). Such an answer is not a token rejection: nothing is
 *       refreshed.
 * </ul>
 *
 * <p>Proofs take {@code iat} from the system clock: the server compares it with its own.
 *
 * <p>Thread-safe. The private key never leaves this object: {@link #toString()} shows the
 * algorithm and the key's {@linkplain #thumbprint() thumbprint} only, and no method returns the
 * private key.
 */
public final class DPoP {
  /** RFC 9449 section 4.2: the media type of a proof. */
  private static final JOSEObjectType DPOP_JWT = new JOSEObjectType("dpop+jwt");
  private static final SecureRandom RANDOM = new SecureRandom();

  private final JWSAlgorithm algorithm;
  private final JWSSigner signer;
  /** alg, typ and the public JWK, the same in every proof. */
  private final JWSHeader header;
  private final String thumbprint;
  private final InstantSource clock;
  /** The last nonce each origin ({@code scheme://host:port}) sent. */
  private final Map<String, String> nonces = new ConcurrentHashMap<>();
  /** The {@code ath} of the last token proved, so a token is hashed once, not on every request. */
  private volatile @Nullable Ath lastAth;

  private record Ath(String token, String hash) {}

  private DPoP(JWK key, JWSAlgorithm algorithm, JWSSigner signer, InstantSource clock) {
    this.algorithm = algorithm;
    this.signer = signer;
    this.header = new JWSHeader.Builder(algorithm).type(DPOP_JWT).jwk(key.toPublicJWK()).build();
    try {
      this.thumbprint = key.computeThumbprint().toString();
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot compute the thumbprint of the DPoP key", e);
    }
    this.clock = clock;
  }

  /**
   * Returns a DPoP with a new P-256 key, signing with ES256: the default, and the algorithm every
   * DPoP server supports. Each proof is one ECDSA signature: about 0.9 ms of CPU per request on
   * JDK 17 (BENCHMARKS.md, "DPoP: proof per request").
   *
   * @throws IllegalStateException if the JDK cannot generate an EC key (it always can)
   */
  public static DPoP es256() {
    try {
      ECKey key = new ECKeyGenerator(Curve.P_256).generate();
      return new DPoP(key, JWSAlgorithm.ES256, new ECDSASigner(key), InstantSource.system());
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot generate a P-256 key for DPoP", e);
    }
  }

  /**
   * Returns a DPoP with a new 2048-bit RSA key, signing with RS256 (for servers that accept no EC).
   *
   * @throws IllegalStateException if the JDK cannot generate an RSA key
   */
  public static DPoP rs256() {
    return generatedRsa(JWSAlgorithm.RS256);
  }

  /**
   * Returns a DPoP with a new 2048-bit RSA key, signing with PS256.
   *
   * @throws IllegalStateException if the JDK cannot generate an RSA key
   */
  public static DPoP ps256() {
    return generatedRsa(JWSAlgorithm.PS256);
  }

  private static DPoP generatedRsa(JWSAlgorithm algorithm) {
    try {
      RSAKey key = new RSAKeyGenerator(2048).generate();
      return new DPoP(key, algorithm, new RSASSASigner(key), InstantSource.system());
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot generate an RSA key for DPoP", e);
    }
  }

  /**
   * Returns a DPoP that signs with a key pair you keep (so tokens stay bound to it across
   * restarts, for example).
   *
   * @param keyPair an EC P-256 key pair (for ES256) or an RSA key pair of at least 2048 bits
   *     (RS256, PS256)
   * @param algorithm {@code "ES256"}, {@code "RS256"} or {@code "PS256"}
   * @throws IllegalArgumentException if the algorithm is not one of those, or does not fit the key
   */
  public static DPoP of(KeyPair keyPair, String algorithm) {
    Objects.requireNonNull(keyPair, "keyPair");
    JWSAlgorithm alg = algorithm(Objects.requireNonNull(algorithm, "algorithm"));
    try {
      if (keyPair.getPublic() instanceof ECPublicKey && keyPair.getPrivate() instanceof ECPrivateKey) {
        ECPublicKey publicKey = (ECPublicKey) keyPair.getPublic();
        Curve curve = Curve.forECParameterSpec(publicKey.getParams());
        if (!alg.equals(JWSAlgorithm.ES256) || !Curve.P_256.equals(curve)) {
          throw new IllegalArgumentException("an EC key signs DPoP proofs with ES256 on P-256 only;"
              + " got " + algorithm + " on " + (curve == null ? "an unknown curve" : curve));
        }
        ECKey key = new ECKey.Builder(Curve.P_256, publicKey).privateKey(keyPair.getPrivate()).build();
        return new DPoP(key, alg, new ECDSASigner(key), InstantSource.system());
      }
      if (keyPair.getPublic() instanceof RSAPublicKey && keyPair.getPrivate() instanceof RSAPrivateKey) {
        if (alg.equals(JWSAlgorithm.ES256)) {
          throw new IllegalArgumentException("an RSA key signs DPoP proofs with RS256 or PS256, not ES256");
        }
        RSAKey key = new RSAKey.Builder((RSAPublicKey) keyPair.getPublic()).privateKey(keyPair.getPrivate()).build();
        return new DPoP(key, alg, new RSASSASigner(key), InstantSource.system());
      }
    } catch (JOSEException e) {
      throw new IllegalArgumentException("the key pair cannot sign " + algorithm + ": " + e.getMessage());
    }
    throw new IllegalArgumentException("a DPoP key pair must be EC (P-256) or RSA, with its private key;"
        + " got " + keyPair.getPublic().getAlgorithm());
  }

  /**
   * Returns a DPoP that signs with a private JWK (RFC 7517) you keep: an {@code EC} key on {@code
   * P-256} (ES256) or an {@code RSA} key (its {@code alg} member if it is RS256 or PS256, else
   * RS256).
   *
   * @param privateJwk the JWK as JSON, private members included
   * @throws IllegalArgumentException if it is not a private EC P-256 or RSA JWK; the message never
   *     quotes the JSON
   */
  public static DPoP fromJwk(String privateJwk) {
    Objects.requireNonNull(privateJwk, "privateJwk");
    JWK jwk;
    try {
      jwk = JWK.parse(privateJwk);
    } catch (java.text.ParseException | RuntimeException e) {
      // The parser's message may quote the key: keep it out.
      throw new IllegalArgumentException("privateJwk is not a JWK (RFC 7517) JSON object");
    }
    if (!jwk.isPrivate()) {
      throw new IllegalArgumentException("privateJwk holds no private key: a DPoP key must sign");
    }
    try {
      if (jwk instanceof ECKey) {
        return of(((ECKey) jwk).toKeyPair(), "ES256");
      }
      if (jwk instanceof RSAKey) {
        String alg = jwk.getAlgorithm() == null ? "RS256" : jwk.getAlgorithm().getName();
        return of(((RSAKey) jwk).toKeyPair(), alg);
      }
    } catch (JOSEException e) {
      throw new IllegalArgumentException("privateJwk cannot be turned into a key pair: " + e.getMessage());
    }
    throw new IllegalArgumentException("privateJwk must be of type EC or RSA, not " + jwk.getKeyType());
  }

  private static JWSAlgorithm algorithm(String name) {
    switch (name) {
      case "ES256":
        return JWSAlgorithm.ES256;
      case "RS256":
        return JWSAlgorithm.RS256;
      case "PS256":
        return JWSAlgorithm.PS256;
      default:
        throw new IllegalArgumentException("DPoP algorithm must be ES256, RS256 or PS256, not " + name);
    }
  }

  /** Returns the JWS algorithm of the proofs: {@code "ES256"}, {@code "RS256"} or {@code "PS256"}. */
  public String algorithm() {
    return algorithm.getName();
  }

  /**
   * Returns the key's JWK SHA-256 thumbprint (RFC 7638), base64url: the {@code cnf.jkt} a server
   * puts in the tokens it binds to this key. Public information.
   */
  public String thumbprint() {
    return thumbprint;
  }

  /**
   * Returns a new proof for a request: {@code htm} = {@code method}, {@code htu} = {@code uri}
   * without query and fragment, {@code iat} = now, a random 128-bit {@code jti} (never repeated),
   * {@code ath} when a token goes with the request, and the nonce {@code uri}'s origin sent last,
   * if any. The HTTP adapters call it for every request; call it yourself only to send DPoP
   * requests by hand.
   *
   * @param method the request's method, {@code "GET"}, {@code "POST"}...
   * @param uri the request's absolute URI
   * @param accessToken the token the request carries, or {@code null} (a token request)
   * @return the compact JWS to send in the {@code DPoP} header
   * @throws IllegalArgumentException if {@code uri} is not absolute with a host
   * @throws IllegalStateException if signing fails (it does not, with a key this class accepted)
   */
  public String proof(String method, URI uri, @Nullable AccessToken accessToken) {
    Objects.requireNonNull(method, "method");
    String htu = htu(uri);
    JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
        .jwtID(newJti())
        .claim("htm", method)
        .claim("htu", htu)
        .issueTime(Date.from(clock.instant()));
    if (accessToken != null) {
      claims.claim("ath", ath(accessToken.value()));
    }
    String nonce = nonces.get(TokenPolicy.originOf(uri));
    if (nonce != null) {
      claims.claim("nonce", nonce);
    }
    SignedJWT jwt = new SignedJWT(header, claims.build());
    try {
      jwt.sign(signer);
    } catch (JOSEException e) {
      throw new IllegalStateException("could not sign a DPoP proof with the " + algorithm + " key", e);
    }
    return jwt.serialize();
  }

  /**
   * Learns from a response to a DPoP request: remembers a {@code DPoP-Nonce} the origin sent
   * (servers may send a new one with any answer), and says whether the answer asks for the request
   * again with that nonce: a 401 with a {@code DPoP} challenge naming {@code
   * error="use_dpop_nonce"}, and a nonce. The HTTP adapters call it for every response to a request
   * they signed and then retry once; such an answer is not a token rejection.
   *
   * @param uri the URI the request was sent to
   * @param status the response's status code
   * @param wwwAuthenticate every {@code WWW-Authenticate} field value of the response
   * @param dpopNonce the response's {@code DPoP-Nonce} header, or {@code null}
   * @return {@code true} when the request should be sent once more, with a new proof
   */
  public boolean learnNonce(URI uri, int status, List<String> wwwAuthenticate, @Nullable String dpopNonce) {
    if (dpopNonce == null || dpopNonce.isBlank()) {
      return false;
    }
    rememberNonce(uri, dpopNonce);
    if (status != 401) {
      return false;
    }
    for (Challenges.Challenge challenge : Challenges.parse(wwwAuthenticate)) {
      if (challenge.scheme().equals("dpop") && "use_dpop_nonce".equalsIgnoreCase(challenge.params().get("error"))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Remembers the nonce {@code uri}'s origin sent in a {@code DPoP-Nonce} header: the next proofs
   * for that origin carry it. {@link #learnNonce} and the token endpoint call it; call it yourself
   * only for requests you send by hand.
   *
   * @throws IllegalArgumentException if the nonce is not a visible ASCII string (RFC 9449 section 8.1)
   */
  public void rememberNonce(URI uri, String nonce) {
    Objects.requireNonNull(nonce, "nonce");
    if (nonce.isEmpty() || !nonce.chars().allMatch(c -> c >= 0x21 && c <= 0x7e)) {
      throw new IllegalArgumentException("a DPoP-Nonce is one or more visible ASCII characters");
    }
    String origin = TokenPolicy.originOf(uri);
    if (origin == null) {
      throw new IllegalArgumentException("not an absolute URI with a host: " + HttpEndpoint.describe(uri));
    }
    nonces.put(origin, nonce);
  }

  /** {@code scheme://host[:port]/path}: RFC 9449's {@code htu}, without query and fragment. */
  static String htu(URI uri) {
    Objects.requireNonNull(uri, "uri");
    if (uri.getScheme() == null || uri.getHost() == null) {
      throw new IllegalArgumentException("a DPoP proof needs an absolute URI with a host: "
          + HttpEndpoint.describe(uri));
    }
    String path = uri.getRawPath();
    return uri.getScheme().toLowerCase(Locale.ROOT) + "://" + uri.getHost()
        + (uri.getPort() < 0 ? "" : ":" + uri.getPort()) + (path == null || path.isEmpty() ? "/" : path);
  }

  private String ath(String token) {
    Ath last = lastAth;
    if (last != null && last.token.equals(token)) {
      return last.hash;
    }
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.US_ASCII));
      String hash = Base64URL.encode(digest).toString();
      lastAth = new Ath(token, hash);
      return hash;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }

  /** 128 random bits, base64url: RFC 9449 section 11.1 asks for enough entropy to never repeat. */
  static String newJti() {
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    return Base64URL.encode(bytes).toString();
  }

  /** Shows the algorithm and the public key's thumbprint; never the private key. */
  @Override
  public String toString() {
    return "DPoP[" + algorithm + ", jkt=" + thumbprint + "]";
  }
}
