package dev.peerdist.chunkstore.content;

import static dev.peerdist.chunkstore.content.Vectors.gen;
import static dev.peerdist.chunkstore.content.Vectors.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SELF vectors TV-3a..TV-3f produced by the generator, and the generator's behaviour. */
class ContentInformationGeneratorTest {
  private static final ServerSecret SECRET = ServerSecret.fromText("server secret");
  private final ContentInformationCodec codec = ContentInformationCodec.standard();

  private static ContentInformationGenerator v1(HashAlgorithm a, int threads) {
    return ContentInformationGenerator.builder(SECRET).hashAlgorithm(a).threads(threads).build();
  }

  private static ContentInformationGenerator v2(int threads, int window) {
    return ContentInformationGenerator.builder(SECRET).version(ContentVersion.V2).threads(threads)
        .windowBytes(window).build();
  }

  @Test
  void tv3aSyn1() {
    byte[] content = new byte[100];
    for (int i = 0; i < 100; i++) {
      content[i] = (byte) i;
    }
    ContentInformation info = v1(HashAlgorithm.SHA_256, 1).generate(content);
    assertArrayEquals(Vectors.load("pccrc-2.3-tv3a-syn1-v1.hex"), codec.encode(info));
    assertEquals("eef4ccd97167f65e443cb2cee74d40bc03ad3b4655824a3e39a47d1769786f92", hex(info.segmentId(0).toBytes()));
  }

  @Test
  void tv3bSyn2() throws Exception {
    byte[] content = gen(128000);
    assertEquals("a93f72d4669908b08f91cbeec06c35a317488094f60f10579e9b017908139cb4",
        hex(MessageDigest.getInstance("SHA-256").digest(content)));
    ContentInformation info = v1(HashAlgorithm.SHA_256, 2).generate(content);
    assertArrayEquals(Vectors.load("pccrc-2.3-tv3b-syn2-v1.hex"), codec.encode(info));
    assertEquals("536e4334381ba6b092bf873e5745ef387c7e61540caadd151ad8a4a94e240fec", hex(info.segmentId(0).toBytes()));
  }

  @Test
  void tv3cSyn2WithSha512() throws Exception {
    ContentInformation info = v1(HashAlgorithm.SHA_512, 2).generate(gen(128000));
    byte[] wire = codec.encode(info);
    assertEquals(294, wire.length);
    assertEquals("00010e800000000000000000000001000000000000000000000000f4010000000100",
        hex(java.util.Arrays.copyOf(wire, 34)));
    assertEquals("a12f276d1564cc9cf0d4c9513ce7f3c734ebd6eda9e7c41ec0948ab3a4f00a36",
        hex(MessageDigest.getInstance("SHA-256").digest(wire)));
    SegmentDescription s = info.segment(0);
    assertEquals("b4c0c694c0600e2d499d4900f2919715af98c3229e81b51ab3897530a1dbcf2d71f26ecc2f0a312f596c561ad6667f4c"
        + "d3aaa1c749fd2f748ed2e2f766e83f96", hex(s.hashOfData()));
    assertEquals("33134ee097db4578249ac89d27e127f162df6bb47c016c9973d6f172118f44c550ff1d7e3cd63a80bdf07a8c5c609e22"
        + "80b75425ddf6aa8fce2d60cb4bb435d1", hex(s.segmentSecret()));
    assertEquals("754768faa96e7d869611a78f1fa4eb8297aac633770b6e1eec51cbd5108ca45c5bc16af637ed1497642cb7c367839882"
        + "52e0c4561e909f2e0fb3a52706be604d", hex(s.segmentId().toBytes()));
  }

