package dev.peerdist.chunkstore.content;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The server secret key material of a content server, from which Ks = H(material) is derived for
 * each hash algorithm (PROTOCOL.md §2.2). Sources: hex digits, a file of raw bytes, a text whose
 * UTF-16LE bytes are the material (what {@code netsh branchcache set key "TEXT"} does), or a
 * Windows {@code netsh branchcache exportkey} file (PROTOCOL.md §2.5).
 *
 * <p>{@link #toString()} never shows the material.
 */
public final class ServerSecret {
  /** Largest key material accepted (the material is hashed; anything longer is a mistake). */
  public static final int MAX_MATERIAL_BYTES = 64 * 1024;
  private static final int SHA256_LENGTH = 32;

  private final byte[] material;

  private ServerSecret(byte[] material) {
    if (material.length == 0 || material.length > MAX_MATERIAL_BYTES) {
      throw new IllegalArgumentException(
          "server secret key material must be 1.." + MAX_MATERIAL_BYTES + " bytes, got " + material.length);
    }
    this.material = material;
  }

  /** Wraps a copy of raw key material. */
  public static ServerSecret ofKeyMaterial(byte[] material) {
    return new ServerSecret(material.clone());
  }

  /**
   * Key material given as hex digits (either case, optional whitespace or colons).
   *
   * @throws IllegalArgumentException when the text is not an even number of hex digits
   */
  public static ServerSecret fromHex(String hex) {
    String digits = hex.replaceAll("[\\s:]", "");
    try {
      return new ServerSecret(HexFormat.of().parseHex(digits));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("server secret is not hex: " + e.getMessage(), e);
    }
  }

  /** Key material as {@code netsh branchcache set key "TEXT"} makes it: UTF-16LE, no NUL. */
  public static ServerSecret fromText(String text) {
    return new ServerSecret(PccrcKeys.keyMaterialFromText(text));
  }

  /**
   * Key material read as raw bytes from a file.
   *
   * @throws IOException when the file cannot be read
   * @throws IllegalArgumentException when it is empty or larger than {@link #MAX_MATERIAL_BYTES}
   */
  public static ServerSecret fromFile(Path file) throws IOException {
    long size = Files.size(file);
    if (size > MAX_MATERIAL_BYTES) {
      throw new IllegalArgumentException("server secret file " + file + " is " + size
          + " bytes; at most " + MAX_MATERIAL_BYTES + " expected");
    }
    return new ServerSecret(Files.readAllBytes(file));
  }

  /**
   * Imports a {@code netsh branchcache exportkey} file (PROTOCOL.md §2.5): AES-256-CBC with key
   * SHA-256(UTF-16LE passphrase), a zero IV and PKCS#7 padding over SHA-256(material) || material.
   *
   * @throws IllegalArgumentException when the passphrase is wrong or the file is not such an export
   *     (the embedded hash does not match)
   */
  public static ServerSecret fromExport(byte[] exportFile, String passphrase) {
    if (exportFile.length == 0 || exportFile.length % 16 != 0
        || exportFile.length > MAX_MATERIAL_BYTES + SHA256_LENGTH + 16) {
      throw new IllegalArgumentException("not a BranchCache key export: length " + exportFile.length
          + " is not a positive multiple of 16 up to " + (MAX_MATERIAL_BYTES + SHA256_LENGTH + 16));
    }
    byte[] plain;
    try {
      plain = exportCipher(Cipher.DECRYPT_MODE, passphrase).doFinal(exportFile);
    } catch (BadPaddingException e) {
      throw new IllegalArgumentException("cannot decrypt the key export: wrong passphrase or not an export file", e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-CBC unavailable", e);
    }
    if (plain.length <= SHA256_LENGTH) {
      throw new IllegalArgumentException("key export holds no key material after its hash");
    }
    byte[] hash = Arrays.copyOf(plain, SHA256_LENGTH);
    byte[] material = Arrays.copyOfRange(plain, SHA256_LENGTH, plain.length);
    if (!MessageDigest.isEqual(hash, sha256(material))) {
      throw new IllegalArgumentException(
          "key export hash does not match its key material: wrong passphrase or corrupt file");
    }
    return new ServerSecret(material);
  }

  /** Reads and imports an export file; see {@link #fromExport(byte[], String)}. */
  public static ServerSecret fromExportFile(Path file, String passphrase) throws IOException {
    long size = Files.size(file);
    if (size > MAX_MATERIAL_BYTES + SHA256_LENGTH + 16) {
      throw new IllegalArgumentException("key export " + file + " is too large (" + size + " bytes)");
    }
    return fromExport(Files.readAllBytes(file), passphrase);
  }

  /**
   * This secret in the {@code netsh branchcache exportkey} format (PROTOCOL.md §2.5), so that a
   * Windows server or another peerdist publisher can import it.
   */
  public byte[] export(String passphrase) {
    byte[] plain = new byte[SHA256_LENGTH + material.length];
    System.arraycopy(sha256(material), 0, plain, 0, SHA256_LENGTH);
    System.arraycopy(material, 0, plain, SHA256_LENGTH, material.length);
    try {
      return exportCipher(Cipher.ENCRYPT_MODE, passphrase).doFinal(plain);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-CBC unavailable", e);
    }
  }

  private static Cipher exportCipher(int mode, String passphrase) throws GeneralSecurityException {
    byte[] key = sha256(passphrase.getBytes(StandardCharsets.UTF_16LE));
    Cipher c = Cipher.getInstance("AES/CBC/PKCS5Padding");
    c.init(mode, new SecretKeySpec(key, "AES"), new IvParameterSpec(new byte[16]));
    return c;
  }

  private static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK lacks SHA-256", e);
    }
  }

  /** A copy of the key material. */
  public byte[] keyMaterial() {
    return material.clone();
  }

  /** Ks for content hashed with {@code algorithm} (PROTOCOL.md §2.2). */
  public byte[] serverSecret(HashAlgorithm algorithm) {
    return PccrcKeys.serverSecret(algorithm, material);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ServerSecret other && MessageDigest.isEqual(material, other.material);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(sha256(material));
  }

  /** Shows only the length and a short fingerprint (first bytes of SHA-256 of the material). */
  @Override
  public String toString() {
    return "ServerSecret{" + material.length + " bytes, fingerprint "
        + HexFormat.of().formatHex(sha256(material), 0, 4) + "}";
  }
}
