package dev.peerdist.node.interop;

import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.SegmentRecords;
import dev.peerdist.chunkstore.content.ByteRange;
import dev.peerdist.chunkstore.content.ContentInformation;
import dev.peerdist.chunkstore.content.ContentVersion;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * A model of a Windows BranchCache client in distributed mode, from the behaviour the
 * specifications describe (PROTOCOL.md §3.3–§3.6, §4.6, §5.2), for tests against a real node:
 *
 * <ul>
 *   <li>PCCRTP: Windows 8 and later offer 1.0–2.0 ({@code Version=1.1} with PeerDistEx) and get V2
 *       from a server that has it; {@code offerV2=false} models Windows 7 ({@code Version=1.0}).
 *   <li>Discovery: the probe format of the specification's own samples (TV-4a for V1, TV-4c with
 *       the base64 id blob for V2), several ids per probe, a 300 ms wait (Windows 7 default,
 *       [PCCRD-24] 3.1.2), replies read with a namespace-aware XML parser; ids nobody answered are
 *       probed once more.
 *   <li>Retrieval: per segment MSG_GETBLKLIST for all its blocks first, then MSG_GETBLKS for each
 *       listed block (one block per request, [PCCRR-24] 3.2.5.3) asking for AES-128, eight
 *       segments at a time; blocks the peer did not list, or that do not verify, come from the
 *       origin (counted).
 * </ul>
 */
public final class WindowsLikeClient {
  static final int IDS_PER_PROBE = 16;
  static final long WAIT_MILLIS = 300;
  static final int SEGMENTS_IN_FLIGHT = 8;
  private static final String WSD = "http://schemas.xmlsoap.org/ws/2005/04/discovery";
  private static final String PEERDIST = "http://schemas.microsoft.com/p2p/2007/09/PeerDistributionDiscovery";

  private final PeerDistOrigin origin;
  private final MulticastProber prober;
  private final boolean offerV2;

  /** What one download did. */
  public record Result(byte[] content, ContentInformation info, int blocks, int blocksFromPeers, long originBytes,
      int probes, List<Integer> segmentsNobodyHad, int blockListRequests, List<String> failures) {}

  public WindowsLikeClient(PeerDistOrigin origin, MulticastProber prober, boolean offerV2) {
    this.origin = origin;
    this.prober = prober;
    this.offerV2 = offerV2;
  }

