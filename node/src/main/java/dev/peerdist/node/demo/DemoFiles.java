package dev.peerdist.node.demo;

import dev.peerdist.chunkstore.content.HashAlgorithm;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.util.SplittableRandom;

/**
 * Files of a {@link LocalSwarm} run ({@code peerdist demo}, the swarm benchmark) and of the
 * simulator's live sites: generated packages whose SHA-256 the caller checks downloads against,
 * and removing a work directory.
 */
public final class DemoFiles {
  private DemoFiles() {}

  /**
   * Writes {@code length} pseudo-random bytes from {@code seed} (the same seed, the same bytes)
   * to {@code file} and returns their SHA-256.
   */
  public static byte[] writePackage(Path file, long length, long seed) throws IOException {
    MessageDigest sha = HashAlgorithm.SHA_256.newDigest();
    SplittableRandom rnd = new SplittableRandom(seed);
    byte[] buf = new byte[1 << 20];
    try (OutputStream out = Files.newOutputStream(file)) {
      long left = length;
      while (left > 0) {
        int n = (int) Math.min(buf.length, left);
        for (int i = 0; i < n; i += 8) {
          long v = rnd.nextLong();
          for (int j = 0; j < 8 && i + j < n; j++) {
            buf[i + j] = (byte) (v >>> (8 * j));
          }
        }
        out.write(buf, 0, n);
        sha.update(buf, 0, n);
        left -= n;
      }
    }
    return sha.digest();
  }

  /** Removes {@code root} and everything under it; nothing when it does not exist. */
  public static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.delete(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
        Files.delete(dir);
        return FileVisitResult.CONTINUE;
      }
    });
  }
}
