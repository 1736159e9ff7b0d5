package dev.peerdist.node.pccrr;

import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.node.pccrr.PccrrDecodeException.MessageLengthException;
import dev.peerdist.node.pccrr.PccrrDecodeException.UnknownMessageTypeException;
import dev.peerdist.node.pccrr.PccrrDecodeException.UnsupportedVersionException;
import dev.peerdist.node.pccrr.PccrrMessage.BlockList;
import dev.peerdist.node.pccrr.PccrrMessage.Blocks;
import dev.peerdist.node.pccrr.PccrrMessage.GetBlockList;
import dev.peerdist.node.pccrr.PccrrMessage.GetBlocks;
import dev.peerdist.node.pccrr.PccrrMessage.GetSegmentList;
import dev.peerdist.node.pccrr.PccrrMessage.NegoRequest;
import dev.peerdist.node.pccrr.PccrrMessage.NegoResponse;
import dev.peerdist.node.pccrr.PccrrMessage.SegmentList;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;

/**
 * Encodes and decodes MS-PCCRR messages (PROTOCOL.md §4.2–§4.4). Pure: bytes in, values out.
 *
 * <p>Wire rules: every integer is a 32-bit unsigned big-endian value; every variable-length byte
 * field is a 4-byte length, the bytes, and zero padding to a multiple of 4 counted from the start
 * of the MESSAGE_HEADER; responses, and only responses, are preceded by the 4-byte
 * TRANSPORT_RESPONSE_HEADER whose Size equals MsgSize.
 *
 * <p>Decoding contract ({@link #decodeRequest}, {@link #decodeResponse}):
 *
 * <ul>
 *   <li><b>decoded</b>: returns the message; the reader index has moved past it.
 *   <li><b>need more</b>: returns {@code null}; nothing was consumed. This happens only while the
 *       bytes seen so far are a valid prefix of a message.
 *   <li><b>invalid</b>: throws a {@link PccrrDecodeException} naming field and offset; nothing was
 *       consumed. The caller drops the message (PROTOCOL.md §4.3: malformed requests are dropped).
 * </ul>
 *
 * <p>No read goes past MsgSize, and no list or array is allocated before its declared size has
 * been checked against the bytes that remain inside MsgSize. Padding bytes are skipped without
 * checking that they are zero (senders differ; the content carries no meaning), and the padding
 * after the very last field may be missing ([pyPD] omits it after the IV).
 *
 * <table>
 *   <caption>Limits (PROTOCOL.md §4.2)</caption>
 *   <tr><th>limit</th><th>value</th></tr>
 *   <tr><td>request MsgSize</td><td>16..98,304</td></tr>
 *   <tr><td>response MsgSize</td><td>16..393,216</td></tr>
 *   <tr><td>SizeOfSegmentID</td><td>32, 48 or 64</td></tr>
 *   <tr><td>BLOCK_RANGE</td><td>index 0..511, count 1..512-index</td></tr>
 * </table>
 */
public final class PccrrCodec {
  /** MESSAGE_HEADER length. */
  public static final int MESSAGE_HEADER_LENGTH = 16;
  /** TRANSPORT_RESPONSE_HEADER length. */
  public static final int TRANSPORT_HEADER_LENGTH = 4;
  /** Largest request MsgSize ([MS-PCCRR] 2.2). */
  public static final int MAX_REQUEST_SIZE = 98_304;
  /** Largest response MsgSize ([MS-PCCRR] 2.2.3). */
  public static final int MAX_RESPONSE_SIZE = 393_216;
  /** Largest HTTP body a response can take: the transport header plus the largest message. */
  public static final int MAX_RESPONSE_BODY = TRANSPORT_HEADER_LENGTH + MAX_RESPONSE_SIZE;

  private static final byte[] EMPTY = new byte[0];

  private PccrrCodec() {}

  // ------------------------------------------------------------------------------------ encoding

  /**
   * Encodes a message; responses get their TRANSPORT_RESPONSE_HEADER. The result is owned by the
   * caller. For {@link Blocks} the ciphertext array is wrapped, not copied.
   */
  public static ByteBuf encode(PccrrMessage message, ByteBufAllocator alloc) {
    return encode(EMPTY, message, alloc);
  }

