package dev.peerdist.discovery.transport;

import dev.peerdist.discovery.DiscoveryKey;
import dev.peerdist.discovery.DiscoveryListener;
import dev.peerdist.discovery.DiscoveryStats;
import dev.peerdist.discovery.HeardProbe;
import dev.peerdist.discovery.LocalHoldings;
import dev.peerdist.discovery.PeerDirectory;
import dev.peerdist.discovery.PeerEndpoint;
import dev.peerdist.discovery.ProbeMatch;
import dev.peerdist.discovery.SubnetListener;
import dev.peerdist.discovery.pccrd.DuplicateMessageFilter;
import dev.peerdist.discovery.pccrd.PccrdAnswer;
import dev.peerdist.discovery.pccrd.PccrdProfile;
import dev.peerdist.discovery.pccrd.PccrdQuery;
import dev.peerdist.discovery.pccrd.PccrdTiming;
import dev.peerdist.discovery.pccrd.ProbeTag;
import dev.peerdist.discovery.pccrd.ResponderPolicy;
import dev.peerdist.discovery.wsd.AppSequence;
import dev.peerdist.discovery.wsd.Probe;
import dev.peerdist.discovery.wsd.ProbeMatches;
import dev.peerdist.discovery.wsd.UnsupportedActionException;
import dev.peerdist.discovery.wsd.WsdCodec;
import dev.peerdist.discovery.wsd.WsdDecodeException;
import dev.peerdist.discovery.wsd.WsdMessage;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link PeerDirectory} over real PCCRD: WS-Discovery Probe/ProbeMatches by UDP multicast to
 * 239.255.255.250:3702 and [ff02::c]:3702 (PROTOCOL.md §3).
 *
 * <p><b>Sockets.</b> Per address family one <i>responder</i> socket is bound to the wildcard
 * address and the discovery port (SO_REUSEADDR, so several nodes may share a host) and joins the
 * group on every selected interface. Per selected interface and family one <i>prober</i> socket
 * is bound to the interface's address on an ephemeral port, multicasts probes through that
 * interface (TTL 1, loopback on so same-host peers hear them) and receives the unicast replies.
 *
 * <p><b>Responder</b> (§3.6, §3.7): drops malformed datagrams (counted), non-PeerDist traffic,
 * its own probes, repeated MessageIDs and probes over the rate limit; answers only for held
 * segments, after a random back-off in [1 ms, APP_MAX_DELAY], by unicast to the probe's source
 * address and port; applies reply suppression; never sends a datagram over {@code
 * maxDatagramBytes} (V1 replies are split into several ProbeMatches, each with its own
 * MessageID and AppSequence number).
 *
 * <p><b>Prober</b>: splits the keys into probes that fit a datagram, sends each on every
 * selected interface, repeats it once after 50..250 ms (SOAP-over-UDP; responders drop the
 * copy by MessageID), collects ProbeMatches until the wait ends or {@code enoughPeers} peers
 * answered, and drops matches from outside the local subnet.
 *
 * <p><b>Threads.</b> One event-loop thread ({@code pccrd-io-*}) owns all mutable
 * state; futures complete on a separate callback thread ({@code pccrd-callbacks})
 * so that dependent stages never stall the loop. {@link LocalHoldings} is called on the loop.
 * {@link #close()} is idempotent, completes pending probes with what they have, and releases
 * every socket.
 */
public final class WsDiscoveryPeerDirectory implements PeerDirectory {
  private static final Logger LOG = LoggerFactory.getLogger(WsDiscoveryPeerDirectory.class);
  /** Distinct peers one probe() collects at most; a subnet rarely has more holders worth asking. */
  static final int MAX_PEERS_PER_PROBE = 256;

  private final WsDiscoveryConfig config;
  private final WsdCodec codec;
  private final ResponderPolicy policy;
  private final DuplicateMessageFilter duplicates;
  private final DuplicateMessageFilter ownProbes;
  private final DiscoveryListener listener;
  private final EventLoopGroup group;
  private final EventLoop loop;
  private final ExecutorService callbacks;
  private final List<Link> links = new ArrayList<>();
  private final Map<SocketProtocolFamily, DatagramChannel> responders = new HashMap<>();
  private final String endpointId;
  private final long instanceId;
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile LocalHoldings holdings;
  private volatile SubnetListener subnetListener = SubnetListener.NONE;
  private volatile Supplier<ProbeTag> tags;

  // Owned by the event loop.
  /** Probe messages sent, oldest first: live while their call waits or within the late-answer window. */
  private final LinkedHashMap<String, Sent> sent = new LinkedHashMap<>();
  private int callsInFlight;
  private long messageNumber;

  private final AtomicLong probesSent = new AtomicLong();
  private final AtomicLong matchesReceived = new AtomicLong();
  private final AtomicLong repliesSent = new AtomicLong();
  private final AtomicLong malformed = new AtomicLong();
  private final AtomicLong ignored = new AtomicLong();
  private final AtomicLong duplicateCount = new AtomicLong();
  private final AtomicLong rateLimited = new AtomicLong();
  private final AtomicLong suppressed = new AtomicLong();
  private final AtomicLong offSubnet = new AtomicLong();
  private final AtomicLong unsolicited = new AtomicLong();
  private final AtomicLong noAddress = new AtomicLong();

  /** One selected interface in one address family. */
  private static final class Link {
    final NetworkInterface nif;
    final SocketProtocolFamily family;
    final InetAddress local;
    final InetSocketAddress group;
    final List<Subnet> subnets;
    DatagramChannel prober;

    Link(NetworkInterface nif, SocketProtocolFamily family, InetAddress local, InetSocketAddress group, List<Subnet> subnets) {
      this.nif = nif;
      this.family = family;
      this.local = local;
      this.group = group;
      this.subnets = subnets;
    }

    boolean inSubnet(InetAddress a) {
      for (Subnet s : subnets) {
        if (s.contains(a)) {
          return true;
        }
      }
      return false;
    }

    @Override
    public String toString() {
      return nif.getName() + "/" + (family == SocketProtocolFamily.INET ? "IPv4" : "IPv6");
    }
  }

  /** One probe() call: possibly several probe messages, one result. */
  private static final class ProbeCall {
    final CompletableFuture<List<ProbeMatch>> result;
    final int enoughPeers;
    final long startNanos = System.nanoTime();
    final Map<String, PccrdQuery> queries = new LinkedHashMap<>();
    final Map<PeerEndpoint, Acc> byPeer = new LinkedHashMap<>();
    final List<ScheduledFuture<?>> timers = new ArrayList<>();
    boolean done;

    ProbeCall(CompletableFuture<List<ProbeMatch>> result, int enoughPeers) {
      this.result = result;
      this.enoughPeers = enoughPeers;
    }
  }

  /** One probe message this node sent (a probe() call or sendProbe() may send several). */
  private static final class Sent {
    final PccrdQuery query;
    final long sentNanos;
    final ProbeCall call; // null for sendProbe()

    Sent(PccrdQuery query, long sentNanos, ProbeCall call) {
      this.query = query;
      this.sentNanos = sentNanos;
      this.call = call;
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

  private WsDiscoveryPeerDirectory(WsDiscoveryConfig config) {
    this.config = config;
    this.codec = new WsdCodec(config.limits());
    this.listener = config.listener();
    this.policy = new ResponderPolicy(config.clock(), config.random(), config.appMaxDelay(),
        config.probesPerSecond(), config.probeBurst(), config.suppression(), 4096);
    this.duplicates = new DuplicateMessageFilter(config.duplicateMemory());
    this.ownProbes = new DuplicateMessageFilter(4096);
    this.endpointId = "urn:uuid:" + randomUuid();
    // Windows 7 uses the start time in seconds as InstanceId (PROTOCOL.md §3.4).
    this.instanceId = Math.max(0, config.clock().millis() / 1000) & 0xFFFF_FFFFL;
    this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("pccrd-io", true), NioIoHandler.newFactory());
    this.loop = group.next();
    this.callbacks = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "pccrd-callbacks");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Binds the sockets, joins the groups and starts answering (nothing until {@link #serve}).
   *
   * @throws IllegalArgumentException when the configuration names an interface that does not
   *     exist or is down, or no interface qualifies; the message names the key
   * @throws java.io.UncheckedIOException when a socket cannot be bound or no group can be joined
   */
  public static WsDiscoveryPeerDirectory start(WsDiscoveryConfig config) {
    WsDiscoveryPeerDirectory d = new WsDiscoveryPeerDirectory(config);
    try {
      d.open();
      return d;
    } catch (RuntimeException e) {
      d.close();
      throw e;
    }
  }

  private void open() {
    List<NetworkInterface> nifs = selectInterfaces(config.interfaces());
    for (NetworkInterface nif : nifs) {
      if (config.ipv4()) {
        addLink(nif, SocketProtocolFamily.INET, PccrdTiming.IPV4_GROUP);
      }
      if (config.ipv6()) {
        addLink(nif, SocketProtocolFamily.INET6, PccrdTiming.IPV6_GROUP);
      }
    }
    if (links.isEmpty()) {
      throw new IllegalArgumentException("discovery.interfaces: none of " + names(nifs)
          + " has an address of an enabled family (ipv4=" + config.ipv4() + ", ipv6=" + config.ipv6() + ")");
    }
    for (SocketProtocolFamily family : List.of(SocketProtocolFamily.INET, SocketProtocolFamily.INET6)) {
      List<Link> ofFamily = links.stream().filter(l -> l.family == family).toList();
      if (ofFamily.isEmpty()) {
        continue;
      }
      InetAddress any = wildcard(family);
      DatagramChannel responder = bind(family, new InetSocketAddress(any, config.port()), null, true);
      responders.put(family, responder);
      int joined = 0;
      for (Link l : ofFamily) {
        try {
          responder.joinGroup(l.group, l.nif).syncUninterruptibly();
          joined++;
        } catch (RuntimeException e) {
          LOG.warn("discovery: could not join {} on {}: {}", l.group.getAddress().getHostAddress(), l.nif.getName(), e.toString());
        }
      }
      if (joined == 0) {
        throw new java.io.UncheckedIOException(new java.io.IOException(
            "discovery: could not join the multicast group on any of " + ofFamily));
      }
      for (Link l : ofFamily) {
        l.prober = bind(family, new InetSocketAddress(l.local, 0), l, false);
      }
    }
    LOG.debug("discovery: listening on port {} over {}", config.port(), links);
  }

  private static String names(List<NetworkInterface> nifs) {
    return nifs.stream().map(NetworkInterface::getName).toList().toString();
  }

  private static InetAddress wildcard(SocketProtocolFamily family) {
    try {
      return InetAddress.getByAddress(new byte[family == SocketProtocolFamily.INET ? 4 : 16]);
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  private List<NetworkInterface> selectInterfaces(List<String> names) {
    List<NetworkInterface> out = new ArrayList<>();
    try {
      if (!names.isEmpty()) {
        for (String n : names) {
          NetworkInterface nif = NetworkInterface.getByName(n);
          if (nif == null) {
            throw new IllegalArgumentException("discovery.interfaces: no network interface named '" + n + "'");
          }
          if (!nif.isUp()) {
            throw new IllegalArgumentException("discovery.interfaces: network interface '" + n + "' is down");
          }
          out.add(nif);
        }
        return out;
      }
      for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        if (nif.isUp() && !nif.isLoopback() && nif.supportsMulticast() && !nif.isPointToPoint()) {
          out.add(nif);
        }
      }
    } catch (SocketException e) {
      throw new java.io.UncheckedIOException("discovery: cannot list network interfaces", e);
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(
          "discovery.interfaces: no up, multicast-capable, non-loopback interface found; name one (for example lo)");
    }
    return out;
  }

  private void addLink(NetworkInterface nif, SocketProtocolFamily family, String groupText) {
    InetAddress local = null;
    List<Subnet> subnets = new ArrayList<>();
    for (InterfaceAddress ia : nif.getInterfaceAddresses()) {
      InetAddress a = ia.getAddress();
      if (a == null) {
        continue;
      }
      subnets.add(Subnet.of(a.getAddress(), Math.max(0, Math.min(ia.getNetworkPrefixLength(), a.getAddress().length * 8))));
      boolean fits = family == SocketProtocolFamily.INET ? a instanceof Inet4Address : a instanceof Inet6Address;
      if (fits && (local == null || (a.isLinkLocalAddress() && !local.isLinkLocalAddress()))) {
        // IPv6: prefer the link-local address, the scope of ff02::c.
        local = a;
      }
    }
    if (local == null) {
      return;
    }
    if (!config.localSubnets().isEmpty()) {
      subnets = new ArrayList<>(config.localSubnets());
    }
    InetAddress groupAddr = XAddr.parseLiteral(groupText);
    links.add(new Link(nif, family, local, new InetSocketAddress(groupAddr, config.port()), List.copyOf(subnets)));
  }

  private DatagramChannel bind(SocketProtocolFamily family, InetSocketAddress at, Link link, boolean responder) {
    Bootstrap b = new Bootstrap()
        .group(group)
        .channelFactory(() -> new NioDatagramChannel(family))
        .option(ChannelOption.SO_REUSEADDR, responder)
        // One byte more than the decoder accepts, so an oversized datagram is seen as such.
        .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(config.limits().maxMessageBytes() + 1))
        .handler(new Receiver(link, responder));
    if (link != null) {
      b.option(ChannelOption.IP_MULTICAST_IF, link.nif)
          .option(ChannelOption.IP_MULTICAST_TTL, 1)
          .option(ChannelOption.IP_MULTICAST_LOOP_DISABLED, false);
    }
    try {
      return (DatagramChannel) b.bind(at).syncUninterruptibly().channel();
    } catch (RuntimeException e) {
      throw new java.io.UncheckedIOException(new java.io.IOException(
          "discovery: cannot bind UDP " + at + ": " + e.getMessage(), e));
    }
  }

  /** Where this directory answers from, for logs and tests. */
  public List<String> links() {
    return links.stream().map(Link::toString).toList();
  }

  /** A snapshot of the counters. */
  public DiscoveryStats stats() {
    return new DiscoveryStats(probesSent.get(), matchesReceived.get(), repliesSent.get(), malformed.get(), ignored.get(),
        duplicateCount.get(), rateLimited.get(), suppressed.get(), offSubnet.get(), unsolicited.get(), noAddress.get());
  }

  @Override
  public void serve(LocalHoldings holdings) {
    this.holdings = holdings;
  }

  @Override
  public void listen(SubnetListener listener) {
    this.subnetListener = listener == null ? SubnetListener.NONE : listener;
  }

  @Override
  public void tagProbes(Supplier<ProbeTag> tag) {
    this.tags = tag;
  }

  // ---------------------------------------------------------------- prober

  @Override
  public CompletableFuture<List<ProbeMatch>> probe(List<DiscoveryKey> keys, Duration wait, int enoughPeers) {
    PccrdQuery all;
    try {
      if (wait == null || wait.isNegative() || wait.compareTo(Duration.ofMinutes(5)) > 0) {
        throw new IllegalArgumentException("probe wait must be within 0..5 min, got " + wait);
      }
      all = new PccrdQuery(keys.isEmpty() ? DiscoveryKey.Form.V1 : keys.get(0).form(), keys);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<List<ProbeMatch>> result = new CompletableFuture<>();
    if (closed.get()) {
      return CompletableFuture.failedFuture(new IllegalStateException("peer directory is closed"));
    }
    try {
      loop.execute(() -> startProbe(all, wait, enoughPeers, result));
    } catch (RejectedExecutionException e) {
      result.completeExceptionally(new IllegalStateException("peer directory is closed"));
    }
    return result;
  }

  @Override
  public void sendProbe(List<DiscoveryKey> keys) {
    PccrdQuery all = new PccrdQuery(keys.isEmpty() ? DiscoveryKey.Form.V1 : keys.get(0).form(), keys);
    if (closed.get()) {
      return;
    }
    try {
      loop.execute(() -> {
        if (!closed.get()) {
          transmit(all, null, config.lateAnswerWindow().toNanos());
        }
      });
    } catch (RejectedExecutionException e) {
      // Closed meanwhile: fire and forget means nothing to report.
    }
  }

  private void startProbe(PccrdQuery all, Duration wait, int enoughPeers, CompletableFuture<List<ProbeMatch>> result) {
    if (closed.get()) {
      result.completeExceptionally(new IllegalStateException("peer directory is closed"));
      return;
    }
    if (callsInFlight >= config.maxProbesInFlight()) {
      result.completeExceptionally(new IllegalStateException(
          "too many probes in flight (discovery.maxProbesInFlight=" + config.maxProbesInFlight() + ")"));
      return;
    }
    ProbeCall call = new ProbeCall(result, enoughPeers);
    callsInFlight++;
    long waitNanos = wait.toNanos();
    transmit(all, call, waitNanos);
    call.timers.add(loop.schedule(() -> finish(call), waitNanos, TimeUnit.NANOSECONDS));
  }

  /**
   * Sends the probe messages of {@code all} on every link and their repeats within {@code
   * repeatWithinNanos}, remembering each MessageID so that answers can be related to it.
   */
  private void transmit(PccrdQuery all, ProbeCall call, long repeatWithinNanos) {
    List<byte[]> datagrams = new ArrayList<>();
    long now = System.nanoTime();
    for (PccrdQuery q : splitQuery(all)) {
      String id = newMessageId();
      byte[] bytes = codec.encode(PccrdProfile.probe(id, q));
      if (call != null) {
        call.queries.put(id, q);
      }
      remember(id, new Sent(q, now, call));
      ownProbes.firstSighting(id);
      datagrams.add(bytes);
    }
    sendProbes(datagrams, all.keys().size());
    long at = 0;
    for (int i = 0; i < config.probeRepeats(); i++) {
      at += between(config.repeatDelayMin(), config.repeatDelayMax());
      if (at >= repeatWithinNanos) {
        break;
      }
      ScheduledFuture<?> t = loop.schedule(() -> {
        if (!closed.get() && (call == null || !call.done)) {
          sendProbes(datagrams, all.keys().size());
        }
      }, at, TimeUnit.NANOSECONDS);
      if (call != null) {
        call.timers.add(t);
      }
    }
  }

  /** A MessageID carrying the current {@link ProbeTag} when one is set, else a random v4 UUID. */
  private String newMessageId() {
    Supplier<ProbeTag> t = tags;
    if (t != null) {
      try {
        ProbeTag tag = t.get();
        if (tag != null) {
          return tag.toMessageId(config.random());
        }
      } catch (RuntimeException e) {
        LOG.warn("discovery: probe tag supplier failed; probe sent untagged: {}", e.toString());
      }
    }
    return "urn:uuid:" + randomUuid();
  }

  /**
   * Records a sent MessageID and forgets those no answer may relate to any more: older than the
   * late-answer window and not waited for, and beyond {@code sentProbeMemory} the oldest ones not
   * waited for (bounded memory whatever the caller sends).
   */
  private void remember(String id, Sent s) {
    long window = config.lateAnswerWindow().toNanos();
    for (Iterator<Sent> it = sent.values().iterator(); it.hasNext(); ) {
      Sent old = it.next();
      if (s.sentNanos - old.sentNanos <= window) {
        break;
      }
      if (!old.waiting()) {
        it.remove();
      }
    }
    for (Iterator<Sent> it = sent.values().iterator(); it.hasNext() && sent.size() >= config.sentProbeMemory(); ) {
      if (!it.next().waiting()) {
        it.remove();
      }
    }
    sent.put(id, s);
  }

  private long between(Duration min, Duration max) {
    long lo = min.toNanos();
    long hi = max.toNanos();
    return hi <= lo ? lo : lo + config.random().nextLong(hi - lo + 1);
  }

  /** Splits a query into probes whose encoding fits {@code maxDatagramBytes}. */
  private List<PccrdQuery> splitQuery(PccrdQuery all) {
    List<PccrdQuery> out = new ArrayList<>();
    List<DiscoveryKey> keys = all.keys();
    int from = 0;
    while (from < keys.size()) {
      int to = Math.min(keys.size(), from + (all.form() == DiscoveryKey.Form.V2 ? 255 : keys.size()));
      // Shrink until it fits; one key always fits (at most 64 bytes of id).
      while (to - from > 1 && codec.encode(PccrdProfile.probe("urn:uuid:" + new UUID(0, 0), new PccrdQuery(all.form(),
          keys.subList(from, to)))).length > config.maxDatagramBytes()) {
        to = from + Math.max(1, (to - from) / 2);
      }
      out.add(new PccrdQuery(all.form(), keys.subList(from, to)));
      from = to;
    }
    return out;
  }

  private void sendProbes(List<byte[]> datagrams, int keys) {
    for (Link l : links) {
      for (byte[] d : datagrams) {
        l.prober.writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(d), l.group)).addListener(f -> {
          if (f.isSuccess()) {
            probesSent.incrementAndGet();
            listener.probeSent(keys);
          } else {
            LOG.debug("discovery: probe not sent on {}: {}", l, f.cause().toString());
          }
        });
      }
    }
  }

  private void onProbeMatches(ProbeMatches pm, InetSocketAddress sender, Link link) {
    Sent s = sent.get(pm.relatesTo());
    long now = System.nanoTime();
    if (s == null || (!s.waiting() && now - s.sentNanos > config.lateAnswerWindow().toNanos())) {
      unsolicited.incrementAndGet();
      listener.matchDropped(DiscoveryListener.MatchDrop.UNSOLICITED);
      return;
    }
    // PROTOCOL.md §3.1: replies must come from the local subnet; others are dropped.
    if (config.checkSubnet() && !link.inSubnet(sender.getAddress())) {
      offSubnet.incrementAndGet();
      listener.matchDropped(DiscoveryListener.MatchDrop.OFF_SUBNET);
      LOG.debug("discovery: dropped a ProbeMatches from off-subnet {}", sender);
      return;
    }
    ProbeCall call = s.waiting() ? s.call : null;
    Duration latency = Duration.ofNanos(now - s.sentNanos);
    for (ProbeMatches.Match m : pm.matches()) {
      PccrdAnswer a;
      try {
        a = PccrdProfile.readMatch(s.query, m);
      } catch (WsdDecodeException e) {
        countMalformed(sender, e);
        continue;
      }
      if (a.blocksHeld().isEmpty()) {
        continue;
      }
      PeerEndpoint peer = null;
      for (String x : a.xaddrs()) {
        PeerEndpoint p = XAddr.parse(x, link.nif);
        if (p != null && (!config.checkSubnet() || link.inSubnet(p.address().getAddress())
            || p.address().getAddress().equals(sender.getAddress()))) {
          peer = p;
          break;
        }
      }
      if (peer == null) {
        noAddress.incrementAndGet();
        listener.matchDropped(DiscoveryListener.MatchDrop.NO_ADDRESS);
        continue;
      }
      a.blocksHeld().keySet().forEach(k -> policy.observeReply(k, Boolean.TRUE.equals(a.complete().get(k))));
      matchesReceived.incrementAndGet();
      listener.matchReceived(latency);
      ProbeMatch heard = new ProbeMatch(peer, a.blocksHeld(), a.complete(), latency, a.endpointId());
      notifyListener(l -> l.matchReceived(heard));
      if (call == null || (!call.byPeer.containsKey(peer) && call.byPeer.size() >= MAX_PEERS_PER_PROBE)) {
        continue; // Late, or bounded memory under a flood of forged answers.
      }
      Acc acc = call.byPeer.computeIfAbsent(peer, p -> new Acc(latency, a.endpointId()));
      acc.blocks.putAll(a.blocksHeld());
      acc.complete.putAll(a.complete());
    }
    if (call != null && call.enoughPeers > 0 && call.byPeer.size() >= call.enoughPeers) {
      finish(call);
    }
  }

  /** Calls the subnet listener on this (discovery) thread; its failures are logged, never spread. */
  private void notifyListener(java.util.function.Consumer<SubnetListener> event) {
    try {
      event.accept(subnetListener);
    } catch (RuntimeException e) {
      LOG.warn("discovery: subnet listener failed: {}", e.toString());
    }
  }

  private void finish(ProbeCall call) {
    if (call.done) {
      return;
    }
    call.done = true;
    callsInFlight--;
    call.timers.forEach(t -> t.cancel(false));
    // The MessageIDs stay in `sent` for the late-answer window: later answers reach the listener.
    List<ProbeMatch> out = new ArrayList<>(call.byPeer.size());
    call.byPeer.forEach((peer, acc) -> out.add(new ProbeMatch(peer, acc.blocks, acc.complete, acc.latency, acc.endpointId)));
    listener.probeCompleted(out.size(), Duration.ofNanos(System.nanoTime() - call.startNanos));
    List<ProbeMatch> result = List.copyOf(out);
    try {
      callbacks.execute(() -> call.result.complete(result));
    } catch (RejectedExecutionException e) {
      call.result.complete(result);
    }
  }

  // ---------------------------------------------------------------- responder

  private void onProbe(Probe probe, InetSocketAddress sender, Channel ch) {
    if (ownProbes.contains(probe.messageId())) {
      return; // Our own probe looped back (or a copy of it): never answer ourselves.
    }
    Optional<PccrdQuery> maybe;
    try {
      maybe = PccrdProfile.readProbe(probe);
    } catch (WsdDecodeException | IllegalArgumentException e) {
      countMalformed(sender, e);
      return;
    }
    if (maybe.isEmpty()) {
      ignored.incrementAndGet();
      return;
    }
    if (!duplicates.firstSighting(probe.messageId())) {
      duplicateCount.incrementAndGet();
      listener.probeDropped(DiscoveryListener.ProbeDrop.DUPLICATE);
      return;
    }
    PccrdQuery query = maybe.get();
    HeardProbe heard = new HeardProbe(sender, probe.messageId(), ProbeTag.fromMessageId(probe.messageId()),
        query.form(), query.keys());
    notifyListener(l -> l.probeHeard(heard));
    LocalHoldings h = holdings;
    if (h == null) {
      return;
    }
    if (!policy.admitProbe()) {
      rateLimited.incrementAndGet();
      listener.probeDropped(DiscoveryListener.ProbeDrop.RATE_LIMITED);
      return;
    }
    Map<DiscoveryKey, LocalHoldings.Holding> table = new HashMap<>();
    List<DiscoveryKey> held = new ArrayList<>();
    for (DiscoveryKey k : query.keys()) {
      LocalHoldings.Holding x;
      try {
        x = h.holding(k, heard);
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
      return; // PROTOCOL.md §3.7: nothing held, stay silent.
    }
    List<DiscoveryKey> offer = policy.afterSuppression(held);
    if (offer.isEmpty()) {
      suppressed.incrementAndGet();
      listener.probeDropped(DiscoveryListener.ProbeDrop.SUPPRESSED);
      return;
    }
    Map<DiscoveryKey, LocalHoldings.Holding> offered = new HashMap<>();
    offer.forEach(k -> offered.put(k, table.get(k)));
    String xaddr = advertisedXAddr(sender);
    Duration delay = policy.replyDelay();
    ch.eventLoop().schedule(() -> sendReply(query, offered, probe.messageId(), xaddr, sender, ch),
        delay.toNanos(), TimeUnit.NANOSECONDS);
  }

  private String advertisedXAddr(InetSocketAddress sender) {
    InetAddress a = config.advertisedAddress();
    if (a == null) {
      boolean v4 = sender.getAddress() instanceof Inet4Address;
      Link best = null;
      for (Link l : links) {
        boolean sameFamily = (l.family == SocketProtocolFamily.INET) == v4;
        if (sameFamily && (best == null || l.inSubnet(sender.getAddress()))) {
          best = l;
        }
      }
      a = best != null ? best.local : links.get(0).local;
    }
    return new PeerEndpoint(new InetSocketAddress(a, config.pccrrPort())).toXAddr();
  }

  private void sendReply(PccrdQuery query, Map<DiscoveryKey, LocalHoldings.Holding> offered, String relatesTo,
      String xaddr, InetSocketAddress to, Channel ch) {
    if (closed.get()) {
      return;
    }
    List<ProbeMatches.Match> parts = new ArrayList<>();
    if (query.form() == DiscoveryKey.Form.V2) {
      // The availability array covers every requested id, so a V2 reply is never split.
      PccrdProfile.match(query, offered, endpointId, xaddr).ifPresent(parts::add);
    } else {
      List<DiscoveryKey> keys = query.keys().stream().filter(offered::containsKey).distinct().toList();
      packV1(keys, offered, relatesTo, xaddr, parts);
    }
    for (ProbeMatches.Match part : parts) {
      messageNumber++;
      byte[] d = codec.encode(PccrdProfile.reply("urn:uuid:" + randomUuid(), relatesTo,
          new AppSequence(instanceId, messageNumber & 0xFFFF_FFFFL), List.of(part)));
      if (d.length > config.maxDatagramBytes()) {
        LOG.debug("discovery: reply of {} bytes exceeds discovery.maxDatagramBytes; not sent", d.length);
        listener.probeDropped(DiscoveryListener.ProbeDrop.SEND_FAILED);
        continue;
      }
      int count = part.scopes().size();
      ch.writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(d), to)).addListener(f -> {
        if (f.isSuccess()) {
          repliesSent.incrementAndGet();
          listener.replySent(count);
        } else {
          listener.probeDropped(DiscoveryListener.ProbeDrop.SEND_FAILED);
          LOG.debug("discovery: reply to {} not sent: {}", to, f.cause().toString());
        }
      });
    }
  }

  /**
   * Splits V1 matches until each one's ProbeMatches fits {@code maxDatagramBytes}, measured with
   * the largest header values (a full-length MessageID and 10-digit AppSequence numbers).
   */
  private void packV1(List<DiscoveryKey> keys, Map<DiscoveryKey, LocalHoldings.Holding> offered, String relatesTo,
      String xaddr, List<ProbeMatches.Match> out) {
    if (keys.isEmpty()) {
      return;
    }
    Optional<ProbeMatches.Match> m =
        PccrdProfile.match(new PccrdQuery(DiscoveryKey.Form.V1, keys), offered, endpointId, xaddr);
    if (m.isEmpty()) {
      return;
    }
    int size = codec.encode(PccrdProfile.reply("urn:uuid:" + new UUID(-1L, -1L), relatesTo,
        new AppSequence(0xFFFF_FFFFL, 0xFFFF_FFFFL), List.of(m.get()))).length;
    if (size <= config.maxDatagramBytes() || keys.size() == 1) {
      out.add(m.get());
      return;
    }
    int half = keys.size() / 2;
    packV1(keys.subList(0, half), offered, relatesTo, xaddr, out);
    packV1(keys.subList(half, keys.size()), offered, relatesTo, xaddr, out);
  }

  // ---------------------------------------------------------------- receiving

  private void countMalformed(InetSocketAddress sender, RuntimeException e) {
    malformed.incrementAndGet();
    listener.malformedDatagram(e.getMessage());
    LOG.debug("discovery: dropped a malformed datagram from {}: {}", sender, e.getMessage());
  }

  /** Decodes datagrams and dispatches them on the event loop. */
  private final class Receiver extends SimpleChannelInboundHandler<DatagramPacket> {
    private final Link link;
    private final boolean responder;

    Receiver(Link link, boolean responder) {
      this.link = link;
      this.responder = responder;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
      if (closed.get()) {
        return;
      }
      InetSocketAddress sender = packet.sender();
      byte[] bytes = ByteBufUtil.getBytes(packet.content());
      WsdMessage msg;
      try {
        msg = codec.decode(bytes);
      } catch (UnsupportedActionException e) {
        ignored.incrementAndGet();
        return;
      } catch (WsdDecodeException e) {
        countMalformed(sender, e);
        return;
      }
      if (responder && msg instanceof Probe p) {
        onProbe(p, sender, ctx.channel());
      } else if (!responder && msg instanceof ProbeMatches pm) {
        onProbeMatches(pm, sender, link);
      } else {
        ignored.incrementAndGet();
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      LOG.debug("discovery: socket error on {}: {}", ctx.channel(), cause.toString());
    }
  }

  private UUID randomUuid() {
    long msb = config.random().nextLong();
    long lsb = config.random().nextLong();
    // Version 4, IETF variant.
    msb = (msb & ~0xF000L) | 0x4000L;
    lsb = (lsb & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
    return new UUID(msb, lsb);
  }

  // ---------------------------------------------------------------- closing

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    Runnable shutdown = () -> {
      sent.values().stream().map(x -> x.call).filter(c -> c != null && !c.done).distinct().toList()
          .forEach(this::finish);
      links.forEach(l -> {
        if (l.prober != null) {
          l.prober.close();
        }
      });
      responders.values().forEach(Channel::close);
    };
    if (loop.inEventLoop()) {
      shutdown.run();
    } else {
      try {
        loop.submit(shutdown).awaitUninterruptibly(5, TimeUnit.SECONDS);
      } catch (RejectedExecutionException e) {
        // The loop is already gone; channels were closed with it.
      }
    }
    var terminated = group.shutdownGracefully(0, 200, TimeUnit.MILLISECONDS);
    if (!loop.inEventLoop()) {
      terminated.awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
    callbacks.shutdown();
  }
}
