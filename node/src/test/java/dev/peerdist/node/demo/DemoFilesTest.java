package dev.peerdist.node.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.peerdist.chunkstore.content.HashAlgorithm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Generated packages are what their digest says, repeatable by seed; trees are removed whole. */
class DemoFilesTest {
  @TempDir Path dir;

  @Test
  void aPackageHasItsLengthItsDigestAndDependsOnlyOnTheSeed() throws Exception {
    long length = (1 << 20) + 13; // a partial buffer and a partial word at the end
    byte[] a = DemoFiles.writePackage(dir.resolve("a.bin"), length, 7);
    byte[] b = DemoFiles.writePackage(dir.resolve("b.bin"), length, 7);
    byte[] c = DemoFiles.writePackage(dir.resolve("c.bin"), length, 8);
    byte[] bytes = Files.readAllBytes(dir.resolve("a.bin"));
    assertEquals(length, bytes.length);
    assertArrayEquals(HashAlgorithm.SHA_256.newDigest().digest(bytes), a);
    assertArrayEquals(a, b);
    assertArrayEquals(bytes, Files.readAllBytes(dir.resolve("b.bin")));
    assertFalse(Arrays.equals(a, c));
  }

  @Test
  void aTreeIsRemovedWholeAndAMissingOneIsNoError() throws Exception {
    Path root = Files.createDirectories(dir.resolve("work/x/y"));
    Files.writeString(root.resolve("f"), "data");
    DemoFiles.deleteTree(dir.resolve("work"));
    assertFalse(Files.exists(dir.resolve("work")));
    DemoFiles.deleteTree(dir.resolve("work"));
  }
}