  /**
   * Encodes a message as {@link #encode(PccrrMessage, ByteBufAllocator)} does, after {@code
   * lead}: bytes a transport sends first (an HTTP head), written into the same first buffer, so
   * that a transport needs no buffer of its own and no copy of the message to put them together.
   */
  public static ByteBuf encode(byte[] lead, PccrrMessage message, ByteBufAllocator alloc) {
    boolean response = message.type().isResponse();
    int msgSize = messageSize(message);
    int prefix = lead.length + (response ? TRANSPORT_HEADER_LENGTH : 0);
    if (message instanceof Blocks b && b.block().length > 0) {
      // Head up to SizeOfBlock, the wrapped block, then padding, VRF and IV (PROTOCOL.md §4.4).
      int segLen = b.segmentId().length();
      ByteBuf head = alloc.buffer(prefix + MESSAGE_HEADER_LENGTH + 4 + padded(segLen) + 12);
      ByteBuf tail = null;
      boolean ok = false;
      try {
        head.writeBytes(lead);
        writeHeader(head, message, msgSize, response);
        writeSized(head, b.segmentId().toBytes());
        head.writeInt(b.blockIndex());
        head.writeInt(b.nextBlockIndex());
        head.writeInt(b.block().length);
        byte[] vrf = b.vrfBlock();
        byte[] iv = b.iv();
        tail = alloc.buffer(pad(b.block().length) + 8 + padded(vrf.length) + padded(iv.length));
        tail.writeZero(pad(b.block().length));
        writeSized(tail, vrf);
        writeSized(tail, iv);
        ByteBuf out = Unpooled.wrappedBuffer(head, Unpooled.wrappedBuffer(b.block()), tail);
        ok = true;
        return out;
      } finally {
        if (!ok) {
          head.release();
          if (tail != null) {
            tail.release();
          }
        }
      }
    }
    ByteBuf out = alloc.buffer(prefix + msgSize);
    boolean ok = false;
    try {
      out.writeBytes(lead);
      writeHeader(out, message, msgSize, response);
      writeBody(out, message);
      ok = true;
      return out;
    } finally {
      if (!ok) {
        out.release();
      }
    }
  }

  /** Encodes into a fresh array (tests, tools). */
  public static byte[] encodeToArray(PccrrMessage message) {
    ByteBuf buf = encode(message, io.netty.buffer.UnpooledByteBufAllocator.DEFAULT);
    try {
      byte[] out = new byte[buf.readableBytes()];
      buf.readBytes(out);
      return out;
    } finally {
      buf.release();
    }
  }

  /** MsgSize of a message: header plus body, without the transport header. */
  public static int messageSize(PccrrMessage message) {
    return MESSAGE_HEADER_LENGTH + bodySize(message);
  }

  private static int bodySize(PccrrMessage message) {
    if (message instanceof NegoRequest || message instanceof NegoResponse) {
      return 8;
    } else if (message instanceof GetBlockList g) {
      return sized(g.segmentId().length()) + 4 + 8 * g.neededRanges().size();
    } else if (message instanceof BlockList l) {
      return sized(l.segmentId().length()) + 4 + 8 * l.ranges().size() + 4;
    } else if (message instanceof GetBlocks g) {
      return sized(g.segmentId().length()) + 4 + 8 * g.ranges().size() + sized(g.dataForVrfBlock().length);
    } else if (message instanceof Blocks b) {
      return sized(b.segmentId().length()) + 8 + sized(b.block().length) + sized(b.vrfBlock().length)
          + sized(b.iv().length);
    } else if (message instanceof GetSegmentList s) {
      int n = GetSegmentList.REQUEST_ID_LENGTH + 4;
      for (SegmentId id : s.segmentIds()) {
        n += sized(id.length());
      }
      return n + sized(s.extensibleBlob().length);
    } else if (message instanceof SegmentList s) {
      return GetSegmentList.REQUEST_ID_LENGTH + 4 + 8 * s.ranges().size() + sized(s.extensibleBlob().length);
    }
    throw new IllegalStateException("unhandled message " + message.type());
  }

