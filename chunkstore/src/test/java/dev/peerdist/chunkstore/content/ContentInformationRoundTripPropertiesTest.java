package dev.peerdist.chunkstore.content;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** generate → encode → decode is the identity, for whole content and for every range form. */
class ContentInformationRoundTripPropertiesTest {
  private static final ServerSecret SECRET = ServerSecret.fromText("round trip");
  private final ContentInformationCodec codec = ContentInformationCodec.standard();

  @Property(tries = 40)
  void generatedStructuresRoundTrip(@ForAll @IntRange(min = 1, max = 600_000) int size, @ForAll boolean v2,
      @ForAll long seed, @ForAll @IntRange(min = 0, max = 2) int hash) {
    byte[] content = new byte[size];
    new Random(seed).nextBytes(content);
    HashAlgorithm algorithm = v2 ? HashAlgorithm.TRUNCATED_SHA_512
        : new HashAlgorithm[] {HashAlgorithm.SHA_256, HashAlgorithm.SHA_384, HashAlgorithm.SHA_512}[hash];
    ContentInformation info = ContentInformationGenerator.builder(SECRET).hashAlgorithm(algorithm).threads(2)
        .windowBytes(256 * 1024).build().generate(content);
    byte[] wire = codec.encode(info);
    ContentInformation back = codec.decode(wire);
    assertEquals(info, back);
    assertArrayEquals(wire, codec.encode(back));
    assertEquals(new ByteRange(0, size), back.contentRange());

    Random r = new Random(seed ^ size);
    long start = r.nextInt(size);
    long end = start + 1 + r.nextInt((int) (size - start));
    ContentInformation ranged = info.forRange(new ByteRange(start, end));
    ContentInformation rangedBack = codec.decode(codec.encode(ranged));
    assertEquals(ranged, rangedBack);
    assertEquals(new ByteRange(start, end), rangedBack.contentRange());
    for (int i = 0; i < rangedBack.segmentCount(); i++) {
      assertTrue(rangedBack.segmentRange(i).intersects(new ByteRange(start, end)));
      assertEquals(ranged.segmentId(i), rangedBack.segmentId(i));
    }
  }
}
