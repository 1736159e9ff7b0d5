package dev.peerdist.node.pccrr;

import static dev.peerdist.node.pccrr.Vectors.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.content.BlockCipher;
import dev.peerdist.chunkstore.content.HashAlgorithm;
import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.node.pccrr.PccrrMessage.BlockList;
import dev.peerdist.node.pccrr.PccrrMessage.Blocks;
import dev.peerdist.node.pccrr.PccrrMessage.GetBlockList;
import dev.peerdist.node.pccrr.PccrrMessage.GetBlocks;
import dev.peerdist.node.pccrr.PccrrMessage.GetSegmentList;
import dev.peerdist.node.pccrr.PccrrMessage.NegoRequest;
import dev.peerdist.node.pccrr.PccrrMessage.NegoResponse;
import dev.peerdist.node.pccrr.PccrrMessage.SegmentList;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** TV-5a..TV-5i (TEST-VECTORS.md) decode to the expected values and encode back byte for byte. */
class PccrrCodecVectorsTest {
  /** TV-2a HoHoDk (REAL). */
  static final SegmentId TV2A = SegmentId.fromHex("491b217dbee2b5f12ca79b015e06f4bbe64f9745bad7867aef17de59927edce9");
  /** TV-2b segment 0 and 1 HoHoDk (REAL). */
  static final SegmentId TV2B_0 = SegmentId.fromHex("3371bbeaddb62353adcef970a06fdf65001e0421f4c7108276b0c37a9f9ec10f");
  static final SegmentId TV2B_1 = SegmentId.fromHex("d7e924425e8f4f88f01dc6a9bb1bc37be113ec7917c745d4965c2b55fa163a6e");
  /** TV-3a SYN1. */
  static final SegmentId SYN1 = SegmentId.fromHex("eef4ccd97167f65e443cb2cee74d40bc03ad3b4655824a3e39a47d1769786f92");
  static final byte[] SYN1_KP = hex("103fff36333d6aba22bfa0537c31b1b9f47f57d1f46096fdbcb80e9d869782ec");
  static final byte[] SYN1_HOD = hex("0ed719fdd718f0fc76f04b678a150f8423e8a0a6c3db2d30a264f2b822f57ba4");
  static final byte[] SYN1_BLOCK0_HASH = hex("bce0aff19cf5aa6a7469a30d61d04e4376e4bbf6381052ee9e7f33925c954d52");
  static final byte[] IV = hex("000102030405060708090a0b0c0d0e0f");
  static final byte[] REQUEST_ID = hex("00112233445566778899aabbccddeeff");

  static byte[] syn1Plain() {
    byte[] p = new byte[100];
    for (int i = 0; i < p.length; i++) {
      p[i] = (byte) i;
    }
    return p;
  }

  static SegmentRecord syn1Record() {
    return SegmentRecord.v1(HashAlgorithm.SHA_256, SYN1_HOD, SYN1_KP, 100, List.of(SYN1_BLOCK0_HASH));
  }