  public Result download(URI url) throws Exception {
    PeerDistOrigin.Answer a = offerV2
        ? origin.contentInformation(url, "1.1", "MinContentInformation=1.0, MaxContentInformation=2.0")
        : origin.contentInformation(url, "1.0", null);
    ContentInformation info = a.info();
    boolean v2 = info.version() == ContentVersion.V2;
    byte[] content = new byte[(int) a.contentLength()];
    List<SegmentRecord> records = new ArrayList<>();
    for (int s = 0; s < info.segmentCount(); s++) {
      records.add(SegmentRecords.from(info, s));
    }
    // Discovery: segment index -> peer location.
    Map<Integer, String> holders = new LinkedHashMap<>();
    int probes = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
      List<Integer> wanted = new ArrayList<>();
      for (int s = 0; s < records.size(); s++) {
        if (!holders.containsKey(s)) {
          wanted.add(s);
        }
      }
      for (int from = 0; from < wanted.size(); from += IDS_PER_PROBE) {
        List<Integer> batch = wanted.subList(from, Math.min(wanted.size(), from + IDS_PER_PROBE));
        String id = MulticastProber.newMessageId();
        prober.send(id, v2 ? v2Probe(id, batch, records) : v1Probe(id, batch, records));
        probes++;
        Thread.sleep(WAIT_MILLIS);
        for (MulticastProber.Reply r : prober.replies(id)) {
          read(r.text(), batch, records, v2, holders);
        }
      }
    }
    List<Integer> nobody = new ArrayList<>();
    List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    java.util.concurrent.atomic.AtomicInteger fromPeers = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger lists = new java.util.concurrent.atomic.AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(SEGMENTS_IN_FLIGHT);
    int blocks = 0;
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int s = 0; s < records.size(); s++) {
        SegmentRecord r = records.get(s);
        blocks += r.blockCount();
        String peer = holders.get(s);
        if (peer == null) {
          nobody.add(s);
        }
        int seg = s;
        done.add(pool.submit(() -> {
          boolean[] got = new boolean[r.blockCount()];
          if (peer != null) {
            try (RawHttp http = connect(peer)) {
              // "Simple download" is only for fewer than 4 blocks (note <10>): ask what is there first.
              RawHttp.Response lr = http.post(PccrrWire.getBlockList(r.id().toBytes(),
                  List.of(new int[] {0, r.blockCount()}), PccrrWire.AES_128));
              lists.incrementAndGet();
              PccrrWire.BlockList list = PccrrWire.readBlockList(lr.body());
              for (int[] range : list.ranges()) {
                for (int b = range[0]; b < range[0] + range[1] && b < r.blockCount(); b++) {
                  byte[] plain = block(http, r, b, failures);
                  if (plain != null) {
                    System.arraycopy(plain, 0, content, (int) info.blockRange(seg, b).start(), plain.length);
                    got[b] = true;
                    fromPeers.incrementAndGet();
                  }
                }
              }
            } catch (IOException e) {
              failures.add(peer + ": " + e.getMessage());
            }
          }
          for (int b = 0; b < got.length; b++) {
            if (!got[b]) {
              ByteRange br = info.blockRange(seg, b);
              System.arraycopy(origin.range(url, br.start(), br.end()), 0, content, (int) br.start(), (int) br.length());
            }
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get(10, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }
    return new Result(content, info, blocks, fromPeers.get(), origin.rangeBytes(), probes, nobody, lists.get(),
        List.copyOf(failures));
  }

  private static RawHttp connect(String peer) throws IOException {
    int colon = peer.lastIndexOf(':');
    String host = peer.substring(0, colon).replace("[", "").replace("]", "");
    return new RawHttp(new InetSocketAddress(InetAddress.getByName(host), Integer.parseInt(peer.substring(colon + 1))),
        null, 5000);
  }

  private static byte[] block(RawHttp http, SegmentRecord r, int index, List<String> failures) throws IOException {
    RawHttp.Response resp = http.post(PccrrWire.getBlocks(r.id().toBytes(), index, PccrrWire.AES_128));
    PccrrWire.Block b = PccrrWire.readBlock(resp.body());
    if (b.block().length == 0 || b.index() != index) {
      failures.add("empty answer for block " + index + " of " + r.id());
      return null;
    }
    int length = r.blockLength(index);
    byte[] plain = PccrrWire.decrypt(b, r.segmentSecret(), length, false);
    if (!r.verifies(index, plain, 0, length)) {
      // PROTOCOL.md §4.5: a client that labels keys differently retries with the full Kp.
      plain = PccrrWire.decrypt(b, r.segmentSecret(), length, true);
    }
    if (!r.verifies(index, plain, 0, length)) {
      failures.add("block " + index + " of " + r.id() + " does not verify");
      return null;
    }
    return plain;
  }

  private static String v1Probe(String id, List<Integer> batch, List<SegmentRecord> records) {
    StringBuilder scopes = new StringBuilder();
    for (int s : batch) {
      scopes.append(records.get(s).id().toHex()).append('\n');
    }
    return MulticastProber.sample("/vectors/PCCRD-4.1-TV-4a-probe-v1.dedented.xml")
        .replace("urn:uuid:91528b47-b96d-4e30-981f-308c0586926f", id)
        .replace("0200000000000000000000000000000000000000000000000000000000000000000\n"
            + "0000000000000000000000000000000000000000000000000000000000000\n", scopes.toString());
  }

  private static String v2Probe(String id, List<Integer> batch, List<SegmentRecord> records) {
    // SegmentHashSize (2, network order) | Segment Hash Count (1) | the ids (PROTOCOL.md §3.5).
    byte[] blob = new byte[3 + 32 * batch.size()];
    blob[1] = 32;
    blob[2] = (byte) batch.size();
    for (int i = 0; i < batch.size(); i++) {
      System.arraycopy(records.get(batch.get(i)).id().toBytes(), 0, blob, 3 + 32 * i, 32);
    }
    return MulticastProber.sample("/vectors/PCCRD-4.2-TV-4c-probe-v2.wrapped.xml")
        .replace("urn:uuid:91528b47-b96d-4e30-981f-308c0586926f", id)
        .replace("ACACI74aAQAAAAAwHRoBAAAAAEEAQQBEAHkAZwBNAE0AMQAjvhoBAAAAADAdGgEAAAAAQQBBAEQAeQBnAE0ATQAxAA==",
            Base64.getEncoder().encodeToString(blob));
  }

  /** Reads one ProbeMatches with a real XML parser, noting which batch segments the peer holds. */
  private static void read(String xml, List<Integer> batch, List<SegmentRecord> records, boolean v2,
      Map<Integer, String> holders) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setNamespaceAware(true);
    f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    DocumentBuilder db = f.newDocumentBuilder();
    Document doc = db.parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
    NodeList matches = doc.getElementsByTagNameNS(WSD, "ProbeMatch");
    for (int m = 0; m < matches.getLength(); m++) {
      Element match = (Element) matches.item(m);
      String xaddr = text(match, WSD, "XAddrs").split("\\s+")[0];
      String metadata = text(match, WSD, "MetadataVersion");
      if (!metadata.equals(v2 ? "2" : "1")) {
        throw new IOException("MetadataVersion " + metadata + " in a " + (v2 ? "V2" : "V1") + " ProbeMatch");
      }
      String scopes = text(match, WSD, "Scopes");
      if (v2) {
        byte[] bits = Base64.getDecoder().decode(scopes);
        for (int i = 0; i < batch.size(); i++) {
          int v = (bits[i / 4] >>> (6 - 2 * (i % 4))) & 0b11;
          if (v == 0b11) { // has all of it
            holders.putIfAbsent(batch.get(i), xaddr);
          }
        }
      } else {
        String counts = text(match, PEERDIST, "BlockCount");
        String[] ids = scopes.split("\\s+");
        Map<String, Integer> byHex = new HashMap<>();
        for (int s : batch) {
          byHex.put(records.get(s).id().toHex(), s);
        }
        for (int i = 0; i < ids.length; i++) {
          Integer s = byHex.get(ids[i]);
          long count = Long.parseLong(counts.substring(8 * i, 8 * i + 8), 16);
          if (s != null && count == records.get(s).blockCount()) {
            holders.putIfAbsent(s, xaddr);
          }
        }
      }
    }
  }

  private static String text(Element parent, String ns, String name) throws IOException {
    NodeList l = parent.getElementsByTagNameNS(ns, name);
    if (l.getLength() == 0) {
      throw new IOException("ProbeMatch without " + name);
    }
    return l.item(0).getTextContent().strip();
  }
}