  @Test
  void tv3dSyn3FixedCutsThroughThePublicKeyDerivation() {
    // TV-3d fixes the cuts (0xF000 / 0x15400 / 0xB000), which FastCDC would not choose; build the
    // segments from the same primitives the generator uses.
    byte[] content = gen(0x2F400);
    byte[] ks = SECRET.serverSecret(HashAlgorithm.TRUNCATED_SHA_512);
    int[] cuts = {0xF000, 0x15400, 0xB000};
    List<SegmentDescription> segs = new ArrayList<>();
    int off = 0;
    for (int len : cuts) {
      byte[] hod = HashAlgorithm.TRUNCATED_SHA_512.hash(java.util.Arrays.copyOfRange(content, off, off + len));
      byte[] kp = PccrcKeys.segmentSecret(HashAlgorithm.TRUNCATED_SHA_512, ks, hod);
      segs.add(SegmentDescription.v2(off, len, hod, kp));
      off += len;
    }
    ContentInformation info = ContentInformation.v2(0, 0, 0, segs);
    assertArrayEquals(Vectors.load("pccrc-2.4-tv3d-syn3-v2.hex"), codec.encode(info));
    assertEquals("1223019f10e15a057f19f91bad00ade1d7853192aaaf6188fdad0203b9bb36e5", hex(info.segmentId(0).toBytes()));
    assertEquals("f2e92ff47472f9eb5eabda6af39a45bf830a76d7d6ab11ab4f42eaa93dea557d", hex(info.segmentId(2).toBytes()));
    assertTrue(info.segment(1).verifyBlock(0, content, 0xF000, 0x15400));
  }

  @Test
  void tv3eSyn4TwoSegmentsFromAFileWithSeveralThreadsAndAnInputStream(@TempDir Path dir) throws Exception {
    byte[] content = gen(33628997);
    Path file = dir.resolve("syn4.bin");
    Files.write(file, content);
    AtomicLong seen = new AtomicLong();
    ContentInformationGenerator g = ContentInformationGenerator.builder(SECRET).threads(2)
        .windowBytes(1024 * 1024).progress((done, total) -> {
          assertEquals(33628997, total);
          seen.set(done);
        }).build();
    ContentInformation info = g.generate(file);
    assertEquals(33628997, seen.get());
    byte[] wire = codec.encode(info);
    assertEquals(16634, wire.length);
    assertEquals("396ef1b947ced3508663e5c27fe0487e65650e02033c719cbbbd01a96288b89b",
        hex(MessageDigest.getInstance("SHA-256").digest(wire)));
    assertEquals("3475747e2fc7899b0fd37276a2d5e1e359940be25cee8f4854afd895d802b2dd", hex(info.segmentId(0).toBytes()));
    assertEquals("f6561b88a9a1e5359cf0a5a39e7f9ba377d19508e391d0f748318bbb61cc4430", hex(info.segmentId(1).toBytes()));
    assertEquals("bf34b095abbc79669e73e9c2acac8228e505f481e16937e365ec5bc887189c98",
        hex(info.segment(0).blockHash(511)));
    // Same bytes from a stream, single-threaded, default window.
    ContentInformation fromStream = v1(HashAlgorithm.SHA_256, 1).generate(new ByteArrayInputStream(content));
    assertEquals(info, fromStream);
  }

  @Test
  void tv3fRangeFromAFile(@TempDir Path dir) throws IOException {
    Path syn2 = dir.resolve("syn2");
    Files.write(syn2, gen(128000));
    ContentInformation v1 = v1(HashAlgorithm.SHA_256, 2).generate(syn2, new ByteRange(102400, 128000));
    assertArrayEquals(Vectors.load("pccrc-3.3-tv3f-range-v1.hex"), codec.encode(v1));
    assertThrows(IllegalArgumentException.class,
        () -> v1(HashAlgorithm.SHA_256, 2).generate(syn2, new ByteRange(0, 128001)));
  }

