package dev.peerdist.discovery.transport;

import dev.peerdist.discovery.DiscoveryCounters;
import dev.peerdist.discovery.DiscoveryKey;
import dev.peerdist.discovery.DiscoveryListener;
import dev.peerdist.discovery.DiscoveryStats;
import dev.peerdist.discovery.LocalHoldings;
import dev.peerdist.discovery.PeerDirectory;
import dev.peerdist.discovery.ProbeMatch;
import dev.peerdist.discovery.SubnetListener;
import dev.peerdist.discovery.pccrd.DuplicateMessageFilter;
import dev.peerdist.discovery.pccrd.MessageIds;
import dev.peerdist.discovery.pccrd.Prober;
import dev.peerdist.discovery.pccrd.Responder;
import dev.peerdist.discovery.pccrd.PccrdQuery;
import dev.peerdist.discovery.pccrd.ProbeRateLimiter;
import dev.peerdist.discovery.pccrd.ProbeTag;
import dev.peerdist.discovery.pccrd.ResponderPolicy;
import dev.peerdist.discovery.transport.LinkCandidates.Candidate;
import dev.peerdist.discovery.wsd.Probe;
import dev.peerdist.discovery.wsd.ProbeMatches;
import dev.peerdist.discovery.wsd.UnsupportedActionException;
import dev.peerdist.discovery.wsd.WsdCodec;
import dev.peerdist.discovery.wsd.WsdDecodeException;
import dev.peerdist.discovery.wsd.WsdMessage;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
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
import io.netty.channel.RecvByteBufAllocator;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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
 * <p><b>Protocol state</b> lives in two pure state machines this class only feeds and obeys:
 * {@link Responder} (which probes to answer, after which delay, with which datagrams) and {@link
 * Prober} (which probe datagrams to send and repeat, which answers relate to which call). Before
 * either sees a datagram, the receiver drops those from outside the local subnets of the
 * interface they arrived on (PROTOCOL.md §3.1), and malformed or foreign ones. Every event is
 * counted once, by {@link DiscoveryCounters}, which passes it on to the configured {@link
 * DiscoveryListener}; {@link #stats()} reads the same counters.
 *
 * <p><b>Threads.</b> One event-loop thread ({@code pccrd-io-*}) owns all protocol state; futures
 * complete on a separate callback thread ({@code pccrd-callbacks}) so that dependent stages never
 * stall the loop; links are opened and closed on {@code pccrd-links}. {@link LocalHoldings} and
 * the listener are called on the loop. {@link #close()} is idempotent, completes pending probes
 * with what they have, and releases every socket.
 */
public final class WsDiscoveryPeerDirectory implements PeerDirectory {
  private static final Logger LOG = LoggerFactory.getLogger(WsDiscoveryPeerDirectory.class);

  private final WsDiscoveryConfig config;
  private final WsdCodec codec;
  /** Counts every event once and passes it on to the configured listener. */
  private final DiscoveryCounters listener;
  /** The pure protocol state machines; owned by the event loop. */
  private final Prober prober;
  private final Responder responder;
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
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile LocalHoldings holdings;
  private volatile SubnetListener subnetListener = SubnetListener.NONE;
  private volatile Supplier<ProbeTag> tags;
  /** The reusable direct buffer of outgoing datagrams ({@link #outgoing}); event loop only. */
  private ByteBuf sendBuffer;

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

  private WsDiscoveryPeerDirectory(WsDiscoveryConfig config) {
    this.config = config;
    this.codec = new WsdCodec(config.limits());
    this.listener = new DiscoveryCounters(config.listener());
    ResponderPolicy policy = new ResponderPolicy(config.random(), config.appMaxDelay(), config.suppression(), 4096);
    this.prober = new Prober(new Prober.Settings(config.maxDatagramBytes(), config.probeRepeats(),
        config.repeatDelayMin(), config.repeatDelayMax(), config.lateAnswerWindow(), config.sentProbeMemory(),
        config.maxProbesInFlight(), config.checkSubnet()), codec, policy, listener, () -> subnetListener, () -> tags,
        config.random(), System::nanoTime);
    ProbeRateLimiter limiter = new ProbeRateLimiter(config.clock(), config.sourceProbesPerSecond(),
        config.sourceProbeBurst(), config.probesPerSecond(), config.probeBurst(), config.maxSources());
    // Windows 7 uses the start time in seconds as InstanceId (PROTOCOL.md §3.4).
    long instanceId = Math.max(0, config.clock().millis() / 1000) & 0xFFFF_FFFFL;
    this.responder = new Responder(new Responder.Settings(config.pccrrPort(), config.advertisedAddress(),
        config.maxReplyRatio(), config.limits().maxMessageBytes()), codec, policy, limiter,
        new DuplicateMessageFilter(config.duplicateMemory()), prober, listener, () -> subnetListener,
        MessageIds.random(config.random()), instanceId, config.random());
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

  /** Datagrams one socket reads per wake-up of the event loop ({@link #datagramAllocator}). */
  static final int DATAGRAMS_PER_READ = 32;

  /**
   * How a discovery socket reads: buffers one byte larger than the decoder accepts, so an
   * oversized datagram is seen as such, and up to {@link #DATAGRAMS_PER_READ} datagrams per
   * wake-up. Netty's fixed-size allocator reads one datagram per wake-up unless told otherwise,
   * and its default for datagram channels (16) applies only to the allocator a channel starts
   * with: on live-16 (16 daemons on 2 cores, 2026-12-06) the event loop then went back to
   * epoll after every datagram, each round trip a chance to lose the CPU for tens of
   * milliseconds, and the multicast sockets' queues grew to 0.6–1.3 MB: nodes read their
   * subnet-mates' probes up to 12 s after they were sent (docs/PERFORMANCE.md, "Discovery's
   * read queue").
   */
  static RecvByteBufAllocator datagramAllocator(int maxMessageBytes) {
    return new FixedRecvByteBufAllocator(maxMessageBytes + 1).maxMessagesPerRead(DATAGRAMS_PER_READ);
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
        .option(ChannelOption.RCVBUF_ALLOCATOR, datagramAllocator(config.limits().maxMessageBytes()))
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
    return listener.stats();
  }

  @Override
  public void serve(LocalHoldings holdings) {
    this.holdings = holdings;
  }

  @Override
  public void listen(SubnetListener listener) {
    this.subnetListener = listener == null ? SubnetListener.NONE : listener;
  }

  /**
   * True: every channel sends with multicast loopback on (IP_MULTICAST_LOOP), so the responder
   * sees each own probe come back and reports it ({@link SubnetListener#ownProbeHeard}).
   */
  @Override
  public boolean echoesOwnProbes() {
    return true;
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
  public void sendProbe(List<DiscoveryKey> keys, ProbeTag tag) {
    PccrdQuery all = new PccrdQuery(keys.isEmpty() ? DiscoveryKey.Form.V1 : keys.get(0).form(), keys);
    if (closed.get()) {
      return;
    }
    try {
      loop.execute(() -> {
        if (!closed.get()) {
          transmit(all, null, config.lateAnswerWindow().toNanos(), tag);
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
    Prober.Call call;
    try {
      call = prober.open(result, enoughPeers);
    } catch (IllegalStateException e) {
      result.completeExceptionally(e);
      return;
    }
    long waitNanos = wait.toNanos();
    transmit(all, call, waitNanos, null);
    call.timers().add(loop.schedule(() -> finish(call), waitNanos, TimeUnit.NANOSECONDS));
  }

  /**
   * Sends what the prober decides for {@code all}: now, and its repeats at the offsets it names;
   * its MessageIDs carry {@code tag} (null: the supplier's).
   */
  private void transmit(PccrdQuery all, Prober.Call call, long repeatWithinNanos, ProbeTag tag) {
    Prober.Transmission t = prober.transmit(all, call, repeatWithinNanos, tag);
    sendProbes(t.datagrams(), t.keys());
    for (long at : t.repeatAtNanos()) {
      ScheduledFuture<?> timer = loop.schedule(() -> {
        if (!closed.get() && Prober.wanted(call)) {
          sendProbes(t.datagrams(), t.keys());
        }
      }, at, TimeUnit.NANOSECONDS);
      if (call != null) {
        call.timers().add(timer);
      }
    }
  }

  private void sendProbes(List<byte[]> datagrams, int keys) {
    for (Link l : links) {
      for (byte[] d : datagrams) {
        l.prober.writeAndFlush(new DatagramPacket(outgoing(l.prober, d), l.group)).addListener(f -> {
          if (f.isSuccess()) {
            listener.probeSent(keys);
          } else {
            LOG.debug("discovery: probe not sent on {}: {}", l, f.cause().toString());
          }
        });
      }
    }
  }

  private void finish(Prober.Call call) {
    List<ProbeMatch> result = prober.finish(call);
    if (result == null) {
      return;
    }
    call.timers().forEach(t -> t.cancel(false));
    try {
      callbacks.execute(() -> call.result().complete(result));
    } catch (RejectedExecutionException e) {
      call.result().complete(result);
    }
  }

  /** Sends the reply the responder decided, after its delay, on the channel the probe came in on. */
  private void reply(Responder.PendingReply pending, Channel ch) {
    ch.eventLoop().schedule(() -> {
      if (closed.get()) {
        return;
      }
      Responder.Reply r = responder.encode(pending);
      for (byte[] d : r.datagrams()) {
        ch.writeAndFlush(new DatagramPacket(outgoing(ch, d), pending.to())).addListener(f -> {
          if (f.isSuccess()) {
            listener.replySent(r.keysPerDatagram());
          } else {
            listener.probeDropped(DiscoveryListener.ProbeDrop.SEND_FAILED);
            LOG.debug("discovery: reply to {} not sent: {}", pending.to(), f.cause().toString());
          }
        });
      }
    }, pending.delay().toNanos(), TimeUnit.NANOSECONDS);
  }

  /**
   * A buffer with {@code d} to send on {@code ch}: the directory's one direct send buffer when no
   * write holds it any more, else {@code d} wrapped (the channel copies it into a direct buffer of
   * its own, as before). A datagram written on the loop leaves at once unless the socket is full,
   * so the send buffer is nearly always free, and a reply or probe costs neither a direct buffer
   * nor a copy by the channel. Only the event loop calls this.
   */
  private ByteBuf outgoing(Channel ch, byte[] d) {
    if (sendBuffer == null && !closed.get()) {
      sendBuffer = ch.alloc().directBuffer(config.limits().maxMessageBytes());
    }
    // refCnt 1: only this directory holds it; a duplicate still queued in a channel holds another.
    if (sendBuffer != null && sendBuffer.refCnt() == 1 && d.length <= sendBuffer.capacity()) {
      sendBuffer.clear().writeBytes(d);
      return sendBuffer.retainedDuplicate();
    }
    return Unpooled.wrappedBuffer(d);
  }

  // ---------------------------------------------------------------- receiving

  private void countMalformed(InetSocketAddress sender, RuntimeException e) {
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
        listener.probeDropped(DiscoveryListener.ProbeDrop.OFF_SUBNET);
        LOG.debug("discovery: dropped a datagram from off-subnet {} on {}", sender, link);
        return;
      }
      byte[] bytes = ByteBufUtil.getBytes(packet.content());
      if (responder && WsDiscoveryPeerDirectory.this.responder.settledBeforeDecoding(bytes)) {
        return;
      }
      WsdMessage msg;
      try {
        msg = codec.decode(bytes);
      } catch (UnsupportedActionException e) {
        listener.datagramIgnored();
        return;
      } catch (WsdDecodeException e) {
        countMalformed(sender, e);
        return;
      }
      if (responder && msg instanceof Probe p) {
        WsDiscoveryPeerDirectory.this.responder.onProbe(p, bytes.length, sender, link.local, holdings)
            .ifPresent(r -> reply(r, ctx.channel()));
      } else if (!responder && msg instanceof ProbeMatches pm) {
        Prober.Call enough = prober.onProbeMatches(pm, sender.getAddress(), link::inSubnet,
            x -> XAddr.parse(x, link.nif));
        if (enough != null) {
          finish(enough);
        }
      } else {
        listener.datagramIgnored();
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      LOG.debug("discovery: socket error on {}: {}", ctx.channel(), cause.toString());
    }
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
      prober.waiting().forEach(this::finish);
      synchronized (linkLock) {
        links.forEach(WsDiscoveryPeerDirectory::closeChannels);
        links.clear();
      }
      if (sendBuffer != null) {
        sendBuffer.release();
        sendBuffer = null;
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
