package dev.peerdist.node.pccrr;

import dev.peerdist.chunkstore.content.SegmentId;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * One MS-PCCRR message (PROTOCOL.md §4.4): an immutable value with the MESSAGE_HEADER's
 * CryptoAlgoId and the body fields. ProtVer and MsgSize are not stored: ProtVer follows from the
 * type (§4.3) and MsgSize from the fields. {@link PccrrCodec} turns these into bytes and back.
 *
 * <p>Byte-array fields are copied on the way in and out, except {@link Blocks#block()}, which the
 * message owns without copying so that a server can send stored ciphertext as it is (the
 * caller must not change the array after handing it over).
 */
public sealed interface PccrrMessage {

  /** The message type. */
  MessageType type();

  /** CryptoAlgoId of the header: 0 none, 1 AES_128, 2 AES_192, 3 AES_256 (PROTOCOL.md §4.3). */
  int cryptoAlgoId();

  /** Checks a CryptoAlgoId value. */
  private static int checkCrypto(int cryptoAlgoId) {
    if (cryptoAlgoId < 0 || cryptoAlgoId > 3) {
      throw new IllegalArgumentException("CryptoAlgoId " + cryptoAlgoId + " outside 0..3");
    }
    return cryptoAlgoId;
  }

  private static String hex(byte[] b) {
    return b.length <= 32 ? HexFormat.of().formatHex(b) : b.length + " bytes";
  }

  /** MSG_NEGO_REQ: the versions the client supports (PROTOCOL.md §4.4, §4.6). */
  record NegoRequest(int cryptoAlgoId, ProtocolVersion minVersion, ProtocolVersion maxVersion)
      implements PccrrMessage {
    public NegoRequest {
      checkCrypto(cryptoAlgoId);
      Objects.requireNonNull(minVersion, "minVersion");
      Objects.requireNonNull(maxVersion, "maxVersion");
    }

    @Override
    public MessageType type() {
      return MessageType.NEGO_REQ;
    }
  }

  /** MSG_NEGO_RESP: the versions the server supports. */
  record NegoResponse(int cryptoAlgoId, ProtocolVersion minVersion, ProtocolVersion maxVersion)
      implements PccrrMessage {
    public NegoResponse {
      checkCrypto(cryptoAlgoId);
      Objects.requireNonNull(minVersion, "minVersion");
      Objects.requireNonNull(maxVersion, "maxVersion");
    }

    @Override
    public MessageType type() {
      return MessageType.NEGO_RESP;
    }
  }

  /** MSG_GETBLKLIST: which of these blocks of a segment do you hold? */
  record GetBlockList(int cryptoAlgoId, SegmentId segmentId, List<BlockRange> neededRanges)
      implements PccrrMessage {
    public GetBlockList {
      checkCrypto(cryptoAlgoId);
      Objects.requireNonNull(segmentId, "segmentId");
      neededRanges = List.copyOf(neededRanges);
    }

    @Override
    public MessageType type() {
      return MessageType.GETBLKLIST;
    }
  }

  /**
   * MSG_BLKLIST: the requested blocks the server holds, and the first held block after them (0 when
   * none). An empty range list means "none of them" or "busy" (PROTOCOL.md §4.6).
   */
  record BlockList(int cryptoAlgoId, SegmentId segmentId, List<BlockRange> ranges, int nextBlockIndex)
      implements PccrrMessage {
    public BlockList {
      checkCrypto(cryptoAlgoId);
      Objects.requireNonNull(segmentId, "segmentId");
      ranges = List.copyOf(ranges);
    }

    @Override
    public MessageType type() {
      return MessageType.BLKLIST;
    }
  }

  /**
   * MSG_GETBLKS: a request for blocks; a conforming request has exactly one range of count 1
   * (PROTOCOL.md §4.4). {@code dataForVrfBlock} SHOULD be empty.
   */
  record GetBlocks(int cryptoAlgoId, SegmentId segmentId, List<BlockRange> ranges, byte[] dataForVrfBlock)
      implements PccrrMessage {
    public GetBlocks {
      checkCrypto(cryptoAlgoId);
      Objects.requireNonNull(segmentId, "segmentId");
      ranges = List.copyOf(ranges);
      if (ranges.isEmpty()) {
        throw new IllegalArgumentException("MSG_GETBLKS needs at least one BLOCK_RANGE");
      }
      dataForVrfBlock = dataForVrfBlock.clone();
    }

    /** A conforming request for one block with no verifier data. */
    public static GetBlocks of(int cryptoAlgoId, SegmentId segmentId, int blockIndex) {
      return new GetBlocks(cryptoAlgoId, segmentId, List.of(BlockRange.of(blockIndex)), new byte[0]);
    }

    /** The lowest requested block: the one a server returns ([MS-PCCRR] 3.2.5.3). */
    public int lowestBlockIndex() {
      int min = Integer.MAX_VALUE;
      for (BlockRange r : ranges) {
        min = Math.min(min, r.index());
      }
      return min;
    }

    @Override
    public byte[] dataForVrfBlock() {
      return dataForVrfBlock.clone();
    }

    @Override
    public MessageType type() {
      return MessageType.GETBLKS;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof GetBlocks g && g.cryptoAlgoId == cryptoAlgoId && g.segmentId.equals(segmentId)
          && g.ranges.equals(ranges) && Arrays.equals(g.dataForVrfBlock, dataForVrfBlock);
    }

    @Override
    public int hashCode() {
      return Objects.hash(cryptoAlgoId, segmentId, ranges, Arrays.hashCode(dataForVrfBlock));
    }

    @Override
    public String toString() {
      return "GetBlocks[crypto=" + cryptoAlgoId + ", segment=" + segmentId + ", ranges=" + ranges
          + ", vrf=" + hex(dataForVrfBlock) + "]";
    }
  }

  /**
   * MSG_BLK: one block, encrypted as {@code cryptoAlgoId} says under {@code iv} (PROTOCOL.md §4.4,
   * §4.5). An empty {@code block} means "not available" or "busy"; then {@code iv} is empty too.
   * The {@code block} array is owned by the message and never copied.
   */
  record Blocks(
      int cryptoAlgoId, SegmentId segmentId, int blockIndex, int nextBlockIndex, byte[] block,
      byte[] vrfBlock, byte[] iv)
      implements PccrrMessage {
    private static final byte[] EMPTY = new byte[0];

    public Blocks {
      checkCrypto(cryptoAlgoId);
      Objects.requireNonNull(segmentId, "segmentId");
      Objects.requireNonNull(block, "block");
      vrfBlock = vrfBlock.clone();
      iv = iv.clone();
    }

    /** The spec's "block not available" answer (SizeOfBlock 0, PROTOCOL.md §4.4). */
    public static Blocks notAvailable(int cryptoAlgoId, SegmentId segmentId, int blockIndex) {
      return new Blocks(cryptoAlgoId, segmentId, blockIndex, 0, EMPTY, EMPTY, EMPTY);
    }

    /** True when the answer carries a block. */
    public boolean available() {
      return block.length > 0;
    }

    @Override
    public byte[] vrfBlock() {
      return vrfBlock.clone();
    }

    @Override
    public byte[] iv() {
      return iv.clone();
    }

    @Override
    public MessageType type() {
      return MessageType.BLK;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Blocks b && b.cryptoAlgoId == cryptoAlgoId && b.segmentId.equals(segmentId)
          && b.blockIndex == blockIndex && b.nextBlockIndex == nextBlockIndex
          && Arrays.equals(b.block, block) && Arrays.equals(b.vrfBlock, vrfBlock)
          && Arrays.equals(b.iv, iv);
    }

    @Override
    public int hashCode() {
      return Objects.hash(cryptoAlgoId, segmentId, blockIndex, nextBlockIndex, Arrays.hashCode(block),
          Arrays.hashCode(iv));
    }

    @Override
    public String toString() {
      return "Blocks[crypto=" + cryptoAlgoId + ", segment=" + segmentId + ", index=" + blockIndex
          + ", next=" + nextBlockIndex + ", block=" + block.length + " bytes, vrf=" + hex(vrfBlock)
          + ", iv=" + hex(iv) + "]";
    }
  }

  /** MSG_GETSEGLIST (ProtVer 2.0, hosted-cache clients): which of these segments do you hold? */
  record GetSegmentList(int cryptoAlgoId, byte[] requestId, List<SegmentId> segmentIds, byte[] extensibleBlob)
      implements PccrrMessage {
    /** RequestID length (PROTOCOL.md §4.4). */
    public static final int REQUEST_ID_LENGTH = 16;

    public GetSegmentList {
      checkCrypto(cryptoAlgoId);
      if (requestId.length != REQUEST_ID_LENGTH) {
        throw new IllegalArgumentException("RequestID must be 16 bytes, got " + requestId.length);
      }
      requestId = requestId.clone();
      segmentIds = List.copyOf(segmentIds);
      extensibleBlob = extensibleBlob.clone();
    }

    @Override
    public byte[] requestId() {
      return requestId.clone();
    }

    @Override
    public byte[] extensibleBlob() {
      return extensibleBlob.clone();
    }

    @Override
    public MessageType type() {
      return MessageType.GETSEGLIST;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof GetSegmentList g && g.cryptoAlgoId == cryptoAlgoId
          && Arrays.equals(g.requestId, requestId) && g.segmentIds.equals(segmentIds)
          && Arrays.equals(g.extensibleBlob, extensibleBlob);
    }

    @Override
    public int hashCode() {
      return Objects.hash(cryptoAlgoId, Arrays.hashCode(requestId), segmentIds, Arrays.hashCode(extensibleBlob));
    }

    @Override
    public String toString() {
      return "GetSegmentList[crypto=" + cryptoAlgoId + ", requestId=" + hex(requestId) + ", segments="
          + segmentIds + ", blob=" + hex(extensibleBlob) + "]";
    }
  }

  /**
   * MSG_SEGLIST (ProtVer 2.0): positions, in the request's id array, of the segments held. An
   * empty list means "none" or "busy".
   */
  record SegmentList(int cryptoAlgoId, byte[] requestId, List<SegmentRange> ranges, byte[] extensibleBlob)
      implements PccrrMessage {
    public SegmentList {
      checkCrypto(cryptoAlgoId);
      if (requestId.length != GetSegmentList.REQUEST_ID_LENGTH) {
        throw new IllegalArgumentException("RequestID must be 16 bytes, got " + requestId.length);
      }
      requestId = requestId.clone();
      ranges = List.copyOf(ranges);
      extensibleBlob = extensibleBlob.clone();
    }

    @Override
    public byte[] requestId() {
      return requestId.clone();
    }

    @Override
    public byte[] extensibleBlob() {
      return extensibleBlob.clone();
    }

    @Override
    public MessageType type() {
      return MessageType.SEGLIST;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof SegmentList s && s.cryptoAlgoId == cryptoAlgoId
          && Arrays.equals(s.requestId, requestId) && s.ranges.equals(ranges)
          && Arrays.equals(s.extensibleBlob, extensibleBlob);
    }

    @Override
    public int hashCode() {
      return Objects.hash(cryptoAlgoId, Arrays.hashCode(requestId), ranges, Arrays.hashCode(extensibleBlob));
    }

    @Override
    public String toString() {
      return "SegmentList[crypto=" + cryptoAlgoId + ", requestId=" + hex(requestId) + ", ranges=" + ranges
          + ", blob=" + hex(extensibleBlob) + "]";
    }
  }
}
