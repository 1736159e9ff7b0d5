package dev.peerdist.chunkstore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.peerdist.chunkstore.TestSegments.Segment;
import dev.peerdist.chunkstore.content.BlockCipher;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Encryption at rest on its own: sealing, opening, the served shape, and what is refused. */
class BlockSealerTest {
  private final SplittableRandom random = new SplittableRandom(13);
  private final BlockSealer sealer = new BlockSealer(new SplittableRandom(5));

  @Test
  void sealedBlockOpensToTheSameBytesAndHasTheAccountedLength() {
    Segment s = TestSegments.v1(random, 2);
    byte[] value = sealer.seal(s.record(), s.block(1), 0, s.block(1).length);
    assertEquals(CapacityLedger.blockFootprint(s.block(1).length), value.length);
    assertArrayEquals(s.block(1), sealer.open(s.record(), 1, value));
    // The stored form is what PCCRR serves: IV || AES-256-CBC(Kp) (PROTOCOL.md §4.4, §4.5).
    byte[] iv = Arrays.copyOf(value, BlockCipher.IV_LENGTH);
    byte[] padded = BlockCipher.decrypt(BlockCipher.AES_256, s.record().segmentSecret(), iv, value,
        BlockCipher.IV_LENGTH, value.length - BlockCipher.IV_LENGTH);
    assertArrayEquals(s.block(1), Arrays.copyOf(padded, s.block(1).length));
  }

  @Test
  void everySealUsesAFreshIv() {
    Segment s = TestSegments.v1(random, 1);
    byte[] a = sealer.seal(s.record(), s.block(0), 0, s.block(0).length);
    byte[] b = sealer.seal(s.record(), s.block(0), 0, s.block(0).length);
    assertEquals(false, Arrays.equals(Arrays.copyOf(a, 16), Arrays.copyOf(b, 16)));
  }

  @Test
  void valuesThatDoNotVerifyOrHaveTheWrongShapeAreRefused() {
    Segment s = TestSegments.v1(random, 2);
    byte[] value = sealer.seal(s.record(), s.block(0), 0, s.block(0).length);
    assertNull(sealer.open(s.record(), 1, value), "block 0's bytes are not block 1");
    byte[] flipped = value.clone();
    flipped[flipped.length - 40] ^= 1;
    assertNull(sealer.open(s.record(), 0, flipped), "a flipped ciphertext bit");
    byte[] truncated = Arrays.copyOf(value, value.length - 16);
    assertNull(sealer.open(s.record(), 0, truncated));
    assertNull(sealer.servable(s.record(), 0, truncated), "a truncated value is never served");
    StoredBlock served = sealer.servable(s.record(), 0, value);
    assertNotNull(served);
    assertEquals(BlockCipher.AES_256, served.cryptoAlgoId());
    assertArrayEquals(Arrays.copyOf(value, 16), served.iv());
  }

  @Test
  void aVerifiedBlockInTheStoredFormIsKeptAsReceived() {
    Segment s = TestSegments.v1(random, 1);
    byte[] value = new BlockSealer(new SplittableRandom(9)).seal(s.record(), s.block(0), 0, s.block(0).length);
    byte[] iv = Arrays.copyOf(value, 16);
    byte[] ct = Arrays.copyOfRange(value, 16, value.length);
    VerifiedBlock received = s.record().openSealed(0, BlockCipher.AES_256, iv, ct);
    assertNotNull(received);
    byte[] kept = sealer.storedForm(received);
    assertArrayEquals(value, kept);
    VerifiedBlock plain = s.record().verify(0, s.block(0), 0, s.block(0).length);
    byte[] sealedNow = sealer.storedForm(plain);
    assertArrayEquals(s.block(0), sealer.open(s.record(), 0, sealedNow));
    assertSame(null, sealer.open(s.record(), 0, Arrays.copyOf(sealedNow, 10)));
  }
}