  static Stream<Arguments> vectors() {
    return Stream.of(
        Arguments.of("pccrr-4.4-TV-5a-nego-req.hex",
            new NegoRequest(1, ProtocolVersion.V1_0, ProtocolVersion.V2_0)),
        Arguments.of("pccrr-4.4-TV-5b-nego-resp.hex",
            new NegoResponse(1, ProtocolVersion.V1_0, ProtocolVersion.V2_0)),
        Arguments.of("pccrr-4.4-TV-5c-getblklist.hex",
            new GetBlockList(1, TV2A, List.of(new BlockRange(0, 2)))),
        Arguments.of("pccrr-4.4-TV-5d-blklist.hex",
            new BlockList(1, TV2A, List.of(new BlockRange(0, 2)), 0)),
        Arguments.of("pccrr-4.4-TV-5e-getblks-v1.hex", GetBlocks.of(1, TV2A, 1)),
        Arguments.of("pccrr-4.4-TV-5f-getblks-v2.hex", GetBlocks.of(1, TV2B_0, 0)),
        Arguments.of("pccrr-4.4-TV-5g-blk-aes256.hex", new Blocks(3, SYN1, 0, 0,
            Vectors.load("pccrr-4.4-TV-5g-ciphertext-aes256.hex"), new byte[0], IV)),
        Arguments.of("pccrr-4.4-TV-5g-blk-aes128.hex", new Blocks(1, SYN1, 0, 0,
            Vectors.load("pccrr-4.4-TV-5g-ciphertext-aes128.hex"), new byte[0], IV)),
        Arguments.of("pccrr-4.4-TV-5g-blk-plain.hex",
            new Blocks(0, SYN1, 0, 0, syn1Plain(), new byte[0], new byte[0])),
        Arguments.of("pccrr-4.4-TV-5g-blk-empty.hex", Blocks.notAvailable(1, SYN1, 0)),
        Arguments.of("pccrr-4.4-TV-5h-getseglist.hex",
            new GetSegmentList(1, REQUEST_ID, List.of(TV2B_0, TV2B_1), new byte[0])),
        Arguments.of("pccrr-4.4-TV-5i-seglist.hex", new SegmentList(1, REQUEST_ID,
            List.of(new SegmentRange(0, 2)), java.util.Base64.getDecoder().decode("AAEDAgBg6gACYOoA"))));
  }

