package dev.peerdist.node.bridge;

import dev.peerdist.chunkstore.content.SegmentId;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The bridge's entries in the store's side table, as bytes (pure; versioned values, big-endian):
 *
 * <table>
 *   <caption>Keys and values</caption>
 *   <tr><th>key</th><th>value</th></tr>
 *   <tr><td>{@code 'c'} content key (32)</td><td>{@link ContentMap}: version 1 | content length (8) |
 *       V2 segment count (4) | V1 segment count (4) | per V1 segment: offset (8), length (4), id
 *       length (1), id</td></tr>
 *   <tr><td>{@code 'v'} V2 segment id</td><td>{@link V2Entry}: version 1 | content key (32) | offset (8) |
 *       length (4) | HoD (32) | Kp (32)</td></tr>
 *   <tr><td>{@code 'x'} content key (32) V2 segment id</td><td>empty: which V2 ids belong to a content, to
 *       remove them with it</td></tr>
 * </table>
 */
final class BridgeCodec {
  static final byte CONTENT = 'c';
  static final byte V2 = 'v';
  static final byte INDEX = 'x';
  static final int KEY_LENGTH = 32;
  private static final byte VERSION = 1;

  private BridgeCodec() {}

  /** One V1 segment of a content: where it lies. */
  record V1Part(SegmentId id, long offset, int length) {
    long end() {
      return offset + length;
    }
  }

  /** A bridged content: its length, its V1 segments in order and how many V2 segments map onto it. */
  record ContentMap(byte[] key, long length, int v2Count, List<V1Part> v1) {
    ContentMap {
      v1 = List.copyOf(v1);
    }
  }

  /** One V2 segment: the content it belongs to, its byte range there, its HoD and Kp. */
  record V2Entry(byte[] contentKey, long offset, int length, byte[] hashOfData, byte[] segmentSecret) {
    long end() {
      return offset + length;
    }
  }

  static byte[] contentKey(byte[] key) {
    return prefixed(CONTENT, key);
  }

  static byte[] v2Key(SegmentId id) {
    return prefixed(V2, id.toBytes());
  }

  static byte[] indexKey(byte[] contentKey, SegmentId id) {
    byte[] v = id.toBytes();
    byte[] k = new byte[1 + contentKey.length + v.length];
    k[0] = INDEX;
    System.arraycopy(contentKey, 0, k, 1, contentKey.length);
    System.arraycopy(v, 0, k, 1 + contentKey.length, v.length);
    return k;
  }

  static byte[] indexPrefix(byte[] contentKey) {
    return prefixed(INDEX, contentKey);
  }

  /** The V2 segment id at the end of an index key. */
  static SegmentId idOfIndexKey(byte[] key) {
    byte[] id = new byte[key.length - 1 - KEY_LENGTH];
    System.arraycopy(key, 1 + KEY_LENGTH, id, 0, id.length);
    return SegmentId.of(id);
  }

  private static byte[] prefixed(byte p, byte[] rest) {
    byte[] k = new byte[1 + rest.length];
    k[0] = p;
    System.arraycopy(rest, 0, k, 1, rest.length);
    return k;
  }

  static byte[] encode(ContentMap m) {
    int size = 1 + 8 + 4 + 4;
    for (V1Part p : m.v1()) {
      size += 8 + 4 + 1 + p.id().length();
    }
    ByteBuffer b = ByteBuffer.allocate(size);
    b.put(VERSION).putLong(m.length()).putInt(m.v2Count()).putInt(m.v1().size());
    for (V1Part p : m.v1()) {
      b.putLong(p.offset()).putInt(p.length()).put((byte) p.id().length()).put(p.id().toBytes());
    }
    return b.array();
  }

  /**
   * @throws IllegalArgumentException when the bytes are not a content map of this version
   */
  static ContentMap decodeContent(byte[] key, byte[] value) {
    try {
      ByteBuffer b = ByteBuffer.wrap(value);
      version(b);
      long length = b.getLong();
      int v2Count = b.getInt();
      int n = b.getInt();
      if (length < 0 || v2Count < 0 || n < 0 || n > value.length / 14) {
        throw new IllegalArgumentException("bad counts in a bridge content record");
      }
      List<V1Part> parts = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        long offset = b.getLong();
        int len = b.getInt();
        byte[] id = new byte[b.get() & 0xFF];
        b.get(id);
        parts.add(new V1Part(SegmentId.of(id), offset, len));
      }
      end(b);
      return new ContentMap(key, length, v2Count, parts);
    } catch (BufferUnderflowException e) {
      throw new IllegalArgumentException("truncated bridge content record", e);
    }
  }

  static byte[] encode(V2Entry e) {
    return ByteBuffer.allocate(1 + KEY_LENGTH + 8 + 4 + e.hashOfData().length + e.segmentSecret().length)
        .put(VERSION).put(e.contentKey()).putLong(e.offset()).putInt(e.length()).put(e.hashOfData())
        .put(e.segmentSecret()).array();
  }

  /**
   * @throws IllegalArgumentException when the bytes are not a V2 entry of this version
   */
  static V2Entry decodeV2(byte[] value) {
    try {
      ByteBuffer b = ByteBuffer.wrap(value);
      version(b);
      byte[] content = new byte[KEY_LENGTH];
      b.get(content);
      long offset = b.getLong();
      int length = b.getInt();
      byte[] hod = new byte[32];
      byte[] kp = new byte[32];
      b.get(hod).get(kp);
      end(b);
      if (offset < 0 || length <= 0) {
        throw new IllegalArgumentException("bad range in a bridge V2 entry");
      }
      return new V2Entry(content, offset, length, hod, kp);
    } catch (BufferUnderflowException e) {
      throw new IllegalArgumentException("truncated bridge V2 entry", e);
    }
  }

  private static void version(ByteBuffer b) {
    byte v = b.get();
    if (v != VERSION) {
      throw new IllegalArgumentException("bridge record version " + v + ", this peerdist reads " + VERSION);
    }
  }

  private static void end(ByteBuffer b) {
    if (b.hasRemaining()) {
      throw new IllegalArgumentException(b.remaining() + " bytes after a bridge record");
    }
  }
}
