package dev.peerdist.chunkstore.content;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Properties: no input makes the decoder throw anything but its own exception. */
class ContentInformationCodecPropertiesTest {
  private static final List<String> VECTORS = List.of("pccrc-2.3-tv2a-iis85-v1.hex",
      "pccrc-2.4-tv2b-iis85-v2.hex", "pccrc-2.3-tv3a-syn1-v1.hex", "pccrc-2.4-tv3d-syn3-v2.hex",
      "pccrc-3.3-tv3f-range-v1.hex", "pccrc-3.7-tv3f-range-v2.hex");
  private final ContentInformationCodec codec = ContentInformationCodec.standard();

  /** Decodes, and if that works, checks that encoding gives the same bytes back. */
  private void decodeOrReject(byte[] bytes) {
    ContentInformation info;
    try {
      info = codec.decode(bytes);
    } catch (ContentInformationFormatException expected) {
      return;
    }
    assertArrayEquals(bytes, codec.encode(info));
  }

  @Property(tries = 2000)
  void randomBytes(@ForAll @Size(max = 400) byte[] bytes) {
    decodeOrReject(bytes);
  }

  @Property(tries = 2000)
  void randomBytesWithAValidVersionWord(@ForAll @Size(max = 400) byte[] bytes, @ForAll boolean v2) {
    if (bytes.length >= 2) {
      bytes[0] = 0;
      bytes[1] = (byte) (v2 ? 2 : 1);
    }
    decodeOrReject(bytes);
  }

  @Property(tries = 3000)
  void mutatedVectors(@ForAll("vector") byte[] wire, @ForAll @IntRange(min = 1, max = 6) int flips,
      @ForAll("seeds") long seed) {
    java.util.Random r = new java.util.Random(seed);
    byte[] m = wire.clone();
    for (int i = 0; i < flips; i++) {
      m[r.nextInt(m.length)] = (byte) r.nextInt(256);
    }
    decodeOrReject(m);
  }

  @Provide
  Arbitrary<byte[]> vector() {
    return Arbitraries.of(VECTORS).map(Vectors::load);
  }

  @Provide
  Arbitrary<Long> seeds() {
    return Arbitraries.longs();
  }
}
