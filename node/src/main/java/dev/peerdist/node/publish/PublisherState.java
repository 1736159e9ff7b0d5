package dev.peerdist.node.publish;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;

/**
 * The publisher's state directory: the server secret, the content-information cache, upstream
 * copies and a generated TLS pair. It must lie outside the served tree, or the secret would be
 * downloadable; {@link #open} refuses a state directory inside the root.
 *
 * <pre>
 *   STATE/server-secret                 32 random bytes, mode 0600 (unless a secret is given)
 *   STATE/content-information/...       see {@link ContentInformationCache}
 *   STATE/upstream/...                  see {@link UpstreamMirror}
 *   STATE/tls/self-signed.{crt,key}     see {@link TlsContexts}
 * </pre>
 */
public final class PublisherState {
  /** Bytes of a generated server secret (the key material; Ks = H(material), PROTOCOL.md §2.2). */
  static final int GENERATED_SECRET_BYTES = 32;

  private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> OWNER_DIR = PosixFilePermissions.fromString("rwx------");

  private final Path dir;
  private final byte[] secretKeyMaterial;
  private final String secretFingerprint;

  private PublisherState(Path dir, byte[] secret) {
    this.dir = dir;
    this.secretKeyMaterial = secret;
    this.secretFingerprint = HexFormat.of().formatHex(sha256(secret), 0, 8);
  }

  /**
   * Opens (creating as needed) the state directory.
   *
   * @param dir the state directory
   * @param servedRoot the served directory, or null in upstream mode
   * @param explicitSecret key material from the secret options, or null to load or generate the
   *     persisted one
   * @throws IOException when the directory cannot be created, lies inside {@code servedRoot}, or
   *     the persisted secret is unreadable or empty
   */
  public static PublisherState open(Path dir, Path servedRoot, byte[] explicitSecret) throws IOException {
    Files.createDirectories(dir);
    Path real = dir.toRealPath();
    if (servedRoot != null && real.startsWith(servedRoot.toRealPath())) {
      throw new IOException(
          "state directory " + dir + " lies inside the served root " + servedRoot
              + ": the server secret would be downloadable");
    }
    byte[] secret = explicitSecret != null ? explicitSecret.clone() : loadOrCreateSecret(real.resolve("server-secret"));
    if (secret.length == 0) {
      throw new IOException("the server secret is empty");
    }
    return new PublisherState(real, secret);
  }

  private static byte[] loadOrCreateSecret(Path file) throws IOException {
    if (Files.exists(file)) {
      byte[] b = Files.readAllBytes(file);
      if (b.length == 0) {
        throw new IOException("server secret file is empty: " + file);
      }
      return b;
    }
    byte[] fresh = new byte[GENERATED_SECRET_BYTES];
    new SecureRandom().nextBytes(fresh);
    writeOwnerOnly(file, fresh);
    return Files.readAllBytes(file); // whoever won a creation race, use what is on disk
  }

  /** Writes a new file readable only by its owner, without ever exposing it with wider rights. */
  static void writeOwnerOnly(Path file, byte[] content) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp-" + ProcessHandle.current().pid());
    Files.deleteIfExists(tmp);
    try {
      Files.createFile(tmp, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
    } catch (UnsupportedOperationException e) {
      Files.createFile(tmp);
    }
    Files.write(tmp, content);
    try {
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
      Files.deleteIfExists(tmp);
    }
  }

  /** Creates a subdirectory readable only by the owner. */
  Path subdirectory(String name) throws IOException {
    Path p = dir.resolve(name);
    if (!Files.isDirectory(p)) {
      Files.createDirectories(p);
      try {
        Files.setPosixFilePermissions(p, OWNER_DIR);
      } catch (UnsupportedOperationException e) {
        // Not a POSIX file system: rely on the parent's rights.
      }
    }
    return p;
  }

  /** The state directory (links resolved). */
  public Path directory() {
    return dir;
  }

  /** A copy of the server secret key material. */
  public byte[] secretKeyMaterial() {
    return secretKeyMaterial.clone();
  }

  /**
   * 16 hex digits of SHA-256 of the secret: part of every content-information cache key, so a
   * changed secret never serves old segment secrets. Reveals nothing usable about the secret.
   */
  public String secretFingerprint() {
    return secretFingerprint;
  }

  static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