  private static void writeHeader(ByteBuf out, PccrrMessage m, int msgSize, boolean response) {
    if (response) {
      out.writeInt(msgSize); // TRANSPORT_RESPONSE_HEADER.Size, PROTOCOL.md §4.3
    }
    out.writeInt(m.type().version().toWire());
    out.writeInt(m.type().code());
    out.writeInt(msgSize);
    out.writeInt(m.cryptoAlgoId());
  }

  private static void writeBody(ByteBuf out, PccrrMessage message) {
    if (message instanceof NegoRequest n) {
      out.writeInt(n.minVersion().toWire());
      out.writeInt(n.maxVersion().toWire());
    } else if (message instanceof NegoResponse n) {
      out.writeInt(n.minVersion().toWire());
      out.writeInt(n.maxVersion().toWire());
    } else if (message instanceof GetBlockList g) {
      writeSized(out, g.segmentId().toBytes());
      writeRanges(out, g.neededRanges());
    } else if (message instanceof BlockList l) {
      writeSized(out, l.segmentId().toBytes());
      writeRanges(out, l.ranges());
      out.writeInt(l.nextBlockIndex());
    } else if (message instanceof GetBlocks g) {
      writeSized(out, g.segmentId().toBytes());
      writeRanges(out, g.ranges());
      writeSized(out, g.dataForVrfBlock());
    } else if (message instanceof Blocks b) {
      writeSized(out, b.segmentId().toBytes());
      out.writeInt(b.blockIndex());
      out.writeInt(b.nextBlockIndex());
      writeSized(out, b.block());
      writeSized(out, b.vrfBlock());
      writeSized(out, b.iv());
    } else if (message instanceof GetSegmentList s) {
      out.writeBytes(s.requestId());
      out.writeInt(s.segmentIds().size());
      for (SegmentId id : s.segmentIds()) {
        writeSized(out, id.toBytes());
      }
      writeSized(out, s.extensibleBlob());
    } else if (message instanceof SegmentList s) {
      out.writeBytes(s.requestId());
      out.writeInt(s.ranges().size());
      for (SegmentRange r : s.ranges()) {
        out.writeInt(r.index());
        out.writeInt(r.count());
      }
      writeSized(out, s.extensibleBlob());
    } else {
      throw new IllegalStateException("unhandled message " + message.type());
    }
  }

  private static void writeRanges(ByteBuf out, List<BlockRange> ranges) {
    out.writeInt(ranges.size());
    for (BlockRange r : ranges) {
      out.writeInt(r.index());
      out.writeInt(r.count());
    }
  }

  private static void writeSized(ByteBuf out, byte[] value) {
    out.writeInt(value.length);
    out.writeBytes(value);
    out.writeZero(pad(value.length));
  }

  private static int pad(int length) {
    return -length & 3;
  }

  private static int padded(int length) {
    return length + pad(length);
  }

  private static int sized(int length) {
    return 4 + padded(length);
  }

  // ------------------------------------------------------------------------------------ decoding

  /**
   * Decodes one request (no transport header) from the readable bytes of {@code in}.
   *
   * @return the message, or null when more bytes are needed (nothing consumed)
   * @throws PccrrDecodeException when the bytes cannot be a valid request (nothing consumed)
   */
  public static PccrrMessage decodeRequest(ByteBuf in) {
    return decode(in, false);
  }

  /**
   * Decodes one response, TRANSPORT_RESPONSE_HEADER included, from the readable bytes of {@code in}.
   *
   * @return the message, or null when more bytes are needed (nothing consumed)
   * @throws PccrrDecodeException when the bytes cannot be a valid response (nothing consumed)
   */
  public static PccrrMessage decodeResponse(ByteBuf in) {
    return decode(in, true);
  }

