package dev.peerdist.discovery.pccrd;

import dev.peerdist.discovery.DiscoveryKey;
import dev.peerdist.discovery.DiscoveryListener;
import dev.peerdist.discovery.HeardProbe;
import dev.peerdist.discovery.LocalHoldings;
import dev.peerdist.discovery.PeerEndpoint;
import dev.peerdist.discovery.SubnetListener;
import dev.peerdist.discovery.wsd.AppSequence;
import dev.peerdist.discovery.wsd.Probe;
import dev.peerdist.discovery.wsd.ProbeMatches;
import dev.peerdist.discovery.wsd.WsdCodec;
import dev.peerdist.discovery.wsd.WsdDecodeException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PCCRD responder as a pure state machine (PROTOCOL.md §3.6, §3.7): a decoded probe in, a
 * decision out, no sockets. The transport ({@code transport.WsDiscoveryPeerDirectory}) decodes
 * datagrams, drops off-subnet ones, and sends what this decides after the delay it names.
 *
 * <p>For each probe: its own probes looped back are ignored; malformed PCCRD data is counted;
 * non-PeerDist probes are ignored; repeats of a handled MessageID are dropped; every new probe is
 * reported to the {@link SubnetListener}; the per-source and global rate limits apply (a probe
 * they drop is not remembered, so the sender's repeat is processed); only held segments are
 * answered, after a random back-off in [1 ms, APP_MAX_DELAY], with reply suppression; a reply is
 * at most {@code maxReplyRatio} times the probe's bytes in all (held ids that do not fit are left
 * out, counted), in one datagram unless it would exceed the envelope limit.
 *
 * <p>Every event is reported to one {@link DiscoveryListener} (the directory's counters). Not
 * thread-safe: one thread (the directory's event loop) owns it.
 */
public final class Responder {
  private static final Logger LOG = LoggerFactory.getLogger(Responder.class);

  /** This node's own probes, as its {@link Prober} remembers them. */
  public interface OwnProbes {
    /** A node that sends no probes. */
    OwnProbes NONE = new OwnProbes() {
      @Override
      public boolean isOwn(String messageId) {
        return false;
      }

      @Override
      public long firstReturn(String messageId) {
        return -1;
      }
    };

    /** Whether {@code messageId} is one of this node's probes. */
    boolean isOwn(String messageId);

    /**
     * When this node sent it, the first time a copy of it is heard back; {@code -1} for later
     * copies (repeats, the other address family's) and for MessageIDs not remembered.
     */
    long firstReturn(String messageId);
  }

  /** The responder's settings (from {@code WsDiscoveryConfig}). */
  public record Settings(int pccrrPort, InetAddress advertisedAddress, double maxReplyRatio, int maxMessageBytes) {}

  /** A reply decided now and sent after {@link #delay()}: encode it with {@link #encode} when the delay is over. */
  public record PendingReply(PccrdQuery query, Map<DiscoveryKey, LocalHoldings.Holding> offered, String relatesTo,
      String xaddr, InetSocketAddress to, long budgetBytes, Duration delay) {}

  /** The datagrams of a reply and how many ids each carries (for {@link DiscoveryListener#replySent}). */
  public record Reply(List<byte[]> datagrams, int keysPerDatagram) {}

  private final Settings settings;
  private final WsdCodec codec;
  private final ResponderPolicy policy;
  private final ProbeRateLimiter limiter;
  private final DuplicateMessageFilter duplicates;
  private final OwnProbes ownProbes;
  private final DiscoveryListener listener;
  private final Supplier<SubnetListener> subnet;
  private final String endpointId;
  private final long instanceId;
  private final java.util.random.RandomGenerator random;
  private long messageNumber;
  private InetAddress lastXAddrAddress;
  /** {@link #v1Base} without the RelatesTo, for replies with XAddr {@link #v1BaseXAddr}. */
  private long v1BaseWithoutRelatesTo;
  private String v1BaseXAddr;
  private String lastXAddr;

  /**
   * @param ownProbes this node's own probes (its {@link Prober}), never answered
   * @param subnet the current subnet listener (it may be replaced at any time)
   * @param instanceId the AppSequence InstanceId (Windows 7 uses its start time in seconds, §3.4)
   */
  public Responder(Settings settings, WsdCodec codec, ResponderPolicy policy, ProbeRateLimiter limiter,
      DuplicateMessageFilter duplicates, OwnProbes ownProbes, DiscoveryListener listener,
      Supplier<SubnetListener> subnet, String endpointId, long instanceId, java.util.random.RandomGenerator random) {
    this.settings = settings;
    this.codec = codec;
    this.policy = policy;
    this.limiter = limiter;
    this.duplicates = duplicates;
    this.ownProbes = ownProbes;
    this.listener = listener;
    this.subnet = subnet;
    this.endpointId = endpointId;
    this.instanceId = instanceId;
    this.random = random;
  }

  /**
   * Reports the first copy of this node's own probe {@code messageId} to come back, with its send
   * time: how far behind this listener is (SubnetListener#ownProbeHeard).
   */
  private void ownProbeBack(String messageId) {
    long sentAt = ownProbes.firstReturn(messageId);
    if (sentAt >= 0) {
      try {
        subnet.get().ownProbeHeard(sentAt);
      } catch (RuntimeException e) {
        LOG.warn("discovery: subnet listener failed: {}", e.toString());
      }
    }
  }

  /**
   * Settles a probe datagram before it is decoded when its MessageID ({@link MessageIds#peek})
   * says it is a copy: of a probe already handled (SOAP-over-UDP's repeat, or the same probe on
   * the other address family: counted as a duplicate), or of this node's own probe coming back
   * (its first copy reported to the subnet listener, as {@link #onProbe} does). A probe reaches a
   * dual-stack node up to four times (two families, each repeated once), and decoding every copy
   * slowed a discovery thread short of CPU that already read its subnet seconds late
   * (docs/PERFORMANCE.md, "Discovery's read queue").
   *
   * @return true when the datagram needs nothing more
   */
  public boolean settledBeforeDecoding(byte[] datagram) {
    String id = MessageIds.peek(datagram);
    if (id == null) {
      return false;
    }
    if (ownProbes.isOwn(id)) {
      ownProbeBack(id);
      return true;
    }
    if (duplicates.wasHandled(id)) {
      listener.probeDropped(DiscoveryListener.ProbeDrop.DUPLICATE);
      return true;
    }
    return false;
  }

  /**
   * Decides what to do with a probe that arrived from {@code sender} on a link whose own address
   * is {@code linkAddress}.
   *
   * @param holdings what this node holds, or null when it does not serve (yet)
   * @return the reply to send after its delay, or empty when the probe is not answered (the reason
   *     is reported to the listener)
   */
  public Optional<PendingReply> onProbe(Probe probe, int probeBytes, InetSocketAddress sender, InetAddress linkAddress,
      LocalHoldings holdings) {
    if (ownProbes.isOwn(probe.messageId())) {
      // Our own probe looped back (or a copy of it): never answer ourselves.
      ownProbeBack(probe.messageId());
      return Optional.empty();
    }
    Optional<PccrdQuery> maybe;
    try {
      maybe = PccrdProfile.readProbe(probe);
    } catch (WsdDecodeException | IllegalArgumentException e) {
      listener.malformedDatagram(e.getMessage());
      LOG.debug("discovery: dropped a malformed probe from {}: {}", sender, e.getMessage());
      return Optional.empty();
    }
    if (maybe.isEmpty()) {
      listener.datagramIgnored();
      return Optional.empty();
    }
    PccrdQuery query = maybe.get();
    DuplicateMessageFilter.Sighting sighting = duplicates.sight(probe.messageId());
    if (sighting == DuplicateMessageFilter.Sighting.HANDLED) {
      listener.probeDropped(DiscoveryListener.ProbeDrop.DUPLICATE);
      return Optional.empty();
    }
    HeardProbe heard = new HeardProbe(sender, probe.messageId(), ProbeTag.fromMessageId(probe.messageId()),
        query.form(), query.keys());
    if (sighting == DuplicateMessageFilter.Sighting.NEW) {
      try {
        subnet.get().probeHeard(heard);
      } catch (RuntimeException e) {
        LOG.warn("discovery: subnet listener failed: {}", e.toString());
      }
    }
    if (holdings == null) {
      return Optional.empty();
    }
    // Rate limits come after the duplicate filter and before any work for the answer; what they
    // drop is not marked handled, so the sender's repeat (iPXE: 1 s later) gets another chance.
    switch (limiter.admit(sender.getAddress())) {
      case SOURCE_LIMITED -> {
        listener.probeDropped(DiscoveryListener.ProbeDrop.SOURCE_RATE_LIMITED);
        return Optional.empty();
      }
      case GLOBAL_LIMITED -> {
        listener.probeDropped(DiscoveryListener.ProbeDrop.RATE_LIMITED);
        return Optional.empty();
      }
      case ADMITTED -> duplicates.handled(probe.messageId());
    }
    Map<DiscoveryKey, LocalHoldings.Holding> table = new HashMap<>();
    List<DiscoveryKey> held = new ArrayList<>();
    for (DiscoveryKey k : query.keys()) {
      LocalHoldings.Holding x;
      try {
        x = holdings.holding(k, heard);
      } catch (RuntimeException e) {
        LOG.warn("discovery: LocalHoldings failed for {}: {}", k, e.toString());
        x = LocalHoldings.Holding.NONE;
      }
      if (x != null && (x.blocks() > 0 || x.complete()) && !table.containsKey(k)) {
        table.put(k, x);
        held.add(k);
      }
    }
    if (held.isEmpty()) {
      return Optional.empty(); // PROTOCOL.md §3.7: nothing held, stay silent.
    }
    List<DiscoveryKey> offer = policy.afterSuppression(held);
    if (offer.isEmpty()) {
      listener.probeDropped(DiscoveryListener.ProbeDrop.SUPPRESSED);
      return Optional.empty();
    }
    Map<DiscoveryKey, LocalHoldings.Holding> offered = new HashMap<>();
    offer.forEach(k -> offered.put(k, table.get(k)));
    InetAddress a = settings.advertisedAddress() != null ? settings.advertisedAddress() : linkAddress;
    String xaddr = xaddr(a);
    long budget = (long) Math.floor(probeBytes * settings.maxReplyRatio());
    return Optional.of(new PendingReply(query, offered, probe.messageId(), xaddr, sender, budget, policy.replyDelay()));
  }

  /** The XAddr for {@code a}, the same for every probe of a link: remembered for the last address. */
  private String xaddr(InetAddress a) {
    if (!a.equals(lastXAddrAddress)) {
      lastXAddr = new PeerEndpoint(new InetSocketAddress(a, settings.pccrrPort())).toXAddr();
      lastXAddrAddress = a;
    }
    return lastXAddr;
  }

  /**
   * The datagrams of {@code r}, encoded now (so that AppSequence numbers follow the sending
   * order); held ids left out to keep the byte bound are reported as trimmed. Empty when not even
   * one id fits.
   */
  public Reply encode(PendingReply r) {
    List<byte[]> datagrams = new ArrayList<>();
    int keysSent;
    if (r.query().form() == DiscoveryKey.Form.V2) {
      // The availability array covers every requested id, so a V2 reply is one datagram; its
      // SegmentAges go first when it would not fit the bound.
      ProbeMatches.Match m = PccrdProfile.match(r.query(), r.offered(), endpointId, r.xaddr()).orElse(null);
      if (m == null) {
        return new Reply(List.of(), 0);
      }
      long limit = Math.min(r.budgetBytes(), settings.maxMessageBytes());
      byte[] d = encodeReply(m, r.relatesTo());
      if (d.length > limit && m.segmentAges() != null) {
        d = encodeReply(PccrdProfile.withoutAges(m), r.relatesTo());
      }
      if (d.length > limit) {
        listener.replyTrimmed(r.offered().size());
        return new Reply(List.of(), 0);
      }
      datagrams.add(d);
      keysSent = r.offered().size();
    } else {
      // A V1 answer carries a block count per id, so an id held with none (possible only for a
      // complete segment of zero blocks) cannot be listed; it is neither sent nor trimmed.
      List<DiscoveryKey> keys = new ArrayList<>(r.offered().size());
      for (DiscoveryKey k : r.query().keys()) {
        LocalHoldings.Holding h = r.offered().get(k);
        if (h != null && h.blocks() > 0 && !keys.contains(k)) {
          keys.add(k);
        }
      }
      keysSent = packV1(keys, r, datagrams);
      if (keysSent < keys.size()) {
        listener.replyTrimmed(keys.size() - keysSent);
      }
    }
    return new Reply(datagrams, datagrams.isEmpty() ? 0 : Math.max(1, keysSent / datagrams.size()));
  }

  /** One ProbeMatches datagram with a fresh MessageID and the next AppSequence number. */
  private byte[] encodeReply(ProbeMatches.Match m, String relatesTo) {
    messageNumber++;
    return codec.encode(PccrdProfile.reply(MessageIds.random(random), relatesTo,
        new AppSequence(instanceId, messageNumber & 0xFFFF_FFFFL), List.of(m)));
  }

  /**
   * The bytes of a V1 ProbeMatches for {@code r} with the largest header values and no id, so
   * that one for ids {@code k1..kn} is {@code base + idBytes(k1) + 1 + ... + 1 + idBytes(kn)}:
   * each id adds its hex digits to {@code wsd:Scopes} (a space apart) and 8 hex digits to {@code
   * PeerDist:BlockCount}, all ASCII and never escaped (PROTOCOL.md §3.4). The rest depends only
   * on the endpoint id (fixed), the XAddr (fixed per link) and the RelatesTo: it is measured by
   * encoding once per XAddr, with the RelatesTo "x", and the RelatesTo's own bytes are added.
   */
  private long v1Base(DiscoveryKey first, PendingReply r) {
    if (!r.xaddr().equals(v1BaseXAddr)) {
      ProbeMatches.Match m = PccrdProfile.match(new PccrdQuery(DiscoveryKey.Form.V1, List.of(first)), r.offered(),
          endpointId, r.xaddr()).orElseThrow();
      int size = codec.encode(PccrdProfile.reply("urn:uuid:" + new UUID(-1L, -1L), "x",
          new AppSequence(0xFFFF_FFFFL, 0xFFFF_FFFFL), List.of(m))).length;
      v1BaseWithoutRelatesTo = size - v1IdBytes(first) - 1;
      v1BaseXAddr = r.xaddr();
    }
    return v1BaseWithoutRelatesTo + WsdCodec.textBytes(r.relatesTo());
  }

  /** What one id adds to a V1 ProbeMatches besides its separator: its hex digits and 8 of block count. */
  static int v1IdBytes(DiscoveryKey k) {
    return 2 * k.length() + 8;
  }

  /**
   * Packs the held V1 ids into ProbeMatches datagrams, all together at most the reply budget (the
   * reply/probe bound) and each within the 32 KiB WS-Discovery envelope limit: each datagram
   * takes the longest run of the remaining ids that fits (sizes from {@link #v1Base}, no trial
   * encoding), and packing stops when not even one more id fits.
   *
   * <p>Why not datagrams of at most {@code maxDatagramBytes} (1472)? A ProbeMatches costs about
   * 1,190 bytes before its first id and 73 per id, so only 3 ids fit in 1472 bytes: a probe for 8
   * held ids would cost 3 datagrams, 2.8 times the probe's bytes. One datagram stays below 1.6
   * times any probe it answers; above 3 ids it is IP-fragmented, which a LAN carries.
   *
   * @return how many ids went out
   */
  private int packV1(List<DiscoveryKey> keys, PendingReply r, List<byte[]> out) {
    if (keys.isEmpty()) {
      return 0;
    }
    long base = v1Base(keys.get(0), r);
    long left = r.budgetBytes();
    int from = 0;
    while (from < keys.size()) {
      long limit = Math.min(left, settings.maxMessageBytes());
      long size = base + v1IdBytes(keys.get(from));
      if (size > limit) {
        break;
      }
      int to = from + 1;
      while (to < keys.size() && size + 1 + v1IdBytes(keys.get(to)) <= limit) {
        size += 1 + v1IdBytes(keys.get(to));
        to++;
      }
      List<DiscoveryKey> part = keys.subList(from, to);
      byte[] d = encodeReply(PccrdProfile.match(new PccrdQuery(DiscoveryKey.Form.V1, part), r.offered(), endpointId,
          r.xaddr()).orElseThrow(), r.relatesTo());
      out.add(d);
      left -= d.length;
      from = to;
    }
    return from;
  }
}
