package dev.peerdist.node.interop;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Test support: the few PCCRR messages the foreign-client models send and read, laid out by hand
 * from PROTOCOL.md §4.3–§4.5 (deliberately not with the node's own codec, so that a shared
 * mistake cannot hide). All integers are big-endian; variable fields are padded to 4 bytes.
 */
public final class PccrrWire {
  public static final int MSG_GETBLKLIST = 2;
  public static final int MSG_GETBLKS = 3;
  public static final int MSG_BLKLIST = 4;
  public static final int MSG_BLK = 5;
  public static final int AES_128 = 1;

  private PccrrWire() {}

  private static int pad(int n) {
    return (4 - n % 4) % 4;
  }

  private static ByteBuffer header(int size, int type, int crypto) {
    ByteBuffer b = ByteBuffer.allocate(size);
    b.putShort((short) 0).putShort((short) 1); // ProtVer 1.0: minor, major (§4.3)
    b.putInt(type).putInt(size).putInt(crypto);
    return b;
  }

  /** MSG_GETBLKS for one block (iPXE: 68 bytes with a 32-byte id, §4.4). */
  public static byte[] getBlocks(byte[] segmentId, int block, int crypto) {
    int size = 16 + 4 + segmentId.length + pad(segmentId.length) + 4 + 8 + 4;
    ByteBuffer b = header(size, MSG_GETBLKS, crypto);
    b.putInt(segmentId.length).put(segmentId).put(new byte[pad(segmentId.length)]);
    b.putInt(1).putInt(block).putInt(1);
    b.putInt(0); // SizeOfDataForVrfBlock
    return b.array();
  }

  /** MSG_GETBLKLIST for {@code ranges} ({index, count} pairs). */
  public static byte[] getBlockList(byte[] segmentId, List<int[]> ranges, int crypto) {
    int size = 16 + 4 + segmentId.length + pad(segmentId.length) + 4 + 8 * ranges.size();
    ByteBuffer b = header(size, MSG_GETBLKLIST, crypto);
    b.putInt(segmentId.length).put(segmentId).put(new byte[pad(segmentId.length)]);
    b.putInt(ranges.size());
    for (int[] r : ranges) {
      b.putInt(r[0]).putInt(r[1]);
    }
    return b.array();
  }

  /** A decoded MSG_BLK. {@code block} is empty when the peer does not have it (SizeOfBlock 0). */
  public record Block(int crypto, byte[] segmentId, int index, int next, byte[] block, byte[] iv) {}

  /** A decoded MSG_BLKLIST: held ranges ({index, count}). */
  public record BlockList(byte[] segmentId, List<int[]> ranges, int next) {}

  private static ByteBuffer message(byte[] body, int type) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(body);
    if (body.length < 20 || b.getInt(0) != body.length - 4) {
      throw new IOException("transport header says " + (body.length >= 4 ? b.getInt(0) : -1) + " for "
          + body.length + " bytes");
    }
    b.position(4);
    b.getInt(); // ProtVer
    int t = b.getInt();
    if (t != type) {
      throw new IOException("message type " + t + ", expected " + type);
    }
    b.getInt(); // MsgSize
    b.getInt(); // CryptoAlgoId (read by position where needed)
    return b;
  }

  private static byte[] field(ByteBuffer b, int max) throws IOException {
    int n = b.getInt();
    if (n < 0 || n > max || n > b.remaining()) {
      throw new IOException("field of " + n + " bytes");
    }
    byte[] v = new byte[n];
    b.get(v);
    b.position(b.position() + Math.min(pad(n), b.remaining()));
    return v;
  }

  /** Reads a MSG_BLK response body (transport header included). */
  public static Block readBlock(byte[] body) throws IOException {
    ByteBuffer b = message(body, MSG_BLK);
    int crypto = b.getInt(16); // after the transport header and three header fields
    byte[] id = field(b, 64);
    int index = b.getInt();
    int next = b.getInt();
    byte[] block = field(b, 200_000);
    if (block.length == 0) {
      return new Block(crypto, id, index, next, block, new byte[0]);
    }
    field(b, 1024); // VrfBlock
    byte[] iv = field(b, 64);
    return new Block(crypto, id, index, next, block, iv);
  }

  /** Reads a MSG_BLKLIST response body. */
  public static BlockList readBlockList(byte[] body) throws IOException {
    ByteBuffer b = message(body, MSG_BLKLIST);
    byte[] id = field(b, 64);
    int count = b.getInt();
    if (count < 0 || count > 512) {
      throw new IOException("BlockRangeCount " + count);
    }
    List<int[]> ranges = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      ranges.add(new int[] {b.getInt(), b.getInt()});
    }
    return new BlockList(id, ranges, b.getInt());
  }

  /**
   * The plaintext of a block per the client rule of PROTOCOL.md §4.5: key length from the
   * response's label, key = Kp[0..n), AES-CBC without unpadding, the first {@code length} bytes.
   */
  public static byte[] decrypt(Block blk, byte[] kp, int length, boolean fullKeyFallback) throws IOException {
    int keyLength = switch (blk.crypto()) {
      case 1 -> 16;
      case 2 -> 24;
      case 3 -> 32;
      case 0 -> 0;
      default -> throw new IOException("CryptoAlgoId " + blk.crypto());
    };
    if (fullKeyFallback) {
      keyLength = 32;
    }
    if (keyLength == 0) {
      return Arrays.copyOf(blk.block(), length);
    }
    if (blk.block().length % 16 != 0 || blk.block().length < length) {
      throw new IOException("ciphertext of " + blk.block().length + " bytes for a " + length + "-byte block");
    }
    try {
      Cipher c = Cipher.getInstance("AES/CBC/NoPadding");
      c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(kp, 0, keyLength, "AES"), new IvParameterSpec(blk.iv()));
      return Arrays.copyOf(c.doFinal(blk.block()), length);
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot decrypt: " + e.getMessage(), e);
    }
  }
}