  private static PccrrMessage decode(ByteBuf in, boolean response) {
    int start = in.readerIndex();
    int available = in.readableBytes();
    int prefix = response ? TRANSPORT_HEADER_LENGTH : 0;
    int limit = response ? MAX_RESPONSE_SIZE : MAX_REQUEST_SIZE;
    // Check every header field as soon as its bytes are there, so that garbage fails fast.
    if (available >= prefix + 4) {
      int version = in.getInt(start + prefix);
      ProtocolVersion v = ProtocolVersion.fromWire(version);
      if (v.major() != 1 && v.major() != 2) {
        throw new UnsupportedVersionException(prefix, v);
      }
    }
    MessageType type = null;
    if (available >= prefix + 8) {
      int code = in.getInt(start + prefix + 4);
      type = MessageType.fromCode(code);
      if (type == null) {
        throw new UnknownMessageTypeException(prefix + 4, "unknown MsgType " + Integer.toUnsignedString(code));
      }
      if (type.isResponse() != response) {
        throw new UnknownMessageTypeException(prefix + 4, "MsgType " + type + " is a "
            + (type.isResponse() ? "response" : "request") + ", expected a "
            + (response ? "response" : "request"));
      }
    }
    int msgSize = -1;
    if (available >= prefix + 12) {
      msgSize = in.getInt(start + prefix + 8);
      if (msgSize < MESSAGE_HEADER_LENGTH || msgSize > limit) {
        throw new MessageLengthException("MsgSize", prefix + 8, "MsgSize " + Integer.toUnsignedString(msgSize)
            + " outside " + MESSAGE_HEADER_LENGTH + ".." + limit);
      }
    }
    if (response && available >= 4) {
      int size = in.getInt(start);
      if (size < MESSAGE_HEADER_LENGTH || size > limit) {
        throw new MessageLengthException("Size", 0, "transport Size " + Integer.toUnsignedString(size)
            + " outside " + MESSAGE_HEADER_LENGTH + ".." + limit);
      }
      if (msgSize >= 0 && size != msgSize) {
        throw new MessageLengthException("Size", 0, "transport Size " + size + " differs from MsgSize " + msgSize);
      }
    }
    if (available >= prefix + MESSAGE_HEADER_LENGTH) {
      int crypto = in.getInt(start + prefix + 12);
      if (crypto < 0 || crypto > 3) {
        throw new PccrrDecodeException("CryptoAlgoId", prefix + 12,
            "CryptoAlgoId " + Integer.toUnsignedString(crypto) + " outside 0..3");
      }
    }
    if (msgSize < 0 || available < prefix + msgSize) {
      return null;
    }
    int crypto = in.getInt(start + prefix + 12);
    Reader r = new Reader(in, start + prefix, msgSize, prefix);
    r.pos = MESSAGE_HEADER_LENGTH;
    PccrrMessage m = switch (type) {
      case NEGO_REQ -> new NegoRequest(crypto, r.version("MinSupportedProtocolVersion"),
          r.version("MaxSupportedProtocolVersion"));
      case NEGO_RESP -> new NegoResponse(crypto, r.version("MinSupportedProtocolVersion"),
          r.version("MaxSupportedProtocolVersion"));
      case GETBLKLIST -> {
        SegmentId id = r.segmentId("SegmentID");
        List<BlockRange> ranges = r.blockRanges("NeededBlocksRangeCount", 0);
        yield new GetBlockList(crypto, id, ranges);
      }
      case BLKLIST -> {
        SegmentId id = r.segmentId("SegmentId");
        List<BlockRange> ranges = r.blockRanges("BlockRangeCount", 0);
        yield new BlockList(crypto, id, ranges, r.u32("NextBlockIndex"));
      }
      case GETBLKS -> {
        SegmentId id = r.segmentId("SegmentID");
        List<BlockRange> ranges = r.blockRanges("ReqBlockRangeCount", 1);
        yield new GetBlocks(crypto, id, ranges, r.sized("SizeOfDataForVrfBlock"));
      }
      case BLK -> {
        SegmentId id = r.segmentId("SegmentId");
        int index = r.u32("BlockIndex");
        int next = r.u32("NextBlockIndex");
        byte[] block = r.sized("SizeOfBlock");
        byte[] vrf = r.sized("SizeOfVrfBlock");
        byte[] iv = r.sized("SizeOfIVBlock");
        yield new Blocks(crypto, id, index, next, block, vrf, iv);
      }
      case GETSEGLIST -> {
        byte[] requestId = r.bytes("RequestID", GetSegmentList.REQUEST_ID_LENGTH);
        int count = r.count("CountOfSegmentIDs", 4 + 32);
        List<SegmentId> ids = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
          ids.add(r.segmentId("SegmentID[" + i + "]"));
        }
        yield new GetSegmentList(crypto, requestId, ids, r.sized("SizeOfExtensibleBlob"));
      }
      case SEGLIST -> {
        byte[] requestId = r.bytes("RequestID", GetSegmentList.REQUEST_ID_LENGTH);
        int count = r.count("SegmentRangeCount", 8);
        List<SegmentRange> ranges = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
          int at = r.pos;
          int index = r.u32("SegmentRanges[" + i + "].Index");
          int n = r.u32("SegmentRanges[" + i + "].Count");
          try {
            ranges.add(new SegmentRange(index, n));
          } catch (IllegalArgumentException e) {
            throw new PccrrDecodeException("SegmentRanges[" + i + "]", prefix + at, e.getMessage());
          }
        }
        yield new SegmentList(crypto, requestId, ranges, r.sized("SizeOfExtensibleBlob"));
      }
    };
    if (r.pos != msgSize) {
      throw new MessageLengthException("MsgSize", prefix + 8,
          "MsgSize " + msgSize + " but the fields of " + type + " end at " + r.pos);
    }
    in.readerIndex(start + prefix + msgSize);
    return m;
  }

  /** Bounded reader over one message; positions are relative to the MESSAGE_HEADER. */
  private static final class Reader {
    private final ByteBuf buf;
    private final int base;
    private final int size;
    private final int reportShift;
    int pos;

    Reader(ByteBuf buf, int base, int size, int reportShift) {
      this.buf = buf;
      this.base = base;
      this.size = size;
      this.reportShift = reportShift;
    }

    private void need(String field, long n) {
      if (n > size - pos) {
        throw new MessageLengthException(field, reportShift + pos,
            "needs " + n + " bytes but only " + (size - pos) + " remain inside MsgSize " + size);
      }
    }

    int u32(String field) {
      need(field, 4);
      int v = buf.getInt(base + pos);
      pos += 4;
      return v;
    }

    ProtocolVersion version(String field) {
      return ProtocolVersion.fromWire(u32(field));
    }

    byte[] bytes(String field, int n) {
      need(field, n);
      byte[] out = new byte[n];
      buf.getBytes(base + pos, out);
      pos += n;
      return out;
    }

    /** Skips the zero pad after a field of {@code length} bytes; it may be cut off at the end. */
    void pad(int length) {
      int p = -length & 3;
      pos = Math.min(size, pos + p);
    }

    /** A count whose elements take at least {@code minElement} bytes each. */
    int count(String field, int minElement) {
      int at = pos;
      int n = u32(field);
      if (n < 0 || (long) n * minElement > size - pos) {
        throw new MessageLengthException(field, reportShift + at, field + " " + Integer.toUnsignedString(n)
            + " cannot fit in the " + (size - pos) + " bytes that remain");
      }
      return n;
    }

    byte[] sized(String field) {
      int at = pos;
      int n = u32(field);
      if (n < 0 || n > size - pos) {
        throw new MessageLengthException(field, reportShift + at, field + " " + Integer.toUnsignedString(n)
            + " exceeds the " + (size - pos) + " bytes that remain");
      }
      if (n == 0) {
        return EMPTY;
      }
      byte[] out = bytes(field, n);
      pad(n);
      return out;
    }

    SegmentId segmentId(String field) {
      int at = pos;
      String sizeField = "SizeOf" + field;
      int n = u32(sizeField);
      if (n != 32 && n != 48 && n != 64) {
        throw new MessageLengthException(sizeField, reportShift + at,
            sizeField + " " + Integer.toUnsignedString(n) + " is not 32, 48 or 64");
      }
      SegmentId id = SegmentId.of(bytes(field, n));
      pad(n);
      return id;
    }

    List<BlockRange> blockRanges(String countField, int min) {
      int at = pos;
      int n = count(countField, 8);
      if (n < min) {
        throw new MessageLengthException(countField, reportShift + at, countField + " " + n + " below " + min);
      }
      List<BlockRange> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        int rangeAt = pos;
        int index = u32("BlockRanges[" + i + "].Index");
        int count = u32("BlockRanges[" + i + "].Count");
        try {
          out.add(new BlockRange(index, count));
        } catch (IllegalArgumentException e) {
          throw new PccrrDecodeException("BlockRanges[" + i + "]", reportShift + rangeAt, e.getMessage());
        }
      }
      return out;
    }
  }
}
