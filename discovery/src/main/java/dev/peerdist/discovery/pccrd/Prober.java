package dev.peerdist.discovery.pccrd;

import dev.peerdist.discovery.DiscoveryKey;
import dev.peerdist.discovery.DiscoveryListener;
import dev.peerdist.discovery.PeerEndpoint;
import dev.peerdist.discovery.ProbeMatch;
import dev.peerdist.discovery.SubnetListener;
import dev.peerdist.discovery.wsd.ProbeMatches;
import dev.peerdist.discovery.wsd.WsdCodec;
import dev.peerdist.discovery.wsd.WsdDecodeException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PCCRD prober as a pure state machine (PROTOCOL.md §3.5, §3.6): which probe datagrams to
 * send and when to repeat them, which answers relate to which probe, and what a probe call
 * collected. No sockets and no timers: the transport ({@code transport.WsDiscoveryPeerDirectory})
 * sends the datagrams {@link #transmit} returns at the offsets it names, feeds decoded
 * ProbeMatches to {@link #onProbeMatches}, and {@link #finish finishes} a call when its wait is
 * over. Time comes from an injected nanosecond clock, random choices from an injected generator.
 *
 * <p>Keys are split into probes that fit a datagram; each is repeated after a random delay
 * (SOAP-over-UDP; responders drop the copy by MessageID); answers are collected until the wait
 * ends or {@code enoughPeers} peers answered, answers from outside the local subnet are dropped,
 * and every usable answer also reaches the {@link SubnetListener}, late ones within {@code
 * lateAnswerWindow} included. Memory is bounded: at most {@code sentProbeMemory} MessageIDs that
 * no call waits for, and {@link #MAX_PEERS_PER_PROBE} peers per call.
 *
 * <p>Every event is reported to one {@link DiscoveryListener} (the directory's counters). Not
 * thread-safe: one thread (the directory's event loop) owns it.
 */
public final class Prober implements Responder.OwnProbes {
  private static final Logger LOG = LoggerFactory.getLogger(Prober.class);
  /** Distinct peers one probe call collects at most; a subnet rarely has more holders worth asking. */
  public static final int MAX_PEERS_PER_PROBE = 256;

  /** The prober's settings (from {@code WsDiscoveryConfig}). */
  public record Settings(int maxDatagramBytes, int probeRepeats, Duration repeatDelayMin, Duration repeatDelayMax,
      Duration lateAnswerWindow, int sentProbeMemory, int maxProbesInFlight, boolean checkSubnet) {}

  /** What to send: the datagrams now, and again at each offset (nanoseconds from now). */
  public record Transmission(List<byte[]> datagrams, int keys, List<Long> repeatAtNanos) {}

  /**
   * One probe call: possibly several probe messages, one result. The transport keeps its timers
   * here so that {@link #finish} can hand them back for cancelling.
   */
  public static final class Call {
    private final CompletableFuture<List<ProbeMatch>> result;
    private final int enoughPeers;
    private final long startNanos;
    private final Map<PeerEndpoint, Acc> byPeer = new LinkedHashMap<>();
    private final List<Future<?>> timers = new ArrayList<>();
    private boolean done;

    private Call(CompletableFuture<List<ProbeMatch>> result, int enoughPeers, long startNanos) {
      this.result = result;
      this.enoughPeers = enoughPeers;
      this.startNanos = startNanos;
    }

    /** The caller's future; the transport completes it with {@link #finish}'s list. */
    public CompletableFuture<List<ProbeMatch>> result() {
      return result;
    }

    /** Timers of this call (its end, its repeats), cancelled when it finishes. */
    public List<Future<?>> timers() {
      return timers;
    }

    /** Whether the call has its result. */
    public boolean done() {
      return done;
    }
  }

  /**
   * One probe message this node sent (a call or a fire-and-forget probe may send several);
   * {@code returned}: a copy of it came back through this node's own listener ({@link #firstReturn}).
   */
  private record Sent(PccrdQuery query, long sentNanos, Call call, boolean returned) {
    Sent(PccrdQuery query, long sentNanos, Call call) {
      this(query, sentNanos, call, false);
    }

    boolean waiting() {
      return call != null && !call.done;
    }
  }

  /** Merged answers of one peer (a peer may answer in several datagrams). */
  private static final class Acc {
    final Map<DiscoveryKey, Integer> blocks = new LinkedHashMap<>();
    final Map<DiscoveryKey, Boolean> complete = new LinkedHashMap<>();
    final Duration latency;
    final String endpointId;

    Acc(Duration latency, String endpointId) {
      this.latency = latency;
      this.endpointId = endpointId;
    }
  }

  private final Settings settings;
  private final WsdCodec codec;
  private final ResponderPolicy policy;
  private final DiscoveryListener listener;
  private final Supplier<SubnetListener> subnet;
  private final Supplier<Supplier<ProbeTag>> tags;
  private final RandomGenerator random;
  private final LongSupplier nanos;
  private final DuplicateMessageFilter ownProbes = new DuplicateMessageFilter(4096);
  /** Probe messages sent, oldest first: live while their call waits or within the late-answer window. */
  private final LinkedHashMap<String, Sent> sent = new LinkedHashMap<>();
  private int callsInFlight;

  /**
   * @param policy reply suppression learns from the answers this node hears
   * @param subnet the current subnet listener (it may be replaced at any time)
   * @param tags the current probe tag supplier, or a supplier of null for untagged probes
   * @param nanos a monotonic clock in nanoseconds ({@code System::nanoTime} in production)
   */
  public Prober(Settings settings, WsdCodec codec, ResponderPolicy policy, DiscoveryListener listener,
      Supplier<SubnetListener> subnet, Supplier<Supplier<ProbeTag>> tags, RandomGenerator random, LongSupplier nanos) {
    this.settings = settings;
    this.codec = codec;
    this.policy = policy;
    this.listener = listener;
    this.subnet = subnet;
    this.tags = tags;
    this.random = random;
    this.nanos = nanos;
  }

  /** Whether {@code messageId} is one of this node's probes (the responder never answers them). */
  @Override
  public boolean isOwn(String messageId) {
    return ownProbes.contains(messageId);
  }

  /**
   * When this node sent its probe {@code messageId}, the first time a copy of it comes back; {@code
   * -1} for the copies after it (its repeat, the other address family's), which would report the
   * listener later than it is by the repeat's delay, and for a MessageID no longer remembered
   * (within {@code lateAnswerWindow} it is) or not ours.
   */
  @Override
  public long firstReturn(String messageId) {
    Sent s = sent.get(messageId);
    if (s == null || s.returned()) {
      return -1;
    }
    sent.put(messageId, new Sent(s.query(), s.sentNanos(), s.call(), true)); // same place in the order
    return s.sentNanos();
  }

  /**
   * Opens a probe call that completes {@code result}.
   *
   * @throws IllegalStateException when {@code maxProbesInFlight} calls are open
   */
  public Call open(CompletableFuture<List<ProbeMatch>> result, int enoughPeers) {
    if (callsInFlight >= settings.maxProbesInFlight()) {
      throw new IllegalStateException(
          "too many probes in flight (discovery.maxProbesInFlight=" + settings.maxProbesInFlight() + ")");
    }
    callsInFlight++;
    return new Call(result, enoughPeers, nanos.getAsLong());
  }

  /**
   * The probe messages of {@code all} and when to repeat them (within {@code repeatWithinNanos}),
   * remembering each MessageID so that answers can be related to it.
   *
   * @param call the call waiting for answers, or null for a fire-and-forget probe
   * @param tag what the MessageIDs carry, or null for the current tag supplier's
   */
  public Transmission transmit(PccrdQuery all, Call call, long repeatWithinNanos, ProbeTag tag) {
    List<byte[]> datagrams = new ArrayList<>();
    long now = nanos.getAsLong();
    for (PccrdQuery q : split(all)) {
      String id = newMessageId(tag);
      remember(id, new Sent(q, now, call));
      ownProbes.firstSighting(id);
      datagrams.add(codec.encode(PccrdProfile.probe(id, q)));
    }
    List<Long> repeats = new ArrayList<>();
    long at = 0;
    for (int i = 0; i < settings.probeRepeats(); i++) {
      at += between(settings.repeatDelayMin(), settings.repeatDelayMax());
      if (at >= repeatWithinNanos) {
        break;
      }
      repeats.add(at);
    }
    return new Transmission(List.copyOf(datagrams), all.keys().size(), List.copyOf(repeats));
  }

  /** Whether a repeat of {@code call}'s probes (null: fire-and-forget) is still wanted. */
  public static boolean wanted(Call call) {
    return call == null || !call.done;
  }

  /**
   * Takes in a ProbeMatches that arrived from {@code sender}.
   *
   * @param inSubnet whether an address is in the local subnets of the link it arrived on
   * @param xaddr reads an XAddrs item into an endpoint (null when unusable), scoped to that link
   * @return the call that has enough peers now and should be {@link #finish finished}, or null
   */
  public Call onProbeMatches(ProbeMatches pm, InetAddress sender, Predicate<InetAddress> inSubnet,
      Function<String, PeerEndpoint> xaddr) {
    Sent s = sent.get(pm.relatesTo());
    long now = nanos.getAsLong();
    if (s == null || (!s.waiting() && now - s.sentNanos() > settings.lateAnswerWindow().toNanos())) {
      listener.matchDropped(DiscoveryListener.MatchDrop.UNSOLICITED);
      return null;
    }
    // PROTOCOL.md §3.1: replies must come from the local subnet; others are dropped.
    if (settings.checkSubnet() && !inSubnet.test(sender)) {
      listener.matchDropped(DiscoveryListener.MatchDrop.OFF_SUBNET);
      LOG.debug("discovery: dropped a ProbeMatches from off-subnet {}", sender);
      return null;
    }
    Call call = s.waiting() ? s.call() : null;
    Duration latency = Duration.ofNanos(now - s.sentNanos());
    for (ProbeMatches.Match m : pm.matches()) {
      PccrdAnswer a;
      try {
        a = PccrdProfile.readMatch(s.query(), m);
      } catch (WsdDecodeException e) {
        listener.malformedDatagram(e.getMessage());
        LOG.debug("discovery: dropped a malformed match from {}: {}", sender, e.getMessage());
        continue;
      }
      if (a.blocksHeld().isEmpty()) {
        continue;
      }
      PeerEndpoint peer = null;
      for (String x : a.xaddrs()) {
        PeerEndpoint p = xaddr.apply(x);
        if (p != null && (!settings.checkSubnet() || inSubnet.test(p.address().getAddress())
            || p.address().getAddress().equals(sender))) {
          peer = p;
          break;
        }
      }
      if (peer == null) {
        listener.matchDropped(DiscoveryListener.MatchDrop.NO_ADDRESS);
        continue;
      }
      a.blocksHeld().keySet().forEach(k -> policy.observeReply(k, Boolean.TRUE.equals(a.complete().get(k))));
      listener.matchReceived(latency);
      ProbeMatch heard = new ProbeMatch(peer, a.blocksHeld(), a.complete(), latency, a.endpointId());
      try {
        subnet.get().matchReceived(heard);
      } catch (RuntimeException e) {
        LOG.warn("discovery: subnet listener failed: {}", e.toString());
      }
      if (call == null || (!call.byPeer.containsKey(peer) && call.byPeer.size() >= MAX_PEERS_PER_PROBE)) {
        continue; // Late, or bounded memory under a flood of forged answers.
      }
      Acc acc = call.byPeer.computeIfAbsent(peer, p -> new Acc(latency, a.endpointId()));
      acc.blocks.putAll(a.blocksHeld());
      acc.complete.putAll(a.complete());
    }
    if (call != null && call.enoughPeers > 0 && call.byPeer.size() >= call.enoughPeers) {
      return call;
    }
    return null;
  }

  /**
   * Ends {@code call}: what it collected, one entry per peer; null when it had ended already. The
   * transport cancels {@link Call#timers()} and completes {@link Call#result()} with the list.
   * Its MessageIDs stay remembered for the late-answer window, so later answers still reach the
   * subnet listener.
   */
  public List<ProbeMatch> finish(Call call) {
    if (call.done) {
      return null;
    }
    call.done = true;
    callsInFlight--;
    List<ProbeMatch> out = new ArrayList<>(call.byPeer.size());
    call.byPeer.forEach((peer, acc) -> out.add(new ProbeMatch(peer, acc.blocks, acc.complete, acc.latency,
        acc.endpointId)));
    listener.probeCompleted(out.size(), Duration.ofNanos(nanos.getAsLong() - call.startNanos));
    return List.copyOf(out);
  }

  /** The calls still waiting (to finish them when the directory closes). */
  public List<Call> waiting() {
    return sent.values().stream().map(Sent::call).filter(c -> c != null && !c.done).distinct().toList();
  }

  /**
   * A MessageID carrying {@code given}, else the current {@link ProbeTag} when one is set, else a
   * random v4 UUID.
   */
  private String newMessageId(ProbeTag given) {
    if (given != null) {
      return given.toMessageId(random);
    }
    Supplier<ProbeTag> t = tags.get();
    if (t != null) {
      try {
        ProbeTag tag = t.get();
        if (tag != null) {
          return tag.toMessageId(random);
        }
      } catch (RuntimeException e) {
        LOG.warn("discovery: probe tag supplier failed; probe sent untagged: {}", e.toString());
      }
    }
    return MessageIds.random(random);
  }

  /**
   * Records a sent MessageID and forgets those no answer may relate to any more: older than the
   * late-answer window and not waited for, and beyond {@code sentProbeMemory} the oldest ones not
   * waited for (bounded memory whatever the caller sends).
   */
  private void remember(String id, Sent s) {
    long window = settings.lateAnswerWindow().toNanos();
    for (Iterator<Sent> it = sent.values().iterator(); it.hasNext(); ) {
      Sent old = it.next();
      if (s.sentNanos() - old.sentNanos() <= window) {
        break;
      }
      if (!old.waiting()) {
        it.remove();
      }
    }
    for (Iterator<Sent> it = sent.values().iterator(); it.hasNext() && sent.size() >= settings.sentProbeMemory(); ) {
      if (!it.next().waiting()) {
        it.remove();
      }
    }
    sent.put(id, s);
  }

  /** How many MessageIDs are remembered (bounded by {@code sentProbeMemory} plus those waited for). */
  public int remembered() {
    return sent.size();
  }

  private long between(Duration min, Duration max) {
    long lo = min.toNanos();
    long hi = max.toNanos();
    return hi <= lo ? lo : lo + random.nextLong(hi - lo + 1);
  }

  /** Splits a query into probes whose encoding fits {@code maxDatagramBytes}. */
  private List<PccrdQuery> split(PccrdQuery all) {
    List<PccrdQuery> out = new ArrayList<>();
    List<DiscoveryKey> keys = all.keys();
    int from = 0;
    while (from < keys.size()) {
      int to = Math.min(keys.size(), from + (all.form() == DiscoveryKey.Form.V2 ? 255 : keys.size()));
      // Shrink until it fits; one key always fits (at most 64 bytes of id).
      while (to - from > 1 && codec.encode(PccrdProfile.probe("urn:uuid:" + new UUID(0, 0), new PccrdQuery(all.form(),
          keys.subList(from, to)))).length > settings.maxDatagramBytes()) {
        to = from + Math.max(1, (to - from) / 2);
      }
      out.add(new PccrdQuery(all.form(), keys.subList(from, to)));
      from = to;
    }
    return out;
  }
}
