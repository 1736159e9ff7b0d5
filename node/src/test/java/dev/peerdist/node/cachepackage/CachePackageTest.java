package dev.peerdist.node.cachepackage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.SegmentRecords;
import dev.peerdist.chunkstore.content.ContentInformation;
import dev.peerdist.chunkstore.content.ContentInformationCodec;
import dev.peerdist.chunkstore.memory.InMemoryChunkStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The offline cache package: round trip through a store, and the malformed-input matrix (every
 * truncation, every header field out of bounds, seeded random bit flips): a bad package is always a
 * {@link CachePackage.FormatException} and leaves the store as it was.
 */
class CachePackageTest {
  static final byte[] SECRET = "package-test-secret".getBytes(java.nio.charset.StandardCharsets.UTF_8);

  @TempDir Path dir;
  Path root;
  byte[] a;
  byte[] b;
  byte[] pkg;

  @BeforeEach
  void export() throws IOException {
    root = Files.createDirectories(dir.resolve("root"));
    a = new byte[300_000];
    b = new byte[65536 * 2];
    new Random(1).nextBytes(a);
    new Random(2).nextBytes(b);
    Files.write(root.resolve("a.bin"), a);
    Files.createDirectories(root.resolve("sub"));
    Files.write(root.resolve("sub/b.bin"), b);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    List<Path> files = PackageTransfer.files(root, List.of(Path.of("a.bin"), Path.of("sub")));
    assertEquals(2, files.size());
    long bytes = PackageTransfer.export(root, files, SECRET, out, (i, n, p, s, len) -> { });
    assertEquals(a.length + b.length, bytes);
    pkg = out.toByteArray();
  }

  static InMemoryChunkStore store() {
    return new InMemoryChunkStore(1L << 30);
  }

  @Test
  void roundTripStoresEveryBlockPinned() throws IOException {
    InMemoryChunkStore s = store();
    PackageTransfer.ImportResult r = PackageTransfer.importInto(s, new ByteArrayInputStream(pkg), (i, n, p, g, l) -> { });
    assertEquals(2, r.files());
    assertEquals(a.length + b.length, r.storedBytes());
    CachePackage.Reader reader = new CachePackage.Reader(new ByteArrayInputStream(pkg));
    CachePackage.Entry e = reader.nextEntry();
    assertEquals("a.bin", e.path());
    ContentInformation info = e.info();
    SegmentRecord rec = SegmentRecords.from(info, 0);
    assertTrue(s.isPinned(rec.id()));
    assertEquals(rec.blockCount(), s.presentBlocks(rec.id()).cardinality());
    assertArrayEquals(java.util.Arrays.copyOfRange(a, 0, 65536), s.readBlock(rec.id(), 0).orElseThrow());
    // The same bytes the publisher's generator makes (ContentInformationCodec round trip).
    assertArrayEquals(e.contentInformationBytes(), ContentInformationCodec.standard().encode(info));
    // A second import is idempotent.
    PackageTransfer.ImportResult again = PackageTransfer.importInto(s, new ByteArrayInputStream(pkg), (i, n, p, g, l) -> { });
    assertEquals(0, again.newSegments());
    assertEquals(0, again.storedBytes());
  }

  /** Imports {@code bytes} into a fresh store; asserts a FormatException and an empty store. */
  static void rejected(byte[] bytes) {
    InMemoryChunkStore s = store();
    assertThrows(CachePackage.FormatException.class,
        () -> PackageTransfer.importInto(s, new ByteArrayInputStream(bytes), (i, n, p, g, l) -> { }));
    assertEquals(0, s.segments().size(), "a rejected package leaves nothing behind");
    assertEquals(0, s.stats().usedBytes());
  }

  @Test
  void everyTruncationIsRejected() {
    // Every prefix up to the first block, then a stride through the blocks, then the trailer's bytes.
    for (int n = 0; n < pkg.length; n += n < 2048 ? 1 : n > pkg.length - 64 ? 1 : 997) {
      rejected(java.util.Arrays.copyOf(pkg, n));
    }
  }

  @Test
  void headerFieldsOutOfBoundsAreRejected() {
    byte[] magic = pkg.clone();
    magic[0] = 'X';
    rejected(magic);
    byte[] version = pkg.clone();
    version[9] = 2;
    rejected(version);
    byte[] flags = pkg.clone();
    flags[11] = 1;
    rejected(flags);
    byte[] none = pkg.clone();
    ByteBuffer.wrap(none).putInt(12, 0);
    rejected(none);
    byte[] huge = pkg.clone();
    ByteBuffer.wrap(huge).putInt(12, -1);
    rejected(huge);
    byte[] fewer = pkg.clone();
    ByteBuffer.wrap(fewer).putInt(12, 1); // announces one file, holds two: the trailer is not where it should be
    rejected(fewer);
    byte[] pathLength = pkg.clone();
    ByteBuffer.wrap(pathLength).putShort(16, (short) 0xffff);
    rejected(pathLength);
    int ciAt = 16 + 2 + "a.bin".length();
    byte[] ciZero = pkg.clone();
    ByteBuffer.wrap(ciZero).putInt(ciAt, 0);
    rejected(ciZero);
    byte[] ciHuge = pkg.clone();
    ByteBuffer.wrap(ciHuge).putInt(ciAt, Integer.MAX_VALUE);
    rejected(ciHuge);
    int ciLength = ByteBuffer.wrap(pkg).getInt(ciAt);
    byte[] blockLength = pkg.clone();
    ByteBuffer.wrap(blockLength).putInt(ciAt + 4 + ciLength, 65535);
    rejected(blockLength);
    byte[] total = pkg.clone();
    total[total.length - 1] ^= 1;
    rejected(total);
    byte[] extra = java.util.Arrays.copyOf(pkg, pkg.length + 1);
    rejected(extra);
  }

  @Test
  void aDamagedBlockIsNeverStored() {
    int ciAt = 16 + 2 + "a.bin".length();
    int ciLength = ByteBuffer.wrap(pkg).getInt(ciAt);
    byte[] damaged = pkg.clone();
    damaged[ciAt + 4 + ciLength + 4 + 100] ^= 0x40; // inside block 0 of a.bin
    rejected(damaged);
    byte[] late = pkg.clone();
    late[pkg.length - 48 - 10] ^= 0x01; // inside the last block of b.bin, after a.bin was stored
    rejected(late);
  }

  @Test
  void randomBitFlipsNeverGetPastTheChecks() {
    Random r = new Random(99);
    for (int i = 0; i < 300; i++) {
      byte[] m = pkg.clone();
      int at = r.nextInt(m.length);
      m[at] ^= (byte) (1 << r.nextInt(8));
      rejected(m);
    }
  }
}
