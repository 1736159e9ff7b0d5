package dev.peerdist.chunkstore.content;

import dev.peerdist.chunkstore.content.ContentInformationFormatException.Reason;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Encodes and decodes MS-PCCRC Content Information, V1 (little-endian, PROTOCOL.md §2.3) and V2
 * (big-endian, §2.4), byte for byte.
 *
 * <p><b>Decoding contract.</b> {@link #decode(ByteBuffer)} takes the whole structure: the bytes
 * from the buffer's position to its limit (an HTTP body is framed by its Content-Length, so there
 * is no "need more" outcome: a short structure is an error). On success the position moves to the
 * limit; on failure it does not move and a {@link ContentInformationFormatException} names the
 * field and its offset from the start of the structure. Nothing else escapes: every count is
 * checked against the bytes that remain before anything is allocated, so hostile input can cost
 * neither an index exception nor more memory than its own size.
 *
 * <p><b>Limits.</b>
 * <table>
 *   <caption>Decoder limits</caption>
 *   <tr><th>Limit</th><th>Default</th><th>Why</th></tr>
 *   <tr><td>{@code maxEncodedBytes}</td><td>{@value #DEFAULT_MAX_ENCODED_BYTES} (64 MiB)</td>
 *       <td>Covers V1 for ~125 GiB of content and V2 for ~100 GiB; larger structures are
 *       refused before parsing.</td></tr>
 * </table>
 *
 * <p>Decoding does not check that V1 block hashes hash to HoD (a range response may list only some
 * of them); {@link SegmentDescription#blockHashesMatchHashOfData()} and the store do that.
 * Stateless and thread-safe.
 */
public final class ContentInformationCodec {
  /** Default largest structure accepted by {@link #decode}. */
  public static final int DEFAULT_MAX_ENCODED_BYTES = 64 * 1024 * 1024;

  /** V1 header: Version, dwHashAlgo, dwOffsetInFirstSegment, dwReadBytesInLastSegment, cSegments. */
  static final int V1_HEADER = 18;
  /** V2 header: minor, major, bHashAlgo, ullStartInContent, ullIndexOfFirstSegment, dw..., ull... */
  static final int V2_HEADER = 31;
  /** V2 SegmentDescription: cbSegment (4) + HoD (32) + Kp (32), PROTOCOL.md §2.4. */
  static final int V2_SEGMENT_DESCRIPTION = 68;
  private static final int V1_VERSION = 0x0100;
  private static final int V2_VERSION = 0x0200;

  private static final ContentInformationCodec STANDARD = new ContentInformationCodec(DEFAULT_MAX_ENCODED_BYTES);

  private final int maxEncodedBytes;

  /**
   * A codec that refuses structures longer than {@code maxEncodedBytes}.
   *
   * @throws IllegalArgumentException when the limit is below the smallest valid structure
   */
  public ContentInformationCodec(int maxEncodedBytes) {
    if (maxEncodedBytes < V1_HEADER + 16 + 64 + 4) {
      throw new IllegalArgumentException("maxEncodedBytes " + maxEncodedBytes + " is below the smallest structure");
    }
    this.maxEncodedBytes = maxEncodedBytes;
  }

  /** The codec with the default limits. */
  public static ContentInformationCodec standard() {
    return STANDARD;
  }

  public int maxEncodedBytes() {
    return maxEncodedBytes;
  }

  /** Decodes a whole structure held in {@code bytes}. */
  public ContentInformation decode(byte[] bytes) {
    return decode(ByteBuffer.wrap(bytes));
  }

  /**
   * Decodes the structure from the buffer's position to its limit, dispatching on the first two
   * bytes read as a little-endian WORD: 0x0100 = V1, 0x0200 = V2 (PROTOCOL.md §2.4 header note).
   *
   * @throws ContentInformationFormatException naming the field and offset of the first defect
   */
  public ContentInformation decode(ByteBuffer buffer) {
    int length = buffer.remaining();
    if (length > maxEncodedBytes) {
      throw new ContentInformationFormatException(Reason.TOO_LARGE, "structure", 0,
          length + " bytes exceed the limit of " + maxEncodedBytes);
    }
    Reader r = new Reader(buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN));
    r.need(2, "Version");
    int version = (r.buf.get(r.base) & 0xFF) | (r.buf.get(r.base + 1) & 0xFF) << 8;
    ContentInformation info;
    if (version == V1_VERSION) {
      info = decodeV1(r);
    } else if (version == V2_VERSION) {
      r.buf.order(ByteOrder.BIG_ENDIAN);
      info = decodeV2(r);
    } else {
      throw new ContentInformationFormatException(Reason.UNKNOWN_VERSION, "Version", 0,
          String.format("0x%04X is neither 0x0100 (V1) nor 0x0200 (V2)", version));
    }
    buffer.position(buffer.limit());
    return info;
  }

  private static ContentInformation decodeV1(Reader r) {
    r.skip(2);
    int algoOffset = r.offset();
    long dwHashAlgo = r.u32("dwHashAlgo");
    HashAlgorithm algorithm;
    try {
      algorithm = HashAlgorithm.fromV1Id((int) dwHashAlgo);
    } catch (IllegalArgumentException e) {
      throw new ContentInformationFormatException(Reason.UNKNOWN_HASH_ALGORITHM, "dwHashAlgo", algoOffset,
          String.format("0x%08X is not 0x800C (SHA-256), 0x800D (SHA-384) or 0x800E (SHA-512)", dwHashAlgo));
    }
    int n = algorithm.length();
    long offsetInFirst = r.u32("dwOffsetInFirstSegment");
    long readBytesInLast = r.u32("dwReadBytesInLastSegment");
    int countOffset = r.offset();
    long cSegments = r.u32("cSegments");
    // Each segment needs its description and at least its cBlocks field (PROTOCOL.md §2.3).
    long perSegment = 16L + 2L * n + 4L;
    if (cSegments == 0) {
      throw new ContentInformationFormatException(Reason.INVALID_VALUE, "cSegments", countOffset,
          "0 segments (a structure lists at least one)");
    }
    if (cSegments > r.remaining() / perSegment) {
      throw new TruncatedContentInformationException("cSegments", countOffset, cSegments
          + " segments need at least " + cSegments * perSegment + " bytes, only " + r.remaining() + " remain");
    }
    int count = (int) cSegments;
    long[] offsets = new long[count];
    int[] lengths = new int[count];
    byte[][] hods = new byte[count][];
    byte[][] kps = new byte[count][];
    for (int i = 0; i < count; i++) {
      String p = "segment[" + i + "].";
      int fieldOffset = r.offset();
      long offset = r.u64(p + "ullOffsetInContent");
      int lengthOffset = r.offset();
      long cbSegment = r.u32(p + "cbSegment");
      if (cbSegment == 0 || cbSegment > SegmentDescription.V1_SEGMENT_SIZE) {
        throw new ContentInformationFormatException(Reason.INVALID_VALUE, p + "cbSegment", lengthOffset,
            cbSegment + " is outside 1.." + SegmentDescription.V1_SEGMENT_SIZE);
      }
      int blockSizeOffset = r.offset();
      long cbBlockSize = r.u32(p + "cbBlockSize");
      if (cbBlockSize != SegmentDescription.V1_BLOCK_SIZE) {
        throw new ContentInformationFormatException(Reason.INVALID_VALUE, p + "cbBlockSize", blockSizeOffset,
            cbBlockSize + " is not 65536 ([MS-PCCRC] 2.3.1.1)");
      }
      if (i == 0 && offset % SegmentDescription.V1_SEGMENT_SIZE != 0) {
        throw new ContentInformationFormatException(Reason.INVALID_VALUE, p + "ullOffsetInContent",
            fieldOffset, offset + " is not on the 32 MiB segment grid");
      }
      if (i > 0) {
        if (lengths[i - 1] != SegmentDescription.V1_SEGMENT_SIZE) {
          throw new ContentInformationFormatException(Reason.INVALID_VALUE, p + "ullOffsetInContent",
              fieldOffset, "segment " + (i - 1) + " is " + lengths[i - 1]
                  + " bytes; only the last segment may be shorter than 32 MiB");
        }
        if (offset != offsets[i - 1] + lengths[i - 1]) {
          throw new ContentInformationFormatException(Reason.INVALID_VALUE, p + "ullOffsetInContent",
              fieldOffset, offset + " does not follow segment " + (i - 1) + " (expected "
                  + (offsets[i - 1] + lengths[i - 1]) + ")");
        }
      }
      if (offset > Long.MAX_VALUE - cbSegment) {
        throw new ContentInformationFormatException(Reason.OVERFLOW, p + "ullOffsetInContent", fieldOffset,
            "offset + cbSegment overflows");
      }
      offsets[i] = offset;
      lengths[i] = (int) cbSegment;
      hods[i] = r.bytes(n, p + "SegmentHashOfData");
      kps[i] = r.bytes(n, p + "SegmentSecret");
    }
    List<SegmentDescription> segments = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      String p = "segment[" + i + "].";
      int blocksOffset = r.offset();
      long cBlocks = r.u32(p + "cBlocks");
      int maxBlocks = SegmentDescription.blockCountOf(lengths[i]);
      if (cBlocks > maxBlocks) {
        throw new ContentInformationFormatException(Reason.INVALID_VALUE, p + "cBlocks", blocksOffset,
            cBlocks + " exceeds the " + maxBlocks + " blocks of a " + lengths[i] + "-byte segment");
      }
      if (cBlocks * n > r.remaining()) {
        throw new TruncatedContentInformationException(p + "cBlocks", blocksOffset, cBlocks
            + " block hashes need " + cBlocks * n + " bytes, only " + r.remaining() + " remain");
      }
      List<byte[]> hashes = new ArrayList<>((int) cBlocks);
      for (int b = 0; b < cBlocks; b++) {
        hashes.add(r.bytes(n, p + "BlockHashes[" + b + "]"));
      }
      segments.add(SegmentDescription.trusted(algorithm, offsets[i], lengths[i], hods[i], kps[i], hashes));
    }
    if (r.remaining() > 0) {
      throw new ContentInformationFormatException(Reason.TRAILING_BYTES, "end", r.offset(),
          r.remaining() + " bytes follow the last block-hash list");
    }
    // Range fields (PROTOCOL.md §2.3): the start lies in the first segment, the end in the last.
    if (offsetInFirst >= lengths[0]) {
      throw new ContentInformationFormatException(Reason.INVALID_VALUE, "dwOffsetInFirstSegment", 6,
          offsetInFirst + " is not inside the first segment (" + lengths[0] + " bytes)");
    }
    long maxRead = count == 1 ? lengths[0] - offsetInFirst : lengths[count - 1];
    if (readBytesInLast > maxRead) {
      throw new ContentInformationFormatException(Reason.INVALID_VALUE, "dwReadBytesInLastSegment", 10,
          readBytesInLast + " runs past the end of the last segment (at most " + maxRead + ")");
    }
    return ContentInformation.trusted(algorithm, offsetInFirst, readBytesInLast, 0, 0, segments, List.of());
  }

  private static ContentInformation decodeV2(Reader r) {
    r.skip(2);
    int algo = r.u8("bHashAlgo");
    if (algo != HashAlgorithm.TRUNCATED_SHA_512.wireId()) {
      throw new ContentInformationFormatException(Reason.UNKNOWN_HASH_ALGORITHM, "bHashAlgo", 2,
          String.format("0x%02X is not 0x04 (truncated SHA-512)", algo));
    }
    long startInContent = r.u64("ullStartInContent");
    long indexOfFirst = r.u64("ullIndexOfFirstSegment");
    long offsetInFirst = r.u32("dwOffsetInFirstSegment");
    long lengthOfRange = r.u64("ullLengthOfRange");
    if (indexOfFirst > startInContent || startInContent / SegmentDescription.V2_MAX_SEGMENT_SIZE > indexOfFirst) {
      throw new ContentInformationFormatException(Reason.INVALID_VALUE, "ullIndexOfFirstSegment", 11,
          indexOfFirst + " is impossible for ullStartInContent " + startInContent
              + " (earlier segments hold 1..131072 bytes each)");
    }
    if (r.remaining() == 0) {
      throw new TruncatedContentInformationException("ChunkDescription", r.offset(),
          "no chunk follows the header (at least one is required)");
    }
    List<SegmentDescription> segments = new ArrayList<>();
    List<Integer> chunkCounts = new ArrayList<>();
    HashAlgorithm algorithm = HashAlgorithm.TRUNCATED_SHA_512;
    long position = startInContent;
    int chunk = 0;
    while (r.remaining() > 0) {
      String c = "chunk[" + chunk + "].";
      int typeOffset = r.offset();
      int type = r.u8(c + "bChunkType");
      if (type != 0) {
        throw new ContentInformationFormatException(Reason.INVALID_VALUE, c + "bChunkType", typeOffset,
            String.format("0x%02X is not 0x00", type));
      }
      int lengthOffset = r.offset();
      long dataLength = r.u32(c + "dwChunkDataLength");
      if (dataLength == 0 || dataLength % V2_SEGMENT_DESCRIPTION != 0) {
        throw new ContentInformationFormatException(Reason.INVALID_VALUE, c + "dwChunkDataLength", lengthOffset,
            dataLength + " is not a positive multiple of " + V2_SEGMENT_DESCRIPTION);
      }
      if (dataLength > r.remaining()) {
        throw new TruncatedContentInformationException(c + "dwChunkDataLength", lengthOffset,
            dataLength + " bytes announced, only " + r.remaining() + " remain");
      }
      int k = (int) (dataLength / V2_SEGMENT_DESCRIPTION);
      for (int j = 0; j < k; j++) {
        String p = "segment[" + segments.size() + "].";
        int cbOffset = r.offset();
        long cbSegment = r.u32(p + "cbSegment");
        if (cbSegment == 0 || cbSegment > SegmentDescription.V2_MAX_SEGMENT_SIZE) {
          throw new ContentInformationFormatException(Reason.INVALID_VALUE, p + "cbSegment", cbOffset,
              cbSegment + " is outside 1.." + SegmentDescription.V2_MAX_SEGMENT_SIZE);
        }
        if (position > Long.MAX_VALUE - cbSegment) {
          throw new ContentInformationFormatException(Reason.OVERFLOW, p + "cbSegment", cbOffset,
              "segment end overflows 63 bits");
        }
        byte[] hod = r.bytes(32, p + "SegmentHashOfData");
        byte[] kp = r.bytes(32, p + "SegmentSecret");
        segments.add(SegmentDescription.trusted(algorithm, position, (int) cbSegment, hod, kp, List.of()));
        position += cbSegment;
      }
      chunkCounts.add(k);
      chunk++;
    }
    if (offsetInFirst >= segments.get(0).segmentLength()) {
      throw new ContentInformationFormatException(Reason.INVALID_VALUE, "dwOffsetInFirstSegment", 19,
          offsetInFirst + " is not inside the first segment (" + segments.get(0).segmentLength() + " bytes)");
    }
    long rangeStart = startInContent + offsetInFirst;
    if (lengthOfRange > position - rangeStart) {
      throw new ContentInformationFormatException(Reason.INVALID_VALUE, "ullLengthOfRange", 23,
          lengthOfRange + " runs past the end of the listed segments (at most " + (position - rangeStart) + ")");
    }
    return ContentInformation.trusted(algorithm, offsetInFirst, 0, indexOfFirst, lengthOfRange, segments,
        chunkCounts);
  }

  /** Encodes a structure as a new array. */
  public byte[] encode(ContentInformation info) {
    ByteBuffer out = ByteBuffer.allocate(checkedSize(info));
    encode(info, out);
    return out.array();
  }

  /** Exact length of the encoding of {@code info}. */
  public static long encodedLength(ContentInformation info) {
    int n = info.hashAlgorithm().length();
    if (info.version() == ContentVersion.V1) {
      long size = V1_HEADER;
      for (SegmentDescription s : info.segments()) {
        size += 16L + 2L * n + 4L + (long) s.listedBlockHashCount() * n;
      }
      return size;
    }
    return V2_HEADER + 5L * info.chunkSegmentCounts().size() + (long) V2_SEGMENT_DESCRIPTION * info.segmentCount();
  }

  private static int checkedSize(ContentInformation info) {
    long size = encodedLength(info);
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("content information of " + size + " bytes is too large to encode");
    }
    return (int) size;
  }

  /**
   * Writes the encoding of {@code info} at {@code out}'s position (the buffer's byte order is
   * restored afterwards).
   *
   * @throws java.nio.BufferOverflowException when {@code out} has less room than {@link #encodedLength}
   */
  public void encode(ContentInformation info, ByteBuffer out) {
    ByteOrder saved = out.order();
    try {
      if (info.version() == ContentVersion.V1) {
        encodeV1(info, out.order(ByteOrder.LITTLE_ENDIAN));
      } else {
        encodeV2(info, out.order(ByteOrder.BIG_ENDIAN));
      }
    } finally {
      out.order(saved);
    }
  }

  private static void encodeV1(ContentInformation info, ByteBuffer out) {
    // PROTOCOL.md §2.3: all SegmentDescriptions first, then all SegmentContentBlocks.
    out.putShort((short) V1_VERSION);
    out.putInt(info.hashAlgorithm().wireId());
    out.putInt((int) info.offsetInFirstSegment());
    out.putInt((int) info.readBytesInLastSegment());
    out.putInt(info.segmentCount());
    for (SegmentDescription s : info.segments()) {
      out.putLong(s.offsetInContent());
      out.putInt(s.segmentLength());
      out.putInt(SegmentDescription.V1_BLOCK_SIZE);
      out.put(s.rawHashOfData());
      out.put(s.rawSegmentSecret());
    }
    for (SegmentDescription s : info.segments()) {
      List<byte[]> hashes = s.rawBlockHashes();
      out.putInt(hashes.size());
      for (byte[] h : hashes) {
        out.put(h);
      }
    }
  }

  private static void encodeV2(ContentInformation info, ByteBuffer out) {
    // PROTOCOL.md §2.4: big-endian, but the version bytes still read 00 02.
    out.put((byte) 0x00);
    out.put((byte) 0x02);
    out.put((byte) info.hashAlgorithm().wireId());
    out.putLong(info.startInContent());
    out.putLong(info.indexOfFirstSegment());
    out.putInt((int) info.offsetInFirstSegment());
    out.putLong(info.lengthOfRange());
    int next = 0;
    for (int count : info.chunkSegmentCounts()) {
      out.put((byte) 0x00);
      out.putInt(count * V2_SEGMENT_DESCRIPTION);
      for (int j = 0; j < count; j++) {
        SegmentDescription s = info.segment(next++);
        out.putInt(s.segmentLength());
        out.put(s.rawHashOfData());
        out.put(s.rawSegmentSecret());
      }
    }
  }

  /** Bounds-checked reading relative to the start of the structure. */
  private static final class Reader {
    final ByteBuffer buf;
    final int base;
    final int end;
    int pos;

    Reader(ByteBuffer buf) {
      this.buf = buf;
      this.base = buf.position();
      this.end = buf.limit();
      this.pos = base;
    }

    int offset() {
      return pos - base;
    }

    int remaining() {
      return end - pos;
    }

    void need(int n, String field) {
      if (n > end - pos) {
        throw new TruncatedContentInformationException(field, offset(),
            "needs " + n + " bytes, only " + (end - pos) + " remain");
      }
    }

    void skip(int n) {
      need(n, "header");
      pos += n;
    }

    int u8(String field) {
      need(1, field);
      return buf.get(pos++) & 0xFF;
    }

    long u32(String field) {
      need(4, field);
      long v = buf.getInt(pos) & 0xFFFFFFFFL;
      pos += 4;
      return v;
    }

    /** An unsigned 64-bit field; values of 2^63 and above are refused as overflow. */
    long u64(String field) {
      need(8, field);
      long v = buf.getLong(pos);
      if (v < 0) {
        throw new ContentInformationFormatException(Reason.OVERFLOW, field, offset(),
            Long.toUnsignedString(v) + " does not fit in 63 bits");
      }
      pos += 8;
      return v;
    }

    byte[] bytes(int n, String field) {
      need(n, field);
      byte[] out = new byte[n];
      buf.get(pos, out);
      pos += n;
      return out;
    }
  }
}
