package dev.peerdist.node.http;

import dev.peerdist.chunkstore.ChunkStore;
import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.StoredBlock;
import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.node.pccrr.BlockRange;
import dev.peerdist.node.pccrr.PccrrMessage;
import dev.peerdist.node.pccrr.PccrrMessage.BlockList;
import dev.peerdist.node.pccrr.PccrrMessage.Blocks;
import dev.peerdist.node.pccrr.PccrrMessage.GetBlockList;
import dev.peerdist.node.pccrr.PccrrMessage.GetBlocks;
import dev.peerdist.node.pccrr.PccrrMessage.GetSegmentList;
import dev.peerdist.node.pccrr.PccrrMessage.NegoRequest;
import dev.peerdist.node.pccrr.PccrrMessage.NegoResponse;
import dev.peerdist.node.pccrr.PccrrMessage.SegmentList;
import dev.peerdist.node.pccrr.ProtocolVersion;
import dev.peerdist.node.pccrr.SegmentRange;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;

/**
 * The server side of PCCRR without the transport: a request message in, the answer out
 * (PROTOCOL.md §4.4, §4.6). Store reads happen here, so callers run it off the event loop.
 *
 * <p>Blocks are served exactly as the store keeps them: the stored label (AES_256 under Kp[0..32),
 * the §4.5 recommendation), the stored IV and the stored ciphertext, wrapped without a copy.
 * The store picks one random IV per stored block; every answer for that block reuses it. That is
 * still a valid CBC IV chosen by the server (the spec asks only for a server-generated IV), and it
 * lets the node skip per-request encryption (LIMITS.md, "Network"); see docs/PROTOCOLS.md.
 */
public final class PccrrResponder {
  /** What this server speaks: 1.0 .. 2.0 (PROTOCOL.md §4.6). */
  public static final ProtocolVersion MIN_VERSION = ProtocolVersion.V1_0;
  public static final ProtocolVersion MAX_VERSION = ProtocolVersion.V2_0;

  private static final byte[] EMPTY = new byte[0];

  private final ChunkStore store;
  private final VirtualSegments virtual;
  private final PeerServerStats stats;

  public PccrrResponder(ChunkStore store, PeerServerStats stats) {
    this(store, VirtualSegments.NONE, stats);
  }

  /** A responder that also serves {@code virtual} segments for ids the store does not know. */
  public PccrrResponder(ChunkStore store, VirtualSegments virtual, PeerServerStats stats) {
    this.store = store;
    this.virtual = virtual;
    this.stats = stats;
  }

  /** Held blocks of {@code id}: the store's, or the virtual segment's when the store has none. */
  private BitSet present(SegmentId id) {
    BitSet held = store.presentBlocks(id);
    return held.isEmpty() && store.segment(id).isEmpty() ? virtual.presentBlocks(id) : held;
  }

  /** The MSG_NEGO_RESP this server sends to a NEGO request or an unsupported version. */
  public static NegoResponse negotiation(int cryptoAlgoId) {
    return new NegoResponse(cryptoAlgoId, MIN_VERSION, MAX_VERSION);
  }

  /** Answers one request. */
  public PccrrMessage answer(PccrrMessage request) {
    if (request instanceof GetBlocks g) {
      return blocks(g);
    } else if (request instanceof GetBlockList l) {
      return blockList(l);
    } else if (request instanceof GetSegmentList s) {
      return segmentList(s);
    } else if (request instanceof NegoRequest n) {
      return negotiation(n.cryptoAlgoId());
    }
    throw new IllegalArgumentException("not a request: " + request.type());
  }

  /**
   * The spec's empty answer to a request (PROTOCOL.md §4.6, busy server): empty MSG_BLK, MSG_BLKLIST
   * or MSG_SEGLIST.
   */
  public static PccrrMessage emptyAnswer(PccrrMessage request) {
    if (request instanceof GetBlocks g) {
      return Blocks.notAvailable(g.cryptoAlgoId(), g.segmentId(), g.lowestBlockIndex());
    } else if (request instanceof GetBlockList l) {
      return new BlockList(l.cryptoAlgoId(), l.segmentId(), List.of(), 0);
    } else if (request instanceof GetSegmentList s) {
      return new SegmentList(s.cryptoAlgoId(), s.requestId(), List.of(), EMPTY);
    } else if (request instanceof NegoRequest n) {
      return negotiation(n.cryptoAlgoId());
    }
    throw new IllegalArgumentException("not a request: " + request.type());
  }

