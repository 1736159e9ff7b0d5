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
import dev.peerdist.discovery.pccrd.ProbeRateLimiter;
import dev.peerdist.discovery.pccrd.ProbeTag;
import dev.peerdist.discovery.pccrd.ResponderPolicy;
import dev.peerdist.discovery.transport.LinkCandidates.Candidate;
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
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
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
 * <p><b>Links.</b> Discovery works per <i>link</i>, one selected interface in one address family.
 * A link has a <i>responder</i> socket bound to the group address and the discovery port
 * (239.255.255.250, or ff02::c scoped to the interface; SO_REUSEADDR so several nodes may share a
 * host) that joins the group on that interface only, and a <i>prober</i> socket bound to the
 * interface's address on an ephemeral port that multicasts probes through it (TTL 1, loopback on
 * so same-host peers hear them) and receives the unicast replies. On Linux the sockets use epoll
 * with IP_MULTICAST_ALL off, so a responder hears only probes that arrived on its own interface;
 * the interface a probe came in on is therefore known, and neither unicast datagrams to port
 * 3702 nor traffic of other interfaces reach it. Elsewhere (NIO) a responder may also hear the
 * group on other interfaces joined by other sockets of the host; the subnet check still applies.
 *
 * <p><b>Interfaces come and go.</b> Links are opened from what is usable at start (an IPv6
 * address still in duplicate-address detection cannot be bound yet, and does not stop the
 * start) and re-checked every {@code interfacePollInterval} on the {@code pccrd-links} thread:
 * links whose address became usable are added, links whose interface or address vanished are
 * closed (leaving the group). Only a named interface that does not exist stops the start.
 *
 * <p><b>Responder</b> (§3.6, §3.7): drops datagrams from outside the local subnets of the
 * interface they arrived on, malformed ones (counted), non-PeerDist traffic, its own probes and
 * repeats of a MessageID it handled; reports every new probe to the {@link SubnetListener};
 * applies the per-source and global rate limits (a probe they drop is not remembered, so its
 * sender's repeat is processed); answers only for held segments, after a random back-off in
 * [1 ms, APP_MAX_DELAY], by unicast to the probe's source address and port; applies reply
 * suppression; sends at most {@code maxReplyRatio} times the probe's bytes in all (held ids that
 * do not fit are left out, counted), in one datagram unless it would exceed the 32 KiB envelope
 * limit (then several ProbeMatches, each with its own MessageID and AppSequence number).
 *
 * <p><b>Prober</b>: splits the keys into probes that fit a datagram, sends each on every link,
 * repeats it once after 50..250 ms (SOAP-over-UDP; responders drop the copy by MessageID),
 * collects ProbeMatches until the wait ends or {@code enoughPeers} peers answered, and drops
 * matches from outside the local subnet. Every usable match also reaches the listener, including
 * late ones within {@code lateAnswerWindow}.
 *
 * <p><b>Threads.</b> One event-loop thread ({@code pccrd-io-*}) owns all protocol state; futures
 * complete on a separate callback thread ({@code pccrd-callbacks}) so that dependent stages never
 * stall the loop; links are opened and closed on {@code pccrd-links}. {@link LocalHoldings} and
 * the listener are called on the loop. {@link #close()} is idempotent, completes pending probes
 * with what they have, and releases every socket.
 */
public final class WsDiscoveryPeerDirectory implements PeerDirectory {
  private static final Logger LOG = LoggerFactory.getLogger(WsDiscoveryPeerDirectory.class);
  /** Distinct peers one probe() collects at most; a subnet rarely has more holders worth asking. */
  static final int MAX_PEERS_PER_PROBE = 256;

  private final WsDiscoveryConfig config;
  private final WsdCodec codec;
  private final ResponderPolicy policy;
  private final ProbeRateLimiter limiter;
  private final DuplicateMessageFilter duplicates;
  private final DuplicateMessageFilter ownProbes;
  private final DiscoveryListener listener;
  private final boolean epoll;
  private final EventLoopGroup group;
  private final EventLoop loop;
  private final ExecutorService callbacks;
  private final ScheduledExecutorService linkThread;
  /** Ready links; changed on {@code pccrd-links} (under {@link #linkLock}), read anywhere. */
  private final List<Link> links = new CopyOnWriteArrayList<>();
  private final Object linkLock = new Object();
  /** Why a candidate could not be opened yet, by key (guarded by {@link #linkLock}). */
  private final Map<String, String> waiting = new HashMap<>();
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
  private final AtomicLong sourceRateLimited = new AtomicLong();
  private final AtomicLong offSubnetProbes = new AtomicLong();
  private final AtomicLong suppressed = new AtomicLong();
  private final AtomicLong offSubnet = new AtomicLong();
  private final AtomicLong unsolicited = new AtomicLong();
  private final AtomicLong noAddress = new AtomicLong();
  private final AtomicLong trimmedIds = new AtomicLong();

  /** One selected interface in one address family, with its two sockets. */
  private static final class Link {
    final String name;
    final int index;
    final java.net.NetworkInterface nif;
    final SocketProtocolFamily family;
    final InetAddress local;
    final InetSocketAddress group;
    volatile List<Subnet> subnets;
    DatagramChannel responder;
    DatagramChannel prober;

    Link(Candidate c, InetAddress local, int port) {
      this.name = c.nif().getName();
      this.index = c.nif().getIndex();
      this.nif = c.nif();
      this.family = c.family();
      this.local = local;
      this.group = new InetSocketAddress(LinkCandidates.group(c.family(), c.nif()), port);
      this.subnets = c.subnets();
    }

    boolean inSubnet(InetAddress a) {
      for (Subnet s : subnets) {
        if (s.contains(a)) {
          return true;
        }
      }
      return false;
    }

    String key() {
      return LinkCandidates.Candidate.key(name, family);
    }

    @Override
    public String toString() {
      return key();
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
    this.policy = new ResponderPolicy(config.random(), config.appMaxDelay(), config.suppression(), 4096);
    this.limiter = new ProbeRateLimiter(config.clock(), config.sourceProbesPerSecond(), config.sourceProbeBurst(),
        config.probesPerSecond(), config.probeBurst(), config.maxSources());
    this.duplicates = new DuplicateMessageFilter(config.duplicateMemory());
    this.ownProbes = new DuplicateMessageFilter(4096);
    this.endpointId = "urn:uuid:" + randomUuid();
    // Windows 7 uses the start time in seconds as InstanceId (PROTOCOL.md §3.4).
    this.instanceId = Math.max(0, config.clock().millis() / 1000) & 0xFFFF_FFFFL;
    this.epoll = config.nativeTransport() && Epoll.isAvailable();
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("pccrd-io", true), io);
    this.loop = group.next();
    this.callbacks = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "pccrd-callbacks");
      t.setDaemon(true);
      return t;
    });
    this.linkThread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "pccrd-links");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Binds the sockets of every usable link, joins the groups and starts answering (nothing until
   * {@link #serve}). Links that are not usable yet (an interface that is down, an IPv6 address in
   * duplicate-address detection) are added later by the interface poll.
   *
   * @throws IllegalArgumentException when the configuration names an interface that does not
   *     exist; the message names the key
   * @throws java.io.UncheckedIOException when no link could be opened for a reason other than an
   *     address that is not usable yet (for example the port is taken)
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
    LinkCandidates.checkNamesExist(config.interfaces());
    List<String> hardFailures = syncLinks();
    if (links.isEmpty() && !hardFailures.isEmpty()) {
      throw new java.io.UncheckedIOException(new java.io.IOException(
          "discovery: could not open any interface: " + String.join("; ", hardFailures)));
    }
    if (links.isEmpty()) {
      LOG.warn("discovery: no interface is usable yet ({}); checking again every {}",
          config.interfaces().isEmpty() ? "none up, multicast-capable and not loopback" : config.interfaces(),
          config.interfacePollInterval());
    }
    if (!config.interfacePollInterval().isZero()) {
      long every = config.interfacePollInterval().toMillis();
      linkThread.scheduleWithFixedDelay(() -> {
        try {
          syncLinks();
        } catch (RuntimeException e) {
          LOG.warn("discovery: interface check failed: {}", e.toString());
        }
      }, every, every, TimeUnit.MILLISECONDS);
    }
    LOG.debug("discovery: listening on port {} over {} ({})", config.port(), links, epoll ? "epoll" : "nio");
  }

  /**
   * Brings the links in line with the interfaces: closes those whose interface or address is
   * gone, opens those that became usable.
   *
   * @return why candidates failed for reasons other than an address not usable yet
   */
  private List<String> syncLinks() {
    synchronized (linkLock) {
      List<String> hard = new ArrayList<>();
      if (closed.get()) {
        return hard;
      }
      Map<String, Candidate> wanted = LinkCandidates.current(config);
      for (Link l : links) {
        Candidate c = wanted.get(l.key());
        if (c == null || c.nif().getIndex() != l.index || !c.locals().contains(l.local)) {
          dropLink(l, c == null ? "interface or address gone" : "address changed");
        } else {
          l.subnets = c.subnets();
        }
      }
      for (Candidate c : wanted.values()) {
        if (links.stream().anyMatch(l -> l.key().equals(c.key()))) {
          continue;
        }
        String failure = openLink(c);
        if (failure == null) {
          continue;
        }
        boolean notYet = failure.contains("assign requested address");
        if (!notYet) {
          hard.add(c.key() + ": " + failure);
        }
        String before = waiting.put(c.key(), failure);
        if (before == null) {
          LOG.info("discovery: {} not usable yet ({}); will try again every {}", c.key(), failure,
              config.interfacePollInterval());
        } else {
          LOG.debug("discovery: {} still not usable: {}", c.key(), failure);
        }
      }
      waiting.keySet().removeIf(k -> !wanted.containsKey(k));
      return hard;
    }
  }

  /** Opens a link for {@code c}; null on success, else why not. */
  private String openLink(Candidate c) {
    String failure = "no address";
    for (InetAddress local : c.locals()) {
      Link l = new Link(c, local, config.port());
      try {
        l.responder = bind(l, true);
        l.responder.joinGroup(l.group, c.nif()).syncUninterruptibly();
        l.prober = bind(l, false);
      } catch (Exception e) { // Netty rethrows the socket's IOException unchecked.
        closeChannels(l);
        failure = rootMessage(e);
        continue;
      }
      links.add(l);
      if (waiting.remove(l.key()) != null) {
        LOG.info("discovery: {} is usable now ({})", l.key(), local.getHostAddress());
      }
      listener.linkChanged(l.key(), true);
      return null;
    }
    return failure;
  }

  private void dropLink(Link l, String why) {
    links.remove(l);
    closeChannels(l);
    LOG.info("discovery: stopped using {} ({})", l.key(), why);
    listener.linkChanged(l.key(), false);
  }

  private static void closeChannels(Link l) {
    if (l.prober != null) {
      l.prober.close();
    }
    if (l.responder != null) {
      l.responder.close(); // Closing the socket leaves the group.
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return String.valueOf(t.getMessage() != null ? t.getMessage() : t.toString());
  }

  private DatagramChannel bind(Link link, boolean responder) {
    SocketProtocolFamily family = link.family;
    Bootstrap b = new Bootstrap()
        .group(group)
        .channelFactory(() -> epoll ? new EpollDatagramChannel(family) : new NioDatagramChannel(family))
        .option(ChannelOption.SO_REUSEADDR, responder)
        // Bursts (32 probes of one iPXE client at once, or many clients) must not overflow the
        // kernel's default ~200 KB buffer while the loop is busy: a lost probe of a block that
        // finishes within 1 s is never repeated.
        .option(ChannelOption.SO_RCVBUF, config.receiveBufferBytes())
        // One byte more than the decoder accepts, so an oversized datagram is seen as such.
        .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(config.limits().maxMessageBytes() + 1))
        .handler(new Receiver(link, responder));
    InetSocketAddress at;
    if (responder) {
      // The group address, not the wildcard: unicast datagrams to the port never reach it, and
      // with IP_MULTICAST_ALL off (epoll) only the group on this link's interface does.
      at = link.group;
      if (epoll) {
        b.option(EpollChannelOption.IP_MULTICAST_ALL, false);
      }
    } else {
      at = new InetSocketAddress(link.local, 0);
      b.option(ChannelOption.IP_MULTICAST_IF, link.nif)
          .option(ChannelOption.IP_MULTICAST_TTL, 1)
          .option(ChannelOption.IP_MULTICAST_LOOP_DISABLED, false);
    }
    try {
      return (DatagramChannel) b.bind(at).syncUninterruptibly().channel();
    } catch (Exception e) { // Netty rethrows the socket's IOException unchecked.
      throw new java.io.UncheckedIOException(new java.io.IOException(
          "cannot bind UDP " + at + ": " + rootMessage(e), e));
    }
  }

  /** The ready links, e.g. {@code [lo/IPv4]}, for logs and tests. */
  public List<String> links() {
    return links.stream().map(Link::key).toList();
  }

  /** Where the responders are bound (group addresses, never the wildcard), for tests. */
  public List<InetSocketAddress> responderAddresses() {
    return links.stream().map(l -> (InetSocketAddress) l.responder.localAddress()).toList();
  }

  /** Whether the Linux epoll transport is in use (responders hear only their own interface). */
  public boolean nativeTransport() {
    return epoll;
  }

  /** A snapshot of the counters. */
  public DiscoveryStats stats() {
    return new DiscoveryStats(probesSent.get(), matchesReceived.get(), repliesSent.get(), malformed.get(), ignored.get(),
        duplicateCount.get(), rateLimited.get(), sourceRateLimited.get(), offSubnetProbes.get(), suppressed.get(),
        offSubnet.get(), unsolicited.get(), noAddress.get(), trimmedIds.get());
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

  private void onProbe(Probe probe, int probeBytes, InetSocketAddress sender, Link link, Channel ch) {
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
    PccrdQuery query = maybe.get();
    DuplicateMessageFilter.Sighting sighting = duplicates.sight(probe.messageId());
    if (sighting == DuplicateMessageFilter.Sighting.HANDLED) {
      duplicateCount.incrementAndGet();
      listener.probeDropped(DiscoveryListener.ProbeDrop.DUPLICATE);
      return;
    }
    HeardProbe heard = new HeardProbe(sender, probe.messageId(), ProbeTag.fromMessageId(probe.messageId()),
        query.form(), query.keys());
    if (sighting == DuplicateMessageFilter.Sighting.NEW) {
      notifyListener(l -> l.probeHeard(heard));
    }
    LocalHoldings h = holdings;
    if (h == null) {
      return;
    }
    // Rate limits come after the duplicate filter and before any work for the answer; what they
    // drop is not marked handled, so the sender's repeat (iPXE: 1 s later) gets another chance.
    switch (limiter.admit(sender.getAddress())) {
      case SOURCE_LIMITED -> {
        sourceRateLimited.incrementAndGet();
        listener.probeDropped(DiscoveryListener.ProbeDrop.SOURCE_RATE_LIMITED);
        return;
      }
      case GLOBAL_LIMITED -> {
        rateLimited.incrementAndGet();
        listener.probeDropped(DiscoveryListener.ProbeDrop.RATE_LIMITED);
        return;
      }
      case ADMITTED -> duplicates.handled(probe.messageId());
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
    InetAddress a = config.advertisedAddress() != null ? config.advertisedAddress() : link.local;
    String xaddr = new PeerEndpoint(new InetSocketAddress(a, config.pccrrPort())).toXAddr();
    long budget = (long) Math.floor(probeBytes * config.maxReplyRatio());
    Duration delay = policy.replyDelay();
    ch.eventLoop().schedule(() -> sendReply(query, offered, probe.messageId(), xaddr, sender, ch, budget),
        delay.toNanos(), TimeUnit.NANOSECONDS);
  }

  private void sendReply(PccrdQuery query, Map<DiscoveryKey, LocalHoldings.Holding> offered, String relatesTo,
      String xaddr, InetSocketAddress to, Channel ch, long budget) {
    if (closed.get()) {
      return;
    }
    List<byte[]> datagrams = new ArrayList<>();
    int keysSent;
    if (query.form() == DiscoveryKey.Form.V2) {
      // The availability array covers every requested id, so a V2 reply is one datagram; its
      // SegmentAges go first when it would not fit the bound.
      ProbeMatches.Match m = PccrdProfile.match(query, offered, endpointId, xaddr).orElse(null);
      if (m == null) {
        return;
      }
      long limit = Math.min(budget, config.limits().maxMessageBytes());
      byte[] d = encodeReply(m, relatesTo);
      if (d.length > limit && m.segmentAges() != null) {
        d = encodeReply(PccrdProfile.withoutAges(m), relatesTo);
      }
      if (d.length > limit) {
        trimmed(offered.size());
        return;
      }
      datagrams.add(d);
      keysSent = offered.size();
    } else {
      List<DiscoveryKey> keys = query.keys().stream().filter(offered::containsKey).distinct().toList();
      keysSent = packV1(keys, offered, relatesTo, xaddr, budget, datagrams);
      if (keysSent < keys.size()) {
        trimmed(keys.size() - keysSent);
      }
    }
    int perDatagram = datagrams.isEmpty() ? 0 : Math.max(1, keysSent / datagrams.size());
    for (byte[] d : datagrams) {
      ch.writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(d), to)).addListener(f -> {
        if (f.isSuccess()) {
          repliesSent.incrementAndGet();
          listener.replySent(perDatagram);
        } else {
          listener.probeDropped(DiscoveryListener.ProbeDrop.SEND_FAILED);
          LOG.debug("discovery: reply to {} not sent: {}", to, f.cause().toString());
        }
      });
    }
  }

  private void trimmed(int keys) {
    trimmedIds.addAndGet(keys);
    listener.replyTrimmed(keys);
  }

  /** One ProbeMatches datagram with a fresh MessageID and the next AppSequence number. */
  private byte[] encodeReply(ProbeMatches.Match m, String relatesTo) {
    messageNumber++;
    return codec.encode(PccrdProfile.reply("urn:uuid:" + randomUuid(), relatesTo,
        new AppSequence(instanceId, messageNumber & 0xFFFF_FFFFL), List.of(m)));
  }

  /** The size of a ProbeMatches for {@code keys} with the largest header values. */
  private int v1Size(List<DiscoveryKey> keys, Map<DiscoveryKey, LocalHoldings.Holding> offered, String relatesTo,
      String xaddr) {
    ProbeMatches.Match m = PccrdProfile.match(new PccrdQuery(DiscoveryKey.Form.V1, keys), offered, endpointId, xaddr)
        .orElseThrow();
    return codec.encode(PccrdProfile.reply("urn:uuid:" + new UUID(-1L, -1L), relatesTo,
        new AppSequence(0xFFFF_FFFFL, 0xFFFF_FFFFL), List.of(m))).length;
  }

  /**
   * Packs the held V1 ids into ProbeMatches datagrams, all together at most {@code budget} bytes
   * (the reply/probe bound) and each within the 32 KiB WS-Discovery envelope limit: each datagram
   * takes the longest run of the remaining ids that fits (found by bisection), and packing stops
   * when not even one more id fits.
   *
   * <p>Why not datagrams of at most {@code maxDatagramBytes} (1472)? A ProbeMatches costs about
   * 1,190 bytes before its first id and 73 per id, so only 3 ids fit in 1472 bytes: a probe for 8
   * held ids would cost 3 datagrams, 2.8 times the probe's bytes. One datagram stays below 1.6
   * times any probe it answers; above 3 ids it is IP-fragmented, which a LAN carries.
   *
   * @return how many ids went out
   */
  private int packV1(List<DiscoveryKey> keys, Map<DiscoveryKey, LocalHoldings.Holding> offered, String relatesTo,
      String xaddr, long budget, List<byte[]> out) {
    long left = budget;
    int from = 0;
    while (from < keys.size()) {
      long limit = Math.min(left, config.limits().maxMessageBytes());
      if (v1Size(keys.subList(from, from + 1), offered, relatesTo, xaddr) > limit) {
        break;
      }
      int lo = from + 1; // fits
      int hi = keys.size() + 1; // first count that does not fit, or past the end
      while (hi - lo > 1) {
        int mid = (lo + hi) >>> 1;
        if (v1Size(keys.subList(from, mid), offered, relatesTo, xaddr) <= limit) {
          lo = mid;
        } else {
          hi = mid;
        }
      }
      List<DiscoveryKey> part = keys.subList(from, lo);
      byte[] d = encodeReply(PccrdProfile.match(new PccrdQuery(DiscoveryKey.Form.V1, part), offered, endpointId, xaddr)
          .orElseThrow(), relatesTo);
      out.add(d);
      left -= d.length;
      from = lo;
    }
    return from;
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
      // [PCCRD-24] 3.1.4.1 / README: probes from outside the local subnets of the interface they
      // arrived on are dropped before any parsing work.
      if (responder && config.checkSubnet() && !link.inSubnet(sender.getAddress())) {
        offSubnetProbes.incrementAndGet();
        listener.probeDropped(DiscoveryListener.ProbeDrop.OFF_SUBNET);
        LOG.debug("discovery: dropped a datagram from off-subnet {} on {}", sender, link);
        return;
      }
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
        onProbe(p, bytes.length, sender, link, ctx.channel());
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
    // Reverse order of start: stop following interfaces, finish the calls, close the sockets,
    // then the threads.
    linkThread.shutdownNow();
    try {
      linkThread.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Runnable shutdown = () -> {
      sent.values().stream().map(x -> x.call).filter(c -> c != null && !c.done).distinct().toList()
          .forEach(this::finish);
      synchronized (linkLock) {
        links.forEach(WsDiscoveryPeerDirectory::closeChannels);
        links.clear();
      }
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
