package dev.peerdist.node.interop;

import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.SegmentRecords;
import dev.peerdist.chunkstore.content.ByteRange;
import dev.peerdist.chunkstore.content.ContentInformation;
import dev.peerdist.discovery.wsd.IpxeReplyParser;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A model of iPXE's PeerDist client, written from reading its sources (src/net/peerdisc.c,
 * peerblk.c, peermux.c, peerdist.c of ipxe/ipxe; no code carried over), for tests against a real
 * node and publisher:
 *
 * <ul>
 *   <li>PCCRTP: {@code X-P2P-PeerDist: Version=1.1} and {@code X-P2P-PeerDistEx:
 *       MinContentInformation=1.0, MaxContentInformation=2.0} (PROTOCOL.md §5.2); {@code
 *       offerV2=false} models the same client against a server that offers V1 only.
 *   <li>Discovery (peerdisc.c): one probe per segment in iPXE's exact V1 format (hex id, {@code
 *       PeerDist:PeerDistData}, also for V2 segment ids), sent on IPv4 and IPv6 with the same
 *       MessageID; sent again 1 s later while the segment is still being fetched; a block waits at
 *       most 2 s for a first answer when no peer is known. The most recently discovered peer is
 *       tried at once for every new segment (iPXE's {@code peerdisc_recent}).
 *   <li>Retrieval (peermux.c, peerblk.c): 32 blocks in flight, each one MSG_GETBLKS for a single
 *       block asking for AES-128 on its own keep-alive connection; the answer's label decides the
 *       key length, key = Kp[0..n); the block is verified against its hash (V2: the HoD of the
 *       whole segment); a peer that fails is skipped, and when every peer failed the block is
 *       fetched from the origin (a MissingDataRequest range, counted).
 * </ul>
 */
public final class IpxeLikeClient {
  /** peermux.c: PEERMUX_MAX_BLOCKS. */
  static final int MAX_BLOCKS_IN_FLIGHT = 32;
  /** peerdisc.c: PEERDISC_REPEAT_TIMEOUT. */
  static final long REPEAT_MILLIS = 1000;
  /** peerdisc.c: PEERDISC_DEFAULT_TIMEOUT_SECS. */
  static final long DISCOVERY_WAIT_MILLIS = 2000;

  private final PeerDistOrigin origin;
  private final MulticastProber prober;
  private final boolean offerV2;
  private final String probeTemplate = MulticastProber.sample("/vectors/IPXE-TV-4e-probe-v1.xml");
  private volatile String recentPeer;

  /** What one download did. */
  public record Result(byte[] content, ContentInformation info, int blocks, int blocksFromPeers, long originBytes,
      List<String> probes, List<String> unanswered, long slowestFirstAnswerMillis, int answeredLate,
      List<String> failures) {}

  public IpxeLikeClient(PeerDistOrigin origin, MulticastProber prober, boolean offerV2) {
    this.origin = origin;
    this.prober = prober;
    this.offerV2 = offerV2;
  }

  /** A segment's discovery: its probe and the peers found (peerdisc_segment). */
  private final class Discovery {
    final String messageId = MulticastProber.newMessageId();
    final String xml;
    final AtomicInteger openBlocks;
    final long started = System.nanoTime();

    Discovery(String idHex, int blocks) {
      xml = probeTemplate.replace("urn:uuid:91528b47-b96d-4e30-981f-308c0586926f", messageId)
          .replace("491B217DBEE2B5F12CA79B015E06F4BBE64F9745BAD7867AEF17DE59927EDCE9", idHex);
      openBlocks = new AtomicInteger(blocks);
    }

    /** Peers: the most recent one first, then every location the replies named. */
    List<String> peers() {
      List<String> out = new ArrayList<>();
      String r = recentPeer;
      if (r != null) {
        out.add(r);
      }
      for (MulticastProber.Reply reply : prober.replies(messageId)) {
        IpxeReplyParser p = IpxeReplyParser.parse(reply.text());
        for (int i = 0; i < p.scopes.size(); i++) {
          if (p.blockCounts.get(i) > 0) {
            for (String x : p.xaddrs) {
              if (!out.contains(x)) {
                out.add(x);
              }
              recentPeer = x;
            }
          }
        }
      }
      return out;
    }
  }

  /** One block to fetch. */
  private record Job(int segment, int block, SegmentRecord record, ByteRange range) {}

  public Result download(URI url) throws IOException, InterruptedException {
    PeerDistOrigin.Answer a = offerV2
        ? origin.contentInformation(url, "1.1", "MinContentInformation=1.0, MaxContentInformation=2.0")
        : origin.contentInformation(url, "1.0", null);
    ContentInformation info = a.info();
    byte[] content = new byte[(int) a.contentLength()];
    List<Job> jobs = new ArrayList<>();
    Map<Integer, Discovery> discoveries = new ConcurrentHashMap<>();
    Map<Integer, SegmentRecord> records = new HashMap<>();
    for (int s = 0; s < info.segmentCount(); s++) {
      SegmentRecord r = SegmentRecords.from(info, s);
      records.put(s, r);
      for (int b = 0; b < r.blockCount(); b++) {
        jobs.add(new Job(s, b, r, info.blockRange(s, b)));
      }
    }
    AtomicLong fromPeers = new AtomicLong();
    List<String> failures = new CopyOnWriteArrayList<>();
    ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
    ExecutorService pool = Executors.newFixedThreadPool(MAX_BLOCKS_IN_FLIGHT);
    ThreadLocal<Map<String, RawHttp>> connections = ThreadLocal.withInitial(HashMap::new);
    List<RawHttp> allConnections = new CopyOnWriteArrayList<>();
    try {
      List<Future<?>> done = new ArrayList<>();
      for (Job j : jobs) {
        done.add(pool.submit(() -> {
          Discovery d = discoveries.computeIfAbsent(j.segment(), s -> {
            Discovery nd = new Discovery(j.record().id().toHex(), j.record().blockCount());
            prober.send(nd.messageId, nd.xml);
            timers.schedule(() -> {
              if (nd.openBlocks.get() > 0) {
                prober.send(nd.messageId, nd.xml); // peerdisc.c: the second of two copies
              }
            }, REPEAT_MILLIS, TimeUnit.MILLISECONDS);
            return nd;
          });
          try {
            byte[] block = fetch(j, d, connections.get(), allConnections, failures);
            if (block != null) {
              fromPeers.incrementAndGet();
            } else {
              block = origin.range(url, j.range().start(), j.range().end());
            }
            System.arraycopy(block, 0, content, (int) j.range().start(), block.length);
          } finally {
            d.openBlocks.decrementAndGet();
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get(10, TimeUnit.MINUTES);
      }
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IOException("download failed: " + e, e);
    } finally {
      pool.shutdownNow();
      timers.shutdownNow();
      for (RawHttp h : allConnections) {
        h.close();
      }
    }
    // Late answers still count if they came within the 2 s a block would have waited.
    Thread.sleep(DISCOVERY_WAIT_MILLIS);
    List<String> probes = new ArrayList<>();
    List<String> unanswered = new ArrayList<>();
    long slowest = 0;
    int late = 0;
    for (Discovery d : discoveries.values()) {
      probes.add(d.messageId);
      long after = prober.firstReplyAfter(d.messageId);
      if (after < 0 || after > TimeUnit.MILLISECONDS.toNanos(DISCOVERY_WAIT_MILLIS)) {
        unanswered.add(d.messageId);
        late += after >= 0 ? 1 : 0;
      }
      slowest = Math.max(slowest, TimeUnit.NANOSECONDS.toMillis(Math.max(0, after)));
    }
    return new Result(content, info, jobs.size(), (int) fromPeers.get(), origin.rangeBytes(), probes, unanswered,
        slowest, late, List.copyOf(failures));
  }

  /** The block from a peer (peerblk.c), or null when no peer gave a verified copy. */
  private byte[] fetch(Job j, Discovery d, Map<String, RawHttp> connections, List<RawHttp> all, List<String> failures)
      throws InterruptedException {
    List<String> peers = d.peers();
    if (peers.isEmpty()) {
      long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - d.started);
      prober.await(d.messageId, Math.max(0, DISCOVERY_WAIT_MILLIS - waited));
      peers = d.peers();
    }
    for (String peer : peers) {
      try {
        RawHttp http = connections.get(peer);
        if (http == null) {
          int colon = peer.lastIndexOf(':');
          http = new RawHttp(new InetSocketAddress(InetAddress.getByName(peer.substring(0, colon)),
              Integer.parseInt(peer.substring(colon + 1))), null, 5000);
          connections.put(peer, http);
          all.add(http);
        }
        RawHttp.Response r = http.post(PccrrWire.getBlocks(j.record().id().toBytes(), j.block(), PccrrWire.AES_128));
        PccrrWire.Block b = PccrrWire.readBlock(r.body());
        if (r.status() != 200 || b.block().length == 0 || b.index() != j.block()
            || !java.util.Arrays.equals(b.segmentId(), j.record().id().toBytes())) {
          failures.add(peer + " had no block " + j.block() + " of segment " + j.segment() + " (status " + r.status()
              + ", " + b.block().length + " bytes)");
          continue;
        }
        int length = j.record().blockLength(j.block());
        byte[] plain = PccrrWire.decrypt(b, j.record().segmentSecret(), length, false);
        if (!j.record().verifies(j.block(), plain, 0, length)) {
          failures.add(peer + " sent a block " + j.block() + " of segment " + j.segment() + " that does not verify");
          continue;
        }
        return plain;
      } catch (IOException e) {
        RawHttp broken = connections.remove(peer);
        if (broken != null) {
          try {
            broken.close();
          } catch (IOException ignored) {
            // Already broken.
          }
        }
        failures.add(peer + ": " + e.getMessage());
      }
    }
    return null;
  }
}
