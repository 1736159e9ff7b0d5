package dev.peerdist.node.signing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Signed content information (peerdist's own extension, docs/SITES.md; not part of MS-PCCRTP): a
 * publisher with a signing key adds to every content-information answer (PROTOCOL.md §5.3) the
 * header
 *
 * <pre>X-Peerdist-Signature: v=1; alg=ed25519; keyid=HEX16; sig=BASE64</pre>
 *
 * where {@code sig} is an Ed25519 signature over {@code "peerdist-content-information-v1\n" + path +
 * "\n" + body}: the request's decoded path, then the exact content-information bytes of that answer
 * (a range answer is signed as sent). The path binds the answer to the file, so a signed answer
 * for one file cannot be replayed for another. {@code keyid} is the first 8 bytes of SHA-256 over the
 * public key's X.509 encoding, so a node pinning several keys (rotation) knows which to use. Other
 * clients (Windows, iPXE) ignore the header: signing changes nothing for them.
 *
 * <p>Pure: keys and bytes in, strings and verdicts out.
 */
public final class ContentSignature {
  /** The response header. */
  public static final String HEADER = "X-Peerdist-Signature";
  /** The only algorithm (the JDK has it since 15). */
  public static final String ALGORITHM = "ed25519";
  static final byte[] CONTEXT = "peerdist-content-information-v1\n".getBytes(StandardCharsets.US_ASCII);
  /** Longest header value accepted (an Ed25519 signature is 88 base64 characters). */
  static final int MAX_HEADER = 512;

  private ContentSignature() {}

  /** Why content information was refused: names the URL's problem in plain words. */
  public static final class RejectedException extends Exception {
    private static final long serialVersionUID = 1L;

    public RejectedException(String message) {
      super(message);
    }
  }

  /** The key id of {@code key}: 16 lower-case hex digits. */
  public static String keyId(PublicKey key) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
      return HexFormat.of().formatHex(d, 0, 8);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] message(String path, byte[] body) {
    ByteArrayOutputStream m = new ByteArrayOutputStream(CONTEXT.length + path.length() + 1 + body.length);
    m.writeBytes(CONTEXT);
    m.writeBytes((path.isEmpty() ? "/" : path).getBytes(StandardCharsets.UTF_8));
    m.write('\n');
    m.writeBytes(body);
    return m.toByteArray();
  }

  /** The header value signing {@code body} answered for {@code path} with {@code key} (id {@code keyId}). */
  public static String sign(PrivateKey key, String keyId, String path, byte[] body) {
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initSign(key);
      s.update(message(path, body));
      return "v=1; alg=" + ALGORITHM + "; keyid=" + keyId + "; sig=" + Base64.getEncoder().encodeToString(s.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign with an Ed25519 key: " + e.getMessage(), e);
    }
  }

  /**
   * Checks {@code header} (null when absent) over {@code body} answered for {@code path} against
   * the pinned {@code keys} (by key id).
   *
   * @throws RejectedException unsigned, malformed, unknown key, or a signature that does not verify
   */
  public static void verify(Map<String, PublicKey> keys, String path, String header, byte[] body)
      throws RejectedException {
    if (header == null || header.isBlank()) {
      throw new RejectedException("the content information is not signed (no " + HEADER
          + " header) but publisher-key is set");
    }
    Map<String, String> f = fields(header);
    if (!"1".equals(f.get("v")) || !ALGORITHM.equals(f.get("alg"))) {
      throw new RejectedException("unsupported " + HEADER + " (v=" + f.get("v") + ", alg=" + f.get("alg") + ")");
    }
    String id = f.get("keyid");
    PublicKey key = id == null ? null : keys.get(id.toLowerCase(Locale.ROOT));
    if (key == null) {
      throw new RejectedException("the content information is signed by key " + id
          + ", which is not a pinned publisher-key (" + String.join(", ", keys.keySet()) + ")");
    }
    byte[] sig;
    try {
      sig = Base64.getDecoder().decode(f.getOrDefault("sig", ""));
    } catch (IllegalArgumentException e) {
      throw new RejectedException("malformed " + HEADER + ": sig is not base64");
    }
    boolean ok;
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initVerify(key);
      s.update(message(path, body));
      ok = sig.length == 64 && s.verify(sig);
    } catch (GeneralSecurityException e) {
      ok = false;
    }
    if (!ok) {
      throw new RejectedException("the content information's signature does not verify with key " + id
          + ": it was changed on the way or signed for another file");
    }
  }

  /** The {@code name=value} fields of a header value; malformed input gives missing fields, never an exception. */
  static Map<String, String> fields(String header) {
    Map<String, String> out = new LinkedHashMap<>();
    if (header.length() > MAX_HEADER) {
      return out;
    }
    for (String part : header.split(";")) {
      int eq = part.indexOf('=');
      if (eq > 0) {
        out.putIfAbsent(part.substring(0, eq).trim().toLowerCase(Locale.ROOT), part.substring(eq + 1).trim());
      }
    }
    return out;
  }

  /** An Ed25519 private key from PKCS#8 PEM ({@code openssl genpkey -algorithm ed25519}). */
  public static PrivateKey privateKey(String pem) {
    try {
      return KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(der(pem, "PRIVATE KEY")));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalArgumentException("not an Ed25519 private key in PKCS#8 PEM: " + e.getMessage());
    }
  }

  /**
   * An Ed25519 public key from X.509 PEM ({@code openssl pkey -pubout}) or from the base64 of its
   * DER encoding on one line (what {@code peerdist publish} prints).
   */
  public static PublicKey publicKey(String pemOrBase64) {
    try {
      byte[] der = pemOrBase64.contains("-----BEGIN") ? der(pemOrBase64, "PUBLIC KEY")
          : Base64.getDecoder().decode(pemOrBase64.trim());
      return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalArgumentException("not an Ed25519 public key (PEM or base64 DER): " + e.getMessage());
    }
  }

  /** The public key of an Ed25519 private key, as base64 DER (for {@code publisher-key}). */
  public static String publicKeyBase64(PublicKey key) {
    return Base64.getEncoder().encodeToString(key.getEncoded());
  }

  /** The pinned keys by id. */
  public static Map<String, PublicKey> byId(List<PublicKey> keys) {
    Map<String, PublicKey> m = new LinkedHashMap<>();
    for (PublicKey k : keys) {
      m.put(keyId(k), k);
    }
    return m;
  }

  private static byte[] der(String pem, String label) {
    String begin = "-----BEGIN " + label + "-----";
    String end = "-----END " + label + "-----";
    int a = pem.indexOf(begin);
    int b = pem.indexOf(end);
    if (a < 0 || b < a) {
      throw new IllegalArgumentException("no " + begin + " block");
    }
    return Base64.getMimeDecoder().decode(pem.substring(a + begin.length(), b));
  }
}
