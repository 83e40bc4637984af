package dev.tokenkeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.AsymmetricJWK;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.SignedJWT;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.ArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** DPoP proofs as RFC 9449 section 4.2 spells them, checked with nimbus on the receiving side. */
class DPoPTest {
  private static final URI API = URI.create("https://api.example.com:8443/orders/42?page=2#top");
  private static final AccessToken TOKEN = new AccessToken("eyJ.token.value", "DPoP", Instant.EPOCH, null, Set.of());

  @ParameterizedTest
  @ValueSource(strings = {"ES256", "RS256", "PS256"})
  void proof_hasEveryClaimAndVerifiesWithItsOwnJwk(String algorithm) throws Exception {
    DPoP dpop = algorithm.equals("ES256") ? DPoP.es256() : algorithm.equals("RS256") ? DPoP.rs256() : DPoP.ps256();
    Instant before = Instant.now().minusSeconds(1);

    SignedJWT proof = SignedJWT.parse(dpop.proof("GET", API, TOKEN));

    assertThat(proof.getHeader().getType()).isEqualTo(new JOSEObjectType("dpop+jwt"));
    assertThat(proof.getHeader().getAlgorithm().getName()).isEqualTo(algorithm).isEqualTo(dpop.algorithm());
    assertThat(proof.getHeader().getJWK().isPrivate()).as("only the public key travels").isFalse();
    assertThat(proof.getHeader().getJWK().computeThumbprint().toString()).isEqualTo(dpop.thumbprint());
    assertThat(proof.verify(new DefaultJWSVerifierFactory().createJWSVerifier(proof.getHeader(),
        ((AsymmetricJWK) proof.getHeader().getJWK()).toPublicKey()))).isTrue();
    var claims = proof.getJWTClaimsSet();
    assertThat(claims.getClaim("htm")).isEqualTo("GET");
    assertThat(claims.getClaim("htu")).as("no query, no fragment").isEqualTo("https://api.example.com:8443/orders/42");
    assertThat(claims.getIssueTime().toInstant()).isBetween(before, Instant.now().plusSeconds(1));
    assertThat(claims.getJWTID()).hasSizeGreaterThanOrEqualTo(22); // 128 bits, base64url
    assertThat(claims.getClaim("ath")).isEqualTo(Base64URL.encode(MessageDigest.getInstance("SHA-256")
        .digest("eyJ.token.value".getBytes(StandardCharsets.US_ASCII))).toString());
    assertThat(claims.getClaim("nonce")).isNull();
  }

  @Test
  void proof_forATokenRequest_hasNoAth() throws Exception {
    var claims = SignedJWT.parse(DPoP.es256().proof("POST", URI.create("http://127.0.0.1:9/oauth2/token"), null))
        .getJWTClaimsSet();
    assertThat(claims.getClaim("ath")).isNull();
    assertThat(claims.getClaim("htm")).isEqualTo("POST");
    assertThat(claims.getClaim("htu")).isEqualTo("http://127.0.0.1:9/oauth2/token");
  }

  @Test
  void proof_emptyPath_isSlash() throws Exception {
    assertThat(SignedJWT.parse(DPoP.es256().proof("GET", URI.create("https://api.example.com"), TOKEN))
        .getJWTClaimsSet().getClaim("htu")).isEqualTo("https://api.example.com/");
  }

  /** RFC 9449 section 11.1: a proof must never be replayable, so its jti must never repeat. */
  @Test
  void proofReplay_aJtiIsNeverGeneratedTwice_200000ProofsFromEightThreads() throws Exception {
    DPoP dpop = DPoP.es256();
    Set<String> jtis = ConcurrentHashMap.newKeySet();
    ExecutorService threads = Executors.newFixedThreadPool(8);
    List<Future<Integer>> done = new ArrayList<>();
    try {
      for (int t = 0; t < 8; t++) {
        done.add(threads.submit(() -> {
          int duplicates = 0;
          for (int i = 0; i < 25_000; i++) {
            duplicates += jtis.add(DPoP.newJti()) ? 0 : 1;
          }
          return duplicates;
        }));
      }
      int duplicates = 0;
      for (Future<Integer> f : done) {
        duplicates += f.get();
      }
      assertThat(duplicates).isZero();
      assertThat(jtis).hasSize(200_000);
    } finally {
      threads.shutdownNow();
    }
    // And the proofs themselves carry a new one every time (signed ones, fewer: they cost more).
    Set<String> signed = new HashSet<>();
    for (int i = 0; i < 1_000; i++) {
      signed.add(SignedJWT.parse(dpop.proof("GET", API, TOKEN)).getJWTClaimsSet().getJWTID());
    }
    assertThat(signed).hasSize(1_000);
  }

