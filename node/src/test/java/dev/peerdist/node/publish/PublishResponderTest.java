package dev.peerdist.node.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.content.ContentVersion;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The publisher's decisions without a socket or a file opened: routing, 412/304, If-Range,
 * authorization, min-size and PeerDist negotiation (PROTOCOL.md §5.3), as {@link PublishHandler}
 * obeys them.
 */
class PublishResponderTest {
  private static final Instant MTIME = Instant.parse("2026-11-20T10:00:00Z");
  private static final String MTIME_HTTP = "Fri, 20 Nov 2026 10:00:00 GMT";
  private static final ServedFile FILE = new ServedFile(Path.of("/srv/pkg.bin"), "pkg.bin", 1 << 20, MTIME,
      "\"abc\"", "application/octet-stream", "\"abc\"");
  private static final String[] PEERDIST = {"Accept-Encoding", "peerdist", "X-P2P-PeerDist", "Version=1.1"};

  private static PublishResponder responder(String token, long minSize) {
    return new PublishResponder(PublisherConfig.builder().root(Path.of("/srv")).stateDir(Path.of("/tmp/state"))
        .token(token).minSize(minSize).maxContentVersion(ContentVersion.V2).build());
  }

  private static PublishResponder.Headers headers(String... nameValue) {
    Map<String, List<String>> m = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (int i = 0; i < nameValue.length; i += 2) {
      m.computeIfAbsent(nameValue[i].toLowerCase(Locale.ROOT), k -> new java.util.ArrayList<>()).add(nameValue[i + 1]);
    }
    return name -> m.getOrDefault(name, List.of());
  }

  private static String[] with(String[] a, String... more) {
    String[] out = java.util.Arrays.copyOf(a, a.length + more.length);
    System.arraycopy(more, 0, out, a.length, more.length);
    return out;
  }

  @Test
  void routing() {
    PublishResponder r = responder(null, 0);
    assertEquals(new PublishResponder.Resolve("/a b/c.iso"), r.route("GET", "/a%20b/c.iso?x=1", true, false));
    assertEquals(new PublishResponder.Resolve("/x"), r.route("HEAD", "/x", true, false));
    assertEquals(new PublishResponder.Reject(405, "GET, HEAD"), r.route("POST", "/x", true, false));
    assertEquals(new PublishResponder.Reject(400, null), r.route("GET", "/x", false, false));
    assertEquals(new PublishResponder.Reject(431, null), r.route("GET", "/x", false, true));
    assertEquals(new PublishResponder.Reject(400, null), r.route("GET", "/%zz", true, false));
  }

  @Test
  void conditionalRequests() {
    PublishResponder r = responder(null, 0);
    assertInstanceOf(PublishResponder.PreconditionFailed.class,
        r.decide(false, headers("If-Match", "\"other\""), FILE).decision());
    assertInstanceOf(PublishResponder.SendFile.class, r.decide(false, headers("If-Match", "\"x\", \"abc\""), FILE).decision());
    assertInstanceOf(PublishResponder.NotModified.class, r.decide(false, headers("If-None-Match", "W/\"abc\""), FILE)
        .decision());
    assertInstanceOf(PublishResponder.NotModified.class, r.decide(false, headers("If-Modified-Since", MTIME_HTTP), FILE)
        .decision());
    assertInstanceOf(PublishResponder.SendFile.class, r.decide(false,
        headers("If-Modified-Since", "Thu, 19 Nov 2026 10:00:00 GMT"), FILE).decision());
    // If-Range with a stale validator: the whole file, not the range.
    PublishResponder.SendFile stale = (PublishResponder.SendFile) r.decide(false,
        headers("Range", "bytes=0-9", "If-Range", "\"old\""), FILE).decision();
    assertInstanceOf(RangeRequest.Full.class, stale.range());
    PublishResponder.SendFile fresh = (PublishResponder.SendFile) r.decide(false,
        headers("Range", "bytes=0-9", "If-Range", MTIME_HTTP), FILE).decision();
    assertEquals(new RangeRequest.Partial(0, 10), fresh.range());
  }

  @Test
  void negotiationAuthorizationAndMinSize() {
    PublishResponder open = responder(null, 0);
    PublishResponder.SendContentInformation ci = (PublishResponder.SendContentInformation) open.decide(false,
        headers(PEERDIST), FILE).decision();
    assertEquals(ContentVersion.V1, ci.negotiation().contentVersion());
    PublishResponder.SendFile head = (PublishResponder.SendFile) open.decide(true, headers(PEERDIST), FILE).decision();
    assertTrue(head.why().endsWith(" head"), head.why());
    assertInstanceOf(PublishResponder.SendFile.class, open.decide(false, headers(), FILE).decision(), "no PeerDist asked");

    PublishResponder guarded = responder("s3cret", 0);
    PublishResponder.SendFile declined = (PublishResponder.SendFile) guarded.decide(false, headers(PEERDIST), FILE).decision();
    assertEquals("peerdist declined: no valid token", declined.why());
    assertInstanceOf(PublishResponder.SendContentInformation.class,
        guarded.decide(false, headers(with(PEERDIST, "Authorization", "bearer s3cret")), FILE).decision());

    PublishResponder big = responder(null, 2 << 20);
    PublishResponder.SendFile small = (PublishResponder.SendFile) big.decide(false, headers(PEERDIST), FILE).decision();
    assertEquals("peerdist declined: below min size", small.why());
    assertEquals(Optional.empty(), big.decide(false, headers(PEERDIST), FILE).startHashing());
  }

  @Test
  void aHashRequestStartsHashingWhateverIsAnswered() {
    PublishResponder r = responder(null, 0);
    PublishResponder.Plan p = r.decide(false, headers("X-P2P-PeerDist", "Version=1.1",
        "X-P2P-PeerDistEx", "HashRequest=true"), FILE);
    assertInstanceOf(PublishResponder.SendFile.class, p.decision(), "no Accept-Encoding: the file");
    assertEquals(Optional.of(ContentVersion.V1), p.startHashing());
    assertNull(r.decide(false, headers(), FILE).startHashing().orElse(null));
  }
}