  private PccrrMessage blocks(GetBlocks request) {
    // One block per exchange; the lowest requested index wins ([MS-PCCRR] 3.2.5.3). A V2 segment
    // is block 0 of its HoHoDk (PROTOCOL.md §4.6), which the store models the same way.
    SegmentId id = request.segmentId();
    int index = request.lowestBlockIndex();
    Optional<StoredBlock> stored = store.storedBlock(id, index);
    if (stored.isEmpty() && store.segment(id).isEmpty()) {
      // Not a segment of the store: perhaps a V2 segment assembled from stored V1 blocks.
      stored = virtual.storedBlock(id, index);
    }
    if (stored.isEmpty()) {
      stats.countNotAvailable();
      return Blocks.notAvailable(request.cryptoAlgoId(), id, index);
    }
    StoredBlock b = stored.get();
    int next = present(id).nextSetBit(index + 1);
    stats.countBlockServed(b.cipherText().length);
    return new Blocks(b.cryptoAlgoId(), id, index, Math.max(next, 0), b.cipherText(), EMPTY, b.iv());
  }

  /**
   * The answer to {@code request} from the store's accounts alone, which every {@link ChunkStore}
   * keeps in memory ({@code presentBlocks} and {@code segment}), so it may run on an event loop;
   * null when the segment is not the store's and may be a virtual one (those read the store: run
   * {@link #answer} off the event loop).
   */
  public PccrrMessage blockListFromAccounts(GetBlockList request) {
    SegmentId id = request.segmentId();
    BitSet held = store.presentBlocks(id);
    if (held.isEmpty() && virtual != VirtualSegments.NONE && store.segment(id).isEmpty()) {
      return null;
    }
    return blockList(request, held);
  }

  private PccrrMessage blockList(GetBlockList request) {
    return blockList(request, present(request.segmentId()));
  }

  private PccrrMessage blockList(GetBlockList request, BitSet present) {
    BitSet wanted = new BitSet(BlockRange.MAX_BLOCKS);
    int lastWanted = -1;
    for (BlockRange r : request.neededRanges()) {
      wanted.set(r.index(), r.end());
      lastWanted = Math.max(lastWanted, r.end() - 1);
    }
    wanted.and(present);
    List<BlockRange> ranges = new ArrayList<>();
    for (int i = wanted.nextSetBit(0); i >= 0; ) {
      int end = wanted.nextClearBit(i);
      ranges.add(new BlockRange(i, end - i));
      i = wanted.nextSetBit(end);
    }
    if (ranges.isEmpty()) {
      stats.countNotAvailable();
    }
    // NextBlockIndex: the first held block after those asked about, 0 when none (PROTOCOL.md §4.4).
    int next = present.nextSetBit(lastWanted + 1);
    return new BlockList(request.cryptoAlgoId(), request.segmentId(), ranges, Math.max(next, 0));
  }

  private PccrrMessage segmentList(GetSegmentList request) {
    List<SegmentId> ids = request.segmentIds();
    List<SegmentRange> ranges = new ArrayList<>();
    int runStart = -1;
    for (int i = 0; i <= ids.size(); i++) {
      boolean held = i < ids.size() && holdsWhole(ids.get(i));
      if (held && runStart < 0) {
        runStart = i;
      } else if (!held && runStart >= 0) {
        ranges.add(new SegmentRange(runStart, i - runStart));
        runStart = -1;
      }
    }
    if (ranges.isEmpty()) {
      stats.countNotAvailable();
    }
    return new SegmentList(request.cryptoAlgoId(), request.requestId(), ranges, EMPTY);
  }

  private boolean holdsWhole(SegmentId id) {
    Optional<SegmentRecord> record = store.segment(id);
    if (record.isEmpty()) {
      return virtual.presentBlocks(id).get(0); // A virtual (V2) segment is one block.
    }
    return store.presentBlocks(id).cardinality() == record.get().blockCount();
  }
}