  static PccrrMessage decode(PccrrMessage expectedShape, ByteBuf buf) {
    return expectedShape.type().isResponse() ? PccrrCodec.decodeResponse(buf) : PccrrCodec.decodeRequest(buf);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vectors")
  void decodesToTheExpectedMessage(String file, PccrrMessage expected) {
    byte[] wire = Vectors.load(file);
    ByteBuf buf = Unpooled.wrappedBuffer(wire);
    try {
      assertEquals(expected, decode(expected, buf));
      assertEquals(0, buf.readableBytes(), "the whole vector is one message");
    } finally {
      buf.release();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vectors")
  void encodesByteForByte(String file, PccrrMessage message) {
    assertArrayEquals(Vectors.load(file), PccrrCodec.encodeToArray(message));
    int prefix = message.type().isResponse() ? 4 : 0;
    assertEquals(Vectors.load(file).length - prefix, PccrrCodec.messageSize(message));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vectors")
  void everySplitNeedsMoreAndConsumesNothingUntilComplete(String file, PccrrMessage expected) {
    byte[] wire = Vectors.load(file);
    for (int k = 0; k < wire.length; k++) {
      ByteBuf prefix = Unpooled.wrappedBuffer(Arrays.copyOf(wire, k));
      try {
        assertNull(decode(expected, prefix), "prefix of " + k + " bytes");
        assertEquals(0, prefix.readerIndex(), "nothing consumed at " + k);
      } finally {
        prefix.release();
      }
      // Two pieces glued as a stream delivers them: the message decodes once both are present.
      ByteBuf composite = Unpooled.wrappedBuffer(
          Unpooled.wrappedBuffer(wire, 0, k), Unpooled.wrappedBuffer(wire, k, wire.length - k));
      try {
        assertEquals(expected, decode(expected, composite), "split at " + k);
      } finally {
        composite.release();
      }
    }
  }

  @Test
  void backToBackMessagesDecodeOneAtATime() {
    byte[] a = Vectors.load("pccrr-4.4-TV-5e-getblks-v1.hex");
    byte[] b = Vectors.load("pccrr-4.4-TV-5a-nego-req.hex");
    ByteBuf buf = Unpooled.wrappedBuffer(a, b);
    try {
      assertEquals(GetBlocks.of(1, TV2A, 1), PccrrCodec.decodeRequest(buf));
      assertEquals(a.length, buf.readerIndex());
      assertEquals(new NegoRequest(1, ProtocolVersion.V1_0, ProtocolVersion.V2_0), PccrrCodec.decodeRequest(buf));
      assertEquals(0, buf.readableBytes());
    } finally {
      buf.release();
    }
  }

  @Test
  void tv5gDecryptsUnderBothLabels() {
    SegmentRecord record = syn1Record();
    assertEquals(SYN1, record.id(), "TV-3a HoHoDk");
    for (String file : List.of("pccrr-4.4-TV-5g-blk-aes256.hex", "pccrr-4.4-TV-5g-blk-aes128.hex")) {
      ByteBuf buf = Unpooled.wrappedBuffer(Vectors.load(file));
      try {
        Blocks blk = (Blocks) PccrrCodec.decodeResponse(buf);
        // Raw CBC/NoPadding: 100 plaintext bytes followed by twelve 0x0c (PKCS#7), as TV-5g says.
        byte[] raw = BlockCipher.decrypt(blk.cryptoAlgoId(), SYN1_KP, blk.iv(), blk.block(), 0, blk.block().length);
        assertEquals(112, raw.length);
        assertArrayEquals(syn1Plain(), Arrays.copyOf(raw, 100));
        for (int i = 100; i < 112; i++) {
          assertEquals(0x0c, raw[i]);
        }
        BlockOpener.Opened opened = BlockOpener.open(blk.cryptoAlgoId(), blk.iv(), blk.block(), record, 0);
        assertTrue(opened.ok(), file);
        assertArrayEquals(syn1Plain(), opened.plaintext());
        assertEquals(blk.cryptoAlgoId(), opened.keyLabel());
      } finally {
        buf.release();
      }
    }
  }

  @Test
  void aes128LabelledBlockEncryptedWithFullKpOpensThroughTheFallback() {
    // PROTOCOL.md §4.5: the WPTS hypothesis — label 1 but AES-256 under the whole Kp.
    byte[] aes256 = Vectors.load("pccrr-4.4-TV-5g-ciphertext-aes256.hex");
    BlockOpener.Opened opened = BlockOpener.open(BlockCipher.AES_128, IV, aes256, syn1Record(), 0);
    assertTrue(opened.ok());
    assertEquals(BlockCipher.AES_256, opened.keyLabel());
    assertArrayEquals(syn1Plain(), opened.plaintext());
  }

  @Test
  void plaintextAndTamperedBlocks() {
    SegmentRecord record = syn1Record();
    assertArrayEquals(syn1Plain(), BlockOpener.open(0, new byte[0], syn1Plain(), record, 0).plaintext());
    byte[] tampered = Vectors.load("pccrr-4.4-TV-5g-ciphertext-aes256.hex");
    tampered[5] ^= 1;
    assertEquals(BlockOpener.Failure.HASH_MISMATCH, BlockOpener.open(3, IV, tampered, record, 0).failure());
    assertEquals(BlockOpener.Failure.HASH_MISMATCH, BlockOpener.open(1, IV, tampered, record, 0).failure());
    assertEquals(BlockOpener.Failure.BAD_LENGTH,
        BlockOpener.open(3, IV, Arrays.copyOf(tampered, 100), record, 0).failure());
    assertEquals(BlockOpener.Failure.BAD_LENGTH, BlockOpener.open(3, IV, new byte[96], record, 0).failure());
    assertEquals(BlockOpener.Failure.BAD_LENGTH, BlockOpener.open(3, new byte[8], tampered, record, 0).failure());
    assertEquals(BlockOpener.Failure.UNKNOWN_ALGORITHM, BlockOpener.open(7, IV, tampered, record, 0).failure());
    assertFalse(BlockOpener.open(0, new byte[0], new byte[99], record, 0).ok());
  }

  @Test
  void blockPayloadIsWrappedNotCopied() {
    byte[] block = new byte[64];
    Blocks blk = new Blocks(3, SYN1, 0, 0, block, new byte[0], IV);
    ByteBuf buf = PccrrCodec.encode(blk, io.netty.buffer.UnpooledByteBufAllocator.DEFAULT);
    try {
      block[0] = 42; // visible through the encoded buffer when the array is shared
      int at = 4 + 16 + 4 + 32 + 12;
      assertEquals(42, buf.getByte(at));
    } finally {
      buf.release();
    }
  }
}
