package dev.peerdist.chunkstore.rocksdb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.rocksdb.BlobReclaimPolicy.BlobFile;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The reclaim policy's arithmetic, and the blob reference the reclaimer reads from SSTs. */
class BlobReclaimPolicyTest {
  private static final long MIB = 1L << 20;
  private final BlobReclaimPolicy policy = new BlobReclaimPolicy(64 * MIB);

  private static BlobFile file(long number, long mib, long liveMib) {
    return new BlobFile(number, mib * MIB, liveMib * MIB);
  }

  @Test
  void belowEitherThresholdNothingIsRewritten() {
    // 40 MiB of garbage: under 64 MiB although 100 % of the file.
    assertFalse(policy.plan(List.of(file(1, 40, 0))).rewrites());
    // 80 MiB of garbage in 400 MiB: 20 %, under 25 %.
    assertFalse(policy.plan(List.of(file(1, 80, 0), file(2, 320, 320))).rewrites());
    assertFalse(policy.plan(List.of()).rewrites());
  }

  @Test
  void theLongestOldestPrefixThatIsAtLeastHalfGarbageIsChosen() {
    List<BlobFile> files = List.of(file(3, 100, 10), file(5, 100, 30), file(8, 100, 100), file(9, 100, 100),
        file(12, 100, 100));
    BlobReclaimPolicy.Plan p = policy.plan(files);
    // Prefix garbage shares: 90 %, 80 %, 53 %, 40 %, 32 %: three files.
    assertEquals(3, p.files());
    assertEquals(5, p.of());
    assertEquals(160 * MIB, p.garbageBytes());
    assertEquals(140 * MIB, p.liveBytes());
    assertTrue(p.liveBytes() <= p.garbageBytes(), "moves no more than it frees");
    assertEquals(3, (int) Math.floor(p.ageCutoff() * p.of()), "RocksDB's cutoff index selects exactly those files");
  }

  @Test
  void mostlyLiveOldestFilesAreLeftAlone() {
    BlobReclaimPolicy.Plan p = policy.plan(List.of(file(1, 100, 90), file(2, 100, 0), file(3, 100, 0)));
    // Enough garbage overall (200 of 300 MiB), and the whole run is 67 % garbage: all three.
    assertEquals(3, p.files());
    assertEquals(1.0, p.ageCutoff());
    BlobReclaimPolicy.Plan q = policy.plan(List.of(file(1, 100, 90), file(2, 100, 90), file(3, 100, 0)));
    // 120 of 300 MiB garbage (40 %), but the prefixes are 10 %, 10 % and 40 % garbage: none reaches 50 %.
    assertFalse(q.rewrites(), q.why());
  }

  @Test
  void ageCutoffLandsInTheMiddleOfItsStep() {
    for (int n = 1; n < 200; n++) {
      for (int k = 1; k <= n; k++) {
        double c = BlobReclaimPolicy.ageCutoff(k, n);
        assertEquals(Math.min(k, n), Math.min(n, (int) (c * n)), k + " of " + n);
      }
    }
    assertThrows(IllegalArgumentException.class, () -> new BlobReclaimPolicy(-1));
  }

  @Test
  void blobReferencesAreToldFromInlineValues() {
    // type 1, file 13, offset 300 (0xac 0x02), size 65,568 (0xa0 0x80 0x04), no compression
    byte[] ref = {1, 13, (byte) 0xac, 0x02, (byte) 0xa0, (byte) 0x80, 0x04, 0};
    assertArrayEquals(new long[] {13, 65_568}, BlobReclaimer.blobReference(ref));
    assertNull(BlobReclaimer.blobReference(new byte[48]), "a stored block value (IV || ciphertext)");
    assertNull(BlobReclaimer.blobReference(new byte[] {1, 13, (byte) 0xac}), "truncated");
    assertNull(BlobReclaimer.blobReference(new byte[] {2, 13, 1, 1, 0}), "TTL blobs are not ours");
  }
}
