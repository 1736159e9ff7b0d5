package dev.peerdist.node.hostedcache;

import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.node.pchc.PchcMessage;
import dev.peerdist.node.pchc.PchcMessage.BatchedOffer;
import dev.peerdist.node.pchc.PchcMessage.InitialOffer;
import dev.peerdist.node.pchc.PchcMessage.SegmentDescriptor;
import dev.peerdist.node.pchc.PchcMessage.SegmentInfo;
import dev.peerdist.node.pchc.ResponseCode;
import dev.peerdist.node.pchc.SegmentInformation;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The hosted cache's decisions on MS-PCHC offers (PROTOCOL.md §6.3), with no sockets in it: the
 * HTTP handler only moves bytes (the shape of {@code PccrrResponder}).
 *
 * <p>Policy:
 *
 * <ul>
 *   <li>INITIAL_OFFER: OK when the segment is held completely, or when the pull queue has no room
 *       for this client (OK means "nothing more to send"; a busy hosted cache thus sheds load
 *       without an error); otherwise INTERESTED, asking for the SEGMENT_INFO.
 *   <li>SEGMENT_INFO: always OK (§6.3). The segment is pulled from the client when its block hashes
 *       are complete and hash to HoD and HoD to the offered id (the chain {@link SegmentRecord}
 *       checks); a description that fails the chain is {@link Answer#refused refused} (HTTP 400,
 *       nothing stored). A partial block list cannot verify every block, so nothing is pulled.
 *   <li>BATCHED_OFFER (2.0): always OK. A batch names segments by HoHoDk only, without the HoD,
 *       block hashes or Kp a block must be verified against, so only segments this cache already
 *       has a record of (partly held ones: a download or an import that stopped early) are pulled;
 *       the rest are counted as {@code unverifiable} (Windows' hosted cache stores what it cannot
 *       verify; peerdist never stores or serves a block it has not verified).
 * </ul>
 */
public final class OfferResponder {
  /** What the store knows about a segment. */
  public interface Holdings {
    /** The record of a known segment. */
    Optional<SegmentRecord> record(SegmentId id);

    /** True when every block of {@code id} is held. */
    boolean complete(SegmentId id);
  }

  /** Where pulls go ({@link SegmentPuller}). */
  public interface Pulls {
    /** True when a pull for a segment offered by {@code client} would be accepted now. */
    boolean hasRoom(InetAddress client);

    /**
     * Queues a pull of {@code record}'s missing blocks from {@code source} (the offering client's
     * address and PCCRR port); false when refused (queue full, too many from this client, or the
     * segment is already being pulled).
     */
    boolean submit(SegmentRecord record, InetSocketAddress source);
  }

  /**
   * The answer to one offer.
   *
   * @param code what goes back in the RESPONSE_MESSAGE (null when refused)
   * @param results one metric result per segment the message named ({@code held}, {@code
   *     interested}, {@code queued}, {@code busy}, {@code incomplete}, {@code unverifiable}, {@code
   *     no_port}, {@code invalid})
   * @param refused why the request is refused (HTTP 400), or null
   */
  public record Answer(ResponseCode code, List<String> results, String refused) {
    static Answer ok(List<String> results) {
      return new Answer(ResponseCode.OK, results, null);
    }
  }

  private final Holdings holdings;
  private final Pulls pulls;

  public OfferResponder(Holdings holdings, Pulls pulls) {
    this.holdings = holdings;
    this.pulls = pulls;
  }

  /**
   * Decides the answer to {@code message} from {@code client} (the address the offer came from:
   * pulls connect back to it on the message's port, never to an address the message names).
   */
  public Answer answer(PchcMessage message, InetAddress client) {
    if (message instanceof InitialOffer o) {
      if (holdings.complete(o.hash())) {
        return Answer.ok(List.of("held"));
      }
      if (!pulls.hasRoom(client)) {
        return Answer.ok(List.of("busy"));
      }
      return new Answer(ResponseCode.INTERESTED, List.of("interested"), null);
    }
    if (message instanceof SegmentInfo s) {
      SegmentInformation info = s.segmentInformation();
      if (!info.complete()) {
        return Answer.ok(List.of("incomplete"));
      }
      SegmentRecord record;
      try {
        record = info.toRecord();
      } catch (IllegalArgumentException e) {
        return new Answer(null, List.of("invalid"), "SEGMENT_INFO does not describe a segment: " + e.getMessage());
      }
      return Answer.ok(List.of(pull(record, new InetSocketAddress(client, s.port()))));
    }
    List<String> results = new ArrayList<>();
    for (SegmentDescriptor d : ((BatchedOffer) message).segments()) {
      Optional<SegmentRecord> known = holdings.record(d.segmentId());
      results.add(known.isEmpty() ? "unverifiable" : pull(known.get(), new InetSocketAddress(client, message.port())));
    }
    return Answer.ok(results);
  }

  private String pull(SegmentRecord record, InetSocketAddress source) {
    if (holdings.complete(record.id())) {
      return "held";
    }
    if (source.getPort() == 0) {
      return "no_port"; // CONNECTION_INFORMATION.Port 0: nowhere to pull from
    }
    return pulls.submit(record, source) ? "queued" : "busy";
  }
}
