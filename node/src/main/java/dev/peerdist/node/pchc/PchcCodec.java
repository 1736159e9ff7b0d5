package dev.peerdist.node.pchc;

import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.content.HashAlgorithm;
import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.node.pchc.PchcDecodeException.MessageLengthException;
import dev.peerdist.node.pchc.PchcDecodeException.UnknownMessageTypeException;
import dev.peerdist.node.pchc.PchcDecodeException.UnsupportedVersionException;
import dev.peerdist.node.pchc.PchcMessage.BatchedOffer;
import dev.peerdist.node.pchc.PchcMessage.InitialOffer;
import dev.peerdist.node.pchc.PchcMessage.SegmentDescriptor;
import dev.peerdist.node.pchc.PchcMessage.SegmentInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Encodes and decodes MS-PCHC messages (PROTOCOL.md §6). Pure: bytes in, values out.
 *
 * <p>Byte order (§6.2, §9 item 3): the MESSAGE_HEADER, CONNECTION_INFORMATION, the segment
 * descriptors of a batch and the response are big-endian, as Microsoft's test suite writes them;
 * the V1 content information embedded in a SEGMENT_INFO_MESSAGE keeps its own little-endian layout
 * (§2.3).
 *
 * <p>Requests carry no length of their own: a request is exactly one HTTP body. So {@link
 * #decodeRequest} has two outcomes, <b>decoded</b> (the whole body was one valid message; the
 * buffer's position moves to its limit) and <b>invalid</b> (a {@link PchcDecodeException} naming
 * the field and offset; the position is left where it was). A truncated body is invalid, never
 * "need more": the HTTP layer has already seen all of it. The response is length-prefixed, so
 * {@link #decodeResponse} has the usual three outcomes: decoded (position moves past it), need
 * more ({@code null}, nothing consumed, only while the bytes seen are a valid prefix) and invalid.
 *
 * <table>
 *   <caption>Limits</caption>
 *   <tr><th>limit</th><th>value</th><th>why</th></tr>
 *   <tr><td>request body</td><td>16..{@value #MAX_REQUEST_SIZE} bytes</td><td>the largest
 *       SEGMENT_INFO (SHA-512, 512 block hashes)</td></tr>
 *   <tr><td>INITIAL_OFFER Hash</td><td>32, 48 or 64 bytes</td><td>a HoHoDk of SHA-256/384/512</td></tr>
 *   <tr><td>SEGMENT_INFO</td><td>cSegments 1, cbBlockSize 64 KiB, cBlocks 1..ceil(cbSegment /
 *       64 KiB)</td><td>§6.3, §2.3</td></tr>
 *   <tr><td>BATCHED_OFFER</td><td>1..{@value #MAX_BATCH} descriptors, SizeOfContentTag 16,
 *       sizes 1..32 MiB</td><td>§6.3</td></tr>
 *   <tr><td>response</td><td>Size = 1, ResponseCode 0 or 1</td><td>§6.3</td></tr>
 * </table>
 */
public final class PchcCodec {
  /** The v1.0 URL path (HTTPS only; PROTOCOL.md §6.1, with the trailing slash WPTS sends). */
  public static final String V1_PATH = "/C574AC30-5794-4AEE-B1BB-6651C5315029/";
  /** The v2.0 URL path (plain HTTP only). */
  public static final String V2_PATH = "/0131501b-d67f-491b-9a40-c4bf27bcb4d4/";
  /** MESSAGE_HEADER plus CONNECTION_INFORMATION. */
  public static final int HEADERS_LENGTH = 16;
  /** Most segment descriptors in one BATCHED_OFFER_MESSAGE. */
  public static final int MAX_BATCH = 128;
  /** Length of SegmentHoHoDk in a batch descriptor. */
  public static final int BATCH_HOHODK_LENGTH = 32;
  /** Largest BlockSize or SegmentSize accepted in a batch: one V1 segment. */
  public static final long MAX_SIZE = SegmentRecord.V1_SEGMENT_SIZE;
  /** One batch descriptor: BlockSize, SegmentSize, SizeOfContentTag, ContentTag, HashAlgorithm, HoHoDk. */
  public static final int DESCRIPTOR_LENGTH = 4 + 4 + 2 + ContentTag.LENGTH + 1 + BATCH_HOHODK_LENGTH;
  /** The V1 structure's fixed head before the SegmentDescription (§2.3). */
  private static final int CI_HEAD = 2 + 4 + 4 + 4 + 4;
  /** Largest request: a SEGMENT_INFO with SHA-512 hashes and 512 blocks. */
  public static final int MAX_REQUEST_SIZE = HEADERS_LENGTH + ContentTag.LENGTH + CI_HEAD + 8 + 4 + 4 + 64 + 64 + 4
      + 512 * 64;
  /** The response: Size (4) and ResponseCode (1). */
  public static final int RESPONSE_LENGTH = 5;

  private PchcCodec() {}

  // ------------------------------------------------------------------------------------ encoding

  /** Encodes a request into a fresh array. */
  public static byte[] encode(PchcMessage message) {
    ByteBuffer out = ByteBuffer.allocate(encodedLength(message));
    out.put((byte) 0); // MinorVersion
    out.put((byte) message.majorVersion());
    out.putShort((short) message.type());
    out.putInt(0); // Padding
    out.putShort((short) message.port());
    out.put(new byte[6]); // Padding
    if (message instanceof InitialOffer o) {
      out.put(o.hash().toBytes());
    } else if (message instanceof SegmentInfo s) {
      out.put(s.contentTag().toBytes());
      writeSegmentInformation(out, s.segmentInformation());
    } else {
      for (SegmentDescriptor d : ((BatchedOffer) message).segments()) {
        out.putInt((int) d.blockSize());
        out.putInt((int) d.segmentSize());
        out.putShort((short) ContentTag.LENGTH);
        out.put(d.contentTag().toBytes());
        out.put((byte) d.hashAlgorithm());
        out.put(d.segmentId().toBytes());
      }
    }
    return out.array();
  }

  /** The encoded length of a request. */
  public static int encodedLength(PchcMessage message) {
    if (message instanceof InitialOffer o) {
      return HEADERS_LENGTH + o.hash().length();
    }
    if (message instanceof SegmentInfo s) {
      return HEADERS_LENGTH + ContentTag.LENGTH + segmentInformationLength(s.segmentInformation());
    }
    return HEADERS_LENGTH + ((BatchedOffer) message).segments().size() * DESCRIPTOR_LENGTH;
  }

  private static int segmentInformationLength(SegmentInformation i) {
    int h = i.algorithm().length();
    return CI_HEAD + 8 + 4 + 4 + h + h + 4 + i.blockHashes().size() * h;
  }

  /** The embedded V1 structure (§2.3), little-endian, one segment (§6.3). */
  private static void writeSegmentInformation(ByteBuffer out, SegmentInformation i) {
    ByteOrder before = out.order();
    out.order(ByteOrder.LITTLE_ENDIAN);
    out.putShort((short) 0x0100); // Version 1.0
    out.putInt(i.algorithm().wireId());
    out.putInt((int) i.offsetInFirstSegment());
    out.putInt((int) i.readBytesInLastSegment());
    out.putInt(1); // cSegments
    out.putLong(i.offsetInContent());
    out.putInt(i.segmentLength());
    out.putInt(SegmentRecord.V1_BLOCK_SIZE);
    out.put(i.hashOfData());
    out.put(i.segmentSecret());
    out.putInt(i.blockHashes().size());
    for (byte[] h : i.blockHashes()) {
      out.put(h);
    }
    out.order(before);
  }

  /** The RESPONSE_MESSAGE: Size = 1 (big-endian) and the code. */
  public static byte[] encodeResponse(ResponseCode code) {
    return new byte[] {0, 0, 0, 1, (byte) code.wire()};
  }

  // ------------------------------------------------------------------------------------ decoding

  /**
   * Decodes one request from the whole of an HTTP body (the buffer's remaining bytes).
   *
   * @throws PchcDecodeException naming the field and offset; the buffer is unchanged
   */
  public static PchcMessage decodeRequest(ByteBuffer body) {
    ByteBuffer in = body.slice().order(ByteOrder.BIG_ENDIAN);
    int length = in.remaining();
    if (length < HEADERS_LENGTH) {
      throw new MessageLengthException("MESSAGE_HEADER", 0,
          "a request is at least " + HEADERS_LENGTH + " bytes (header and CONNECTION_INFORMATION), got " + length);
    }
    if (length > MAX_REQUEST_SIZE) {
      throw new MessageLengthException("message", 0, "request of " + length + " bytes exceeds " + MAX_REQUEST_SIZE);
    }
    in.get(); // MinorVersion: any (a newer minor version is still readable)
    int major = in.get() & 0xFF;
    int type = in.getShort() & 0xFFFF;
    in.getInt(); // Padding
    int port = in.getShort() & 0xFFFF;
    in.position(HEADERS_LENGTH);
    if (type != PchcMessage.INITIAL_OFFER && type != PchcMessage.SEGMENT_INFO && type != PchcMessage.BATCHED_OFFER) {
      throw new UnknownMessageTypeException(2, type);
    }
    int expectedMajor = type == PchcMessage.BATCHED_OFFER ? 2 : 1;
    if (major != expectedMajor) {
      throw new UnsupportedVersionException(1, "MajorVersion " + major + " with Type " + type + " (INITIAL_OFFER and "
          + "SEGMENT_INFO are version 1.0, BATCHED_OFFER is 2.0)");
    }
    PchcMessage m = switch (type) {
      case PchcMessage.INITIAL_OFFER -> initialOffer(in, port, length);
      case PchcMessage.SEGMENT_INFO -> segmentInfo(in, port, length);
      default -> batchedOffer(in, port, length);
    };
    body.position(body.limit());
    return m;
  }

  private static InitialOffer initialOffer(ByteBuffer in, int port, int length) {
    int hashLength = length - HEADERS_LENGTH;
    if (hashLength != 32 && hashLength != 48 && hashLength != 64) {
      throw new MessageLengthException("Hash", HEADERS_LENGTH, "a HoHoDk is 32, 48 or 64 bytes, got " + hashLength);
    }
    byte[] hash = new byte[hashLength];
    in.get(hash);
    return new InitialOffer(port, SegmentId.of(hash));
  }

  private static SegmentInfo segmentInfo(ByteBuffer in, int port, int length) {
    need(in, ContentTag.LENGTH, "ContentTag");
    byte[] tag = new byte[ContentTag.LENGTH];
    in.get(tag);
    in.order(ByteOrder.LITTLE_ENDIAN);
    int start = in.position();
    need(in, CI_HEAD, "SegmentInformation");
    int version = in.getShort() & 0xFFFF;
    if (version != 0x0100) {
      throw new PchcDecodeException("SegmentInformation.Version", start,
          String.format("0x%04X is not content information version 1.0 (0x0100)", version));
    }
    int algoId = in.getInt();
    HashAlgorithm algorithm;
    try {
      algorithm = HashAlgorithm.fromV1Id(algoId);
    } catch (IllegalArgumentException e) {
      throw new PchcDecodeException("SegmentInformation.dwHashAlgo", start + 2, e.getMessage());
    }
    long offsetInFirst = Integer.toUnsignedLong(in.getInt());
    long readInLast = Integer.toUnsignedLong(in.getInt());
    long segments = Integer.toUnsignedLong(in.getInt());
    if (segments != 1) {
      throw new PchcDecodeException("SegmentInformation.cSegments", start + 14,
          "a SEGMENT_INFO describes exactly one segment, got " + segments);
    }
    int h = algorithm.length();
    int descAt = in.position();
    need(in, 8 + 4 + 4 + 2 * h, "SegmentDescription");
    long offsetInContent = in.getLong();
    long cbSegment = Integer.toUnsignedLong(in.getInt());
    long cbBlockSize = Integer.toUnsignedLong(in.getInt());
    if (cbSegment < 1 || cbSegment > SegmentRecord.V1_SEGMENT_SIZE) {
      throw new MessageLengthException("SegmentDescription.cbSegment", descAt + 8,
          cbSegment + " outside 1.." + SegmentRecord.V1_SEGMENT_SIZE);
    }
    if (cbBlockSize != SegmentRecord.V1_BLOCK_SIZE) {
      throw new PchcDecodeException("SegmentDescription.cbBlockSize", descAt + 12,
          cbBlockSize + " is not the V1 block size " + SegmentRecord.V1_BLOCK_SIZE);
    }
    byte[] hod = new byte[h];
    in.get(hod);
    byte[] kp = new byte[h];
    in.get(kp);
    int blocksAt = in.position();
    need(in, 4, "SegmentContentBlocks.cBlocks");
    long cBlocks = Integer.toUnsignedLong(in.getInt());
    long maxBlocks = SegmentInformation.blockCountOf((int) cbSegment);
    if (cBlocks < 1 || cBlocks > maxBlocks) {
      throw new MessageLengthException("SegmentContentBlocks.cBlocks", blocksAt,
          cBlocks + " outside 1.." + maxBlocks + " for a " + cbSegment + "-byte segment");
    }
    if (in.remaining() != cBlocks * h) {
      throw new MessageLengthException("SegmentContentBlocks.BlockHashes", blocksAt + 4,
          cBlocks + " hashes of " + h + " bytes need " + cBlocks * h + " bytes, the message has " + in.remaining()
              + " left");
    }
    List<byte[]> hashes = new ArrayList<>((int) cBlocks);
    for (int i = 0; i < cBlocks; i++) {
      byte[] b = new byte[h];
      in.get(b);
      hashes.add(b);
    }
    try {
      return new SegmentInfo(port, ContentTag.of(tag), new SegmentInformation(algorithm, offsetInFirst, readInLast,
          offsetInContent, (int) cbSegment, hod, kp, hashes));
    } catch (IllegalArgumentException e) {
      throw new PchcDecodeException("SegmentInformation", start, e.getMessage());
    }
  }

  private static BatchedOffer batchedOffer(ByteBuffer in, int port, int length) {
    int bytes = length - HEADERS_LENGTH;
    if (bytes == 0 || bytes % DESCRIPTOR_LENGTH != 0) {
      throw new MessageLengthException("SegmentDescriptors", HEADERS_LENGTH, bytes
          + " bytes is not a whole number (1.." + MAX_BATCH + ") of " + DESCRIPTOR_LENGTH + "-byte descriptors");
    }
    int count = bytes / DESCRIPTOR_LENGTH;
    if (count > MAX_BATCH) {
      throw new MessageLengthException("SegmentDescriptors", HEADERS_LENGTH,
          count + " descriptors exceed " + MAX_BATCH);
    }
    List<SegmentDescriptor> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int at = in.position();
      long blockSize = Integer.toUnsignedLong(in.getInt());
      long segmentSize = Integer.toUnsignedLong(in.getInt());
      int tagSize = in.getShort() & 0xFFFF;
      if (tagSize != ContentTag.LENGTH) {
        throw new MessageLengthException("SizeOfContentTag", at + 8, tagSize + " (MUST be " + ContentTag.LENGTH + ")");
      }
      byte[] tag = new byte[ContentTag.LENGTH];
      in.get(tag);
      int algorithm = in.get() & 0xFF;
      byte[] id = new byte[BATCH_HOHODK_LENGTH];
      in.get(id);
      if (segmentSize < 1 || segmentSize > MAX_SIZE) {
        throw new MessageLengthException("SegmentSize", at + 4, segmentSize + " outside 1.." + MAX_SIZE);
      }
      if (blockSize < 1 || blockSize > MAX_SIZE) {
        throw new MessageLengthException("BlockSize", at, blockSize + " outside 1.." + MAX_SIZE);
      }
      out.add(new SegmentDescriptor(blockSize, segmentSize, ContentTag.of(tag), algorithm, SegmentId.of(id)));
    }
    return new BatchedOffer(port, out);
  }

  private static void need(ByteBuffer in, int n, String field) {
    if (in.remaining() < n) {
      throw new MessageLengthException(field, in.position(),
          "needs " + n + " bytes, the message ends after " + in.remaining());
    }
  }

  /**
   * Decodes a RESPONSE_MESSAGE.
   *
   * @return the code, or {@code null} when fewer than {@value #RESPONSE_LENGTH} bytes are there
   *     (nothing consumed)
   * @throws PchcDecodeException when Size is not 1 or the code is unknown; nothing consumed
   */
  public static ResponseCode decodeResponse(ByteBuffer in) {
    int p = in.position();
    if (in.remaining() < 4) {
      return null;
    }
    long size = Integer.toUnsignedLong(in.order(ByteOrder.BIG_ENDIAN).getInt(p));
    if (size != 1) {
      throw new MessageLengthException("Size", 0, size + " (a response carries exactly one ResponseCode byte)");
    }
    if (in.remaining() < RESPONSE_LENGTH) {
      return null;
    }
    int code = in.get(p + 4) & 0xFF;
    ResponseCode r = switch (code) {
      case 0x00 -> ResponseCode.OK;
      case 0x01 -> ResponseCode.INTERESTED;
      default -> throw new PchcDecodeException("ResponseCode", 4, String.format("unknown code 0x%02X", code));
    };
    in.position(p + RESPONSE_LENGTH);
    return r;
  }
}