  @Test
  void learnNonce_useDpopNonceChallenge_retriesAndLaterProofsForThatOriginCarryIt() throws Exception {
    DPoP dpop = DPoP.es256();
    URI other = URI.create("https://billing.example.com/x");

    boolean retry = dpop.learnNonce(API, 401,
        List.of("DPoP algs=\"ES256\", error=\"use_dpop_nonce\", error_description=\"nonce\""), "n-1");

    assertThat(retry).isTrue();
    assertThat(SignedJWT.parse(dpop.proof("GET", API.resolve("/other"), TOKEN)).getJWTClaimsSet().getClaim("nonce"))
        .isEqualTo("n-1");
    assertThat(SignedJWT.parse(dpop.proof("GET", other, TOKEN)).getJWTClaimsSet().getClaim("nonce"))
        .as("nonces are per origin").isNull();
  }

  @Test
  void learnNonce_newNonceOnA200_isLearnedWithoutRetry() throws Exception {
    DPoP dpop = DPoP.es256();
    assertThat(dpop.learnNonce(API, 200, List.of(), "n-2")).isFalse();
    assertThat(SignedJWT.parse(dpop.proof("GET", API, TOKEN)).getJWTClaimsSet().getClaim("nonce")).isEqualTo("n-2");
  }

  @Test
  void learnNonce_invalidTokenOrNoNonceHeader_isNoNonceRetry() {
    DPoP dpop = DPoP.es256();
    assertThat(dpop.learnNonce(API, 401, List.of("DPoP error=\"use_dpop_nonce\""), null)).isFalse();
    assertThat(dpop.learnNonce(API, 401, List.of("DPoP error=\"invalid_token\""), "n")).isFalse();
    assertThat(dpop.learnNonce(API, 401, List.of("Bearer error=\"use_dpop_nonce\""), "n")).isFalse();
  }

  /** A DPoP challenge naming invalid_token rejects the token, as Bearer's does; use_dpop_nonce does not. */
  @Test
  void tokenRejection_dpopInvalidToken_isARejection_useDpopNonce_isNot() {
    assertThat(TokenPolicy.isTokenRejection(401, List.of("DPoP algs=\"ES256\", error=\"invalid_token\""))).isTrue();
    assertThat(TokenPolicy.isTokenRejection(401, List.of("DPoP algs=\"ES256\""))).isTrue();
    assertThat(TokenPolicy.isTokenRejection(401, List.of("DPoP error=\"use_dpop_nonce\""))).isFalse();
  }

  @Test
  void suppliedKeys_ecKeyPair_jwk_andTheirThumbprintIsTheKeys() throws Exception {
    KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
    ec.initialize(new ECGenParameterSpec("secp256r1"));
    DPoP fromPair = DPoP.of(ec.generateKeyPair(), "ES256");
    assertThat(fromPair.algorithm()).isEqualTo("ES256");

    ECKey jwk = new ECKeyGenerator(Curve.P_256).generate();
    DPoP fromJwk = DPoP.fromJwk(jwk.toJSONString());
    assertThat(fromJwk.thumbprint()).isEqualTo(jwk.computeThumbprint().toString());
    assertThat(SignedJWT.parse(fromJwk.proof("GET", API, null)).getHeader().getJWK().toJSONString())
        .isEqualTo(jwk.toPublicJWK().toJSONString());
  }

  @Test
  void suppliedKeys_misuse_failsWithMessagesThatSayHowToFixAndNeverQuoteTheKey() throws Exception {
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(2048);
    ECKey jwk = new ECKeyGenerator(Curve.P_256).generate();
    String secret = jwk.getD().toString();

    assertThatThrownBy(() -> DPoP.of(rsa.generateKeyPair(), "ES256"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("RS256 or PS256");
    assertThatThrownBy(() -> DPoP.of(rsa.generateKeyPair(), "HS256"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ES256, RS256 or PS256");
    assertThatThrownBy(() -> DPoP.fromJwk(jwk.toPublicJWK().toJSONString()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no private key");
    assertThatThrownBy(() -> DPoP.fromJwk("{\"kty\":\"EC\",\"d\":\"" + secret + "\""))
        .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining(secret);
  }

  @Test
  void toString_showsAlgorithmAndThumbprint_neverThePrivateKey() throws Exception {
    ECKey jwk = new ECKeyGenerator(Curve.P_256).generate();
    DPoP dpop = DPoP.fromJwk(jwk.toJSONString());
    assertThat(dpop.toString()).isEqualTo("DPoP[ES256, jkt=" + dpop.thumbprint() + "]")
        .doesNotContain(jwk.getD().toString());
    TokenKeeper keeper = TokenKeeper.newBuilder(request -> TokenResponse.bearer("x")).dpop(dpop).build();
    try {
      assertThat(keeper.dpop()).isSameAs(dpop);
      assertThat(keeper.toString()).doesNotContain(jwk.getD().toString());
    } finally {
      keeper.close();
    }
  }

  @Test
  void rememberNonce_rejectsWhatCannotBeANonce() {
    DPoP dpop = DPoP.es256();
    assertThatThrownBy(() -> dpop.rememberNonce(API, "has space")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> dpop.proof("GET", URI.create("/relative"), null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("absolute");
  }
}
