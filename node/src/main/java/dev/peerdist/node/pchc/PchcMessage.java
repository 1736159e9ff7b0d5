package dev.peerdist.node.pchc;

import dev.peerdist.chunkstore.content.SegmentId;
import java.util.List;

/**
 * The three MS-PCHC request messages (PROTOCOL.md §6.3). Every message starts with a
 * MESSAGE_HEADER (MinorVersion 0, MajorVersion, Type, 4 bytes of padding) and a
 * CONNECTION_INFORMATION (the client's PCCRR port, 6 bytes of padding); the hosted cache connects
 * back to the address the offer came from on that port and pulls blocks by MS-PCCRR (§6.1).
 */
public sealed interface PchcMessage permits PchcMessage.InitialOffer, PchcMessage.SegmentInfo,
    PchcMessage.BatchedOffer {

  /** MESSAGE_HEADER.Type of INITIAL_OFFER_MESSAGE. */
  int INITIAL_OFFER = 0x0001;
  /** MESSAGE_HEADER.Type of SEGMENT_INFO_MESSAGE. */
  int SEGMENT_INFO = 0x0002;
  /** MESSAGE_HEADER.Type of BATCHED_OFFER_MESSAGE. */
  int BATCHED_OFFER = 0x0003;

  /** MESSAGE_HEADER.Type. */
  int type();

  /** MESSAGE_HEADER.MajorVersion: 1 for the two 1.0 messages, 2 for a batch (§6.3). */
  default int majorVersion() {
    return type() == BATCHED_OFFER ? 2 : 1;
  }

  /** CONNECTION_INFORMATION.Port: where the client serves PCCRR. */
  int port();

  /** A label for metrics and logs: {@code initial_offer}, {@code segment_info}, {@code batched_offer}. */
  default String label() {
    return switch (type()) {
      case INITIAL_OFFER -> "initial_offer";
      case SEGMENT_INFO -> "segment_info";
      default -> "batched_offer";
    };
  }

  private static void checkPort(int port) {
    if (port < 0 || port > 0xFFFF) {
      throw new IllegalArgumentException("Port " + port + " outside 0..65535");
    }
  }

  /**
   * INITIAL_OFFER_MESSAGE (version 1.0): "I hold the segment {@code hash}". The hosted cache
   * answers OK (it has it, or does not want it) or INTERESTED (send its SEGMENT_INFO).
   *
   * @param port the client's PCCRR port
   * @param hash the segment's HoHoDk (32, 48 or 64 bytes: the length follows the message length)
   */
  record InitialOffer(int port, SegmentId hash) implements PchcMessage {
    public InitialOffer {
      checkPort(port);
      java.util.Objects.requireNonNull(hash, "hash");
    }

    @Override
    public int type() {
      return INITIAL_OFFER;
    }
  }

  /**
   * SEGMENT_INFO_MESSAGE (version 1.0): the segment's V1 description, sent after INTERESTED. The
   * answer is always OK.
   */
  record SegmentInfo(int port, ContentTag contentTag, SegmentInformation segmentInformation) implements PchcMessage {
    public SegmentInfo {
      checkPort(port);
      java.util.Objects.requireNonNull(contentTag, "contentTag");
      java.util.Objects.requireNonNull(segmentInformation, "segmentInformation");
    }

    @Override
    public int type() {
      return SEGMENT_INFO;
    }
  }

  /**
   * BATCHED_OFFER_MESSAGE (version 2.0): 1..128 segments by id only. The answer is always OK.
   */
  record BatchedOffer(int port, List<SegmentDescriptor> segments) implements PchcMessage {
    public BatchedOffer {
      checkPort(port);
      segments = List.copyOf(segments);
      if (segments.isEmpty() || segments.size() > PchcCodec.MAX_BATCH) {
        throw new IllegalArgumentException("a batch holds 1.." + PchcCodec.MAX_BATCH + " segments, got "
            + segments.size());
      }
    }

    @Override
    public int type() {
      return BATCHED_OFFER;
    }
  }

  /**
   * One segment of a BATCHED_OFFER_MESSAGE (§6.3): sizes, tag, hash algorithm and the 32-byte
   * HoHoDk. Windows writes BlockSize = SegmentSize for V2 segments.
   *
   * @param blockSize BlockSize
   * @param segmentSize SegmentSize
   * @param contentTag ContentTag (SizeOfContentTag is always 16)
   * @param hashAlgorithm HashAlgorithm: 0x01 SHA-256 (V1), 0x04 truncated SHA-512 (V2)
   * @param segmentId SegmentHoHoDk
   */
  record SegmentDescriptor(long blockSize, long segmentSize, ContentTag contentTag, int hashAlgorithm,
      SegmentId segmentId) {
    /** HashAlgorithm of SHA-256 (V1) segments. */
    public static final int SHA_256 = 0x01;
    /** HashAlgorithm of truncated SHA-512 (V2) segments. */
    public static final int TRUNCATED_SHA_512 = 0x04;

    public SegmentDescriptor {
      if (blockSize < 1 || blockSize > PchcCodec.MAX_SIZE) {
        throw new IllegalArgumentException("BlockSize " + blockSize + " outside 1.." + PchcCodec.MAX_SIZE);
      }
      if (segmentSize < 1 || segmentSize > PchcCodec.MAX_SIZE) {
        throw new IllegalArgumentException("SegmentSize " + segmentSize + " outside 1.." + PchcCodec.MAX_SIZE);
      }
      if (hashAlgorithm < 0 || hashAlgorithm > 0xFF) {
        throw new IllegalArgumentException("HashAlgorithm " + hashAlgorithm + " is not one byte");
      }
      java.util.Objects.requireNonNull(contentTag, "contentTag");
      if (segmentId == null || segmentId.length() != PchcCodec.BATCH_HOHODK_LENGTH) {
        throw new IllegalArgumentException("SegmentHoHoDk must be " + PchcCodec.BATCH_HOHODK_LENGTH + " bytes");
      }
    }
  }
}