  @Test
  void v2SegmentsRespectTheLimitsAndCoverTheContent() throws IOException {
    byte[] content = new byte[3 * 1024 * 1024 + 12345];
    new Random(7).nextBytes(content);
    ContentInformation info = v2(2, 256 * 1024).generate(content);
    long covered = 0;
    for (int i = 0; i < info.segmentCount(); i++) {
      SegmentDescription s = info.segment(i);
      assertEquals(covered, s.offsetInContent());
      assertTrue(s.segmentLength() <= FastCdcChunker.MAX_SIZE);
      if (i < info.segmentCount() - 1) {
        assertTrue(s.segmentLength() >= FastCdcChunker.MIN_SIZE, "segment " + i + " " + s.segmentLength());
      }
      assertTrue(s.verifyBlock(0, content, (int) covered, s.segmentLength()));
      covered += s.segmentLength();
    }
    assertEquals(content.length, covered);
    // Window size, thread count and source type do not change the cuts.
    assertEquals(info, v2(1, 4 * 1024 * 1024).generate(new ByteArrayInputStream(content)));
    assertEquals(info, v2(2, 320 * 1024).generate(Channels.newChannel(new ByteArrayInputStream(content))));
  }

  @Test
  void v2InsertingBytesInTheMiddleKeepsMostSegmentIds() {
    byte[] content = new byte[8 * 1024 * 1024];
    new Random(42).nextBytes(content);
    byte[] edited = new byte[content.length + 5];
    int mid = content.length / 2;
    System.arraycopy(content, 0, edited, 0, mid);
    System.arraycopy(new byte[] {1, 2, 3, 4, 5}, 0, edited, mid, 5);
    System.arraycopy(content, mid, edited, mid + 5, content.length - mid);
    ContentInformationGenerator g = v2(2, ContentInformationGenerator.DEFAULT_WINDOW_BYTES);
    ContentInformation before = g.generate(content);
    ContentInformation after = g.generate(edited);
    Set<SegmentId> afterIds = new HashSet<>();
    after.segments().forEach(s -> afterIds.add(s.segmentId()));
    long kept = before.segments().stream().filter(s -> afterIds.contains(s.segmentId())).count();
    double fraction = (double) kept / before.segmentCount();
    assertTrue(before.segmentCount() > 60, "8 MiB should give ~100 segments, got " + before.segmentCount());
    assertTrue(fraction >= 0.95, "kept " + kept + " of " + before.segmentCount() + " segment ids");
    // The edit really changed something: at most a few segments differ.
    assertTrue(before.segmentCount() - kept >= 1 && before.segmentCount() - kept <= 3);
  }

  @Test
  void emptyContentIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> v1(HashAlgorithm.SHA_256, 2).generate(new byte[0]));
    assertTrue(e.getMessage().contains("empty"));
    assertThrows(IllegalArgumentException.class, () -> v2(1, 256 * 1024).generate(new byte[0]));
  }

  @Test
  void exactWindowMultiplesAndTinyContent() throws IOException {
    for (int size : new int[] {1, 65535, 65536, 65537, 256 * 1024, 512 * 1024}) {
      byte[] content = gen(size);
      ContentInformation a = ContentInformationGenerator.builder(SECRET).threads(2).windowBytes(256 * 1024)
          .build().generate(new ByteArrayInputStream(content));
      ContentInformation b = v1(HashAlgorithm.SHA_256, 1).generate(content);
      assertEquals(a, b, "size " + size);
      assertEquals(new ByteRange(0, size), a.contentRange());
      assertTrue(a.segment(0).blockHashesMatchHashOfData());
      ContentInformation c = v2(2, 256 * 1024).generate(content);
      assertEquals(new ByteRange(0, size), c.contentRange());
    }
  }

  @Test
  void hashesOfV1BlocksVerifyTheirBlocks() {
    byte[] content = gen(200_000);
    SegmentDescription s = v1(HashAlgorithm.SHA_384, 2).generate(content).segment(0);
    for (int b = 0; b < s.blockCount(); b++) {
      ByteRange r = s.blockRange(b);
      assertTrue(s.verifyBlock(b, content, (int) r.start(), (int) r.length()));
    }
    content[70000] ^= 1;
    assertTrue(!s.verifyBlock(1, content, 65536, 65536));
  }
}
