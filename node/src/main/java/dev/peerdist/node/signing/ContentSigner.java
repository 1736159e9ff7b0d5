package dev.peerdist.node.signing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.Base64;

/**
 * A publisher's content-information signing key ({@code peerdist publish --signing-key FILE}): the
 * Ed25519 private key in {@code FILE} (PKCS#8 PEM) and its public key in {@code FILE.pub} (X.509 PEM),
 * both made on first use when {@code FILE} does not exist (the private key readable by its owner only).
 *
 * @param privateKey signs
 * @param publicKey what nodes pin ({@code publisher-key})
 */
public record ContentSigner(PrivateKey privateKey, PublicKey publicKey) {
  /** The key id in every signature (see {@link ContentSignature#keyId}). */
  public String keyId() {
    return ContentSignature.keyId(publicKey);
  }

  /** The {@link ContentSignature#HEADER} value for {@code body} answered for {@code path}. */
  public String sign(String path, byte[] body) {
    return ContentSignature.sign(privateKey, keyId(), path, body);
  }

  /**
   * Loads {@code file} and {@code file.pub}, or makes both when {@code file} does not exist.
   *
   * @throws IOException naming the file when it cannot be read, written or parsed
   */
  public static ContentSigner loadOrCreate(Path file) throws IOException {
    Path pub = file.resolveSibling(file.getFileName() + ".pub");
    if (!Files.exists(file)) {
      KeyPair kp;
      try {
        kp = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
      } catch (GeneralSecurityException e) {
        throw new IOException("this JDK cannot make Ed25519 keys: " + e.getMessage(), e);
      }
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.writeString(file, pem("PRIVATE KEY", kp.getPrivate().getEncoded()), StandardCharsets.US_ASCII);
      try {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException e) {
        // Not a POSIX file system: the directory's protection is all there is.
      }
      Files.writeString(pub, pem("PUBLIC KEY", kp.getPublic().getEncoded()), StandardCharsets.US_ASCII);
      return new ContentSigner(kp.getPrivate(), kp.getPublic());
    }
    try {
      PrivateKey k = ContentSignature.privateKey(Files.readString(file, StandardCharsets.US_ASCII));
      if (!Files.exists(pub)) {
        throw new IOException(pub + " is missing: write it with 'openssl pkey -in " + file + " -pubout -out " + pub + "'");
      }
      PublicKey p = ContentSignature.publicKey(Files.readString(pub, StandardCharsets.US_ASCII));
      ContentSigner s = new ContentSigner(k, p);
      ContentSignature.verify(ContentSignature.byId(java.util.List.of(p)), "/", s.sign("/", new byte[1]), new byte[1]);
      return s;
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    } catch (ContentSignature.RejectedException e) {
      throw new IOException(pub + " is not the public key of " + file, e);
    }
  }

  static String pem(String label, byte[] der) {
    return "-----BEGIN " + label + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END " + label + "-----\n";
  }
}
