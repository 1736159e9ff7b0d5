package dev.peerdist.chunkstore.content;

import static dev.peerdist.chunkstore.content.Vectors.TV2_KEY;
import static dev.peerdist.chunkstore.content.Vectors.TV3_KEY;
import static dev.peerdist.chunkstore.content.Vectors.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Every REAL vector of TEST-VECTORS.md (TV-1, TV-2a, TV-2b) byte for byte, plus the decode side of
 * the SELF vectors. Generation of the SELF vectors is in {@link ContentInformationGeneratorTest}.
 */
class ContentInformationVectorsTest {
  private final ContentInformationCodec codec = ContentInformationCodec.standard();

  @ParameterizedTest
  @ValueSource(strings = {
    "pccrc-2.3-tv2a-iis85-v1.hex", "pccrc-2.4-tv2b-iis85-v2.hex", "pccrc-2.3-tv3a-syn1-v1.hex",
    "pccrc-2.3-tv3b-syn2-v1.hex", "pccrc-2.4-tv3d-syn3-v2.hex", "pccrc-3.3-tv3f-range-v1.hex",
    "pccrc-3.7-tv3f-range-v2.hex"
  })
  void everyVectorDecodesAndReEncodesIdentically(String name) {
    byte[] wire = Vectors.load(name);
    ContentInformation info = codec.decode(wire);
    assertArrayEquals(wire, codec.encode(info), name);
    assertEquals(wire.length, ContentInformationCodec.encodedLength(info));
  }

  @Test
  void tv1ConstantC2IsUtf16leWithNul() {
    assertArrayEquals(hex("4d0053005f00500032005000 5f00430041004300480049004e0047000000"), PccrcKeys.c2());
  }

  @Test
  void tv2ServerSecrets() {
    assertEquals("7e7808bc36d0dd67f344928421614399497f0e85149f6f2bc4dd7b7856acc1a1",
        hex(PccrcKeys.serverSecret(HashAlgorithm.SHA_256, TV2_KEY)));
    assertEquals("68e8229a3f1d6c7fe9b3f75911c3f18c9086785177afd73f7d22615570a0e7cc",
        hex(PccrcKeys.serverSecret(HashAlgorithm.TRUNCATED_SHA_512, TV2_KEY)));
  }

  @Test
  void tv2aV1FieldsAndDerivedValues() {
    ContentInformation info = codec.decode(Vectors.load("pccrc-2.3-tv2a-iis85-v1.hex"));
    assertEquals(ContentVersion.V1, info.version());
    assertEquals(HashAlgorithm.SHA_256, info.hashAlgorithm());
    assertEquals(0, info.offsetInFirstSegment());
    assertEquals(0, info.readBytesInLastSegment());
    assertEquals(new ByteRange(0, 99710), info.contentRange());
    assertEquals(1, info.segmentCount());
    SegmentDescription s = info.segment(0);
    assertEquals(99710, s.segmentLength());
    assertEquals(2, s.blockCount());
    assertEquals(new ByteRange(0, 65536), info.blockRange(0, 0));
    assertEquals(new ByteRange(65536, 99710), info.blockRange(0, 1));
    assertEquals(34174, s.blockLength(1));
    assertTrue(s.hasAllBlockHashes());

    // Recompute HoD, Kp and HoHoDk from the listed block hashes and the real server key.
    byte[] hod = PccrcKeys.v1HashOfData(HashAlgorithm.SHA_256, s.blockHashes());
    assertEquals("d8d976354a4872e925761803f458d9daaa67f8e31c630fb74e6a312ef8a25aba", hex(hod));
    assertArrayEquals(hod, s.hashOfData());
    assertTrue(s.blockHashesMatchHashOfData());
    byte[] ks = PccrcKeys.serverSecret(HashAlgorithm.SHA_256, TV2_KEY);
    byte[] kp = PccrcKeys.segmentSecret(HashAlgorithm.SHA_256, ks, hod);
    assertEquals("11afc0d7949243f94f9c1fab35d9fd1e331fcf7811a2e01d3587b38d770a29e2", hex(kp));
    assertArrayEquals(kp, s.segmentSecret());
    assertEquals("491b217dbee2b5f12ca79b015e06f4bbe64f9745bad7867aef17de59927edce9",
        hex(s.segmentId().toBytes()));
    assertEquals("491B217DBEE2B5F12CA79B015E06F4BBE64F9745BAD7867AEF17DE59927EDCE9", s.segmentId().toHex());
  }

  @Test
  void tv2aNegativeC2VariantsDoNotMatch() {
    SegmentDescription s = codec.decode(Vectors.load("pccrc-2.3-tv2a-iis85-v1.hex")).segment(0);
    byte[] asciiNul = "MS_P2P_CACHING\0".getBytes(StandardCharsets.US_ASCII);
    byte[] utf16NoNul = "MS_P2P_CACHING".getBytes(StandardCharsets.UTF_16LE);
    byte[] wrong1 = HashAlgorithm.SHA_256.hmac(s.segmentSecret(), s.hashOfData(), asciiNul);
    byte[] wrong2 = HashAlgorithm.SHA_256.hmac(s.segmentSecret(), s.hashOfData(), utf16NoNul);
    assertEquals("7bfe71cc688fb547c360acd2ac0060a8cf2545d941c01c3998578853834734ec", hex(wrong1));
    assertEquals("98e2123c54c187ee03759921fd3dcb97360620b3bc42cd62ad4e85fdb11a4464", hex(wrong2));
    assertNotEquals(s.segmentId(), SegmentId.of(wrong1));
    assertNotEquals(s.segmentId(), SegmentId.of(wrong2));
  }

  @Test
  void tv2bV2FieldsAndDerivedValues() {
    ContentInformation info = codec.decode(Vectors.load("pccrc-2.4-tv2b-iis85-v2.hex"));
    assertEquals(ContentVersion.V2, info.version());
    assertEquals(HashAlgorithm.TRUNCATED_SHA_512, info.hashAlgorithm());
    assertEquals(new ByteRange(0, 99710), info.contentRange());
    assertEquals(List.of(2), info.chunkSegmentCounts());
    assertEquals(2, info.segmentCount());
    assertEquals(new ByteRange(0, 39390), info.segmentRange(0));
    assertEquals(new ByteRange(39390, 99710), info.segmentRange(1));
    assertEquals(1, info.blockCount(1));
    assertEquals(new ByteRange(39390, 99710), info.blockRange(1, 0));

    byte[] ks = PccrcKeys.serverSecret(HashAlgorithm.TRUNCATED_SHA_512, TV2_KEY);
    String[][] expected = {
      {"58037ed404116bb616d9b14116088520c47cdc50abcea3fae188a98ea22df3c0",
       "3371bbeaddb62353adcef970a06fdf65001e0421f4c7108276b0c37a9f9ec10f",
       "e9cd6ab5abd6c368d420ece1f3986bec5ac00c5b5c9dd29606d682852cb85162"},
      {"b8b6eb7783e4f807647b63f146b52f4ac89ccc7abf5fa11acafc2acf5028586c",
       "d7e924425e8f4f88f01dc6a9bb1bc37be113ec7917c745d4965c2b55fa163a6e",
       "bc5b6f9df5182172f09dbe55f366de56c3eb88b601443374e1d377c0ab6ffafa"},
    };
    byte[] asciiNul = "MS_P2P_CACHING\0".getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i < 2; i++) {
      SegmentDescription s = info.segment(i);
      byte[] kp = PccrcKeys.segmentSecret(HashAlgorithm.TRUNCATED_SHA_512, ks, s.hashOfData());
      assertEquals(expected[i][0], hex(kp));
      assertArrayEquals(kp, s.segmentSecret());
      assertEquals(expected[i][1], hex(s.segmentId().toBytes()));
      byte[] wrong = HashAlgorithm.TRUNCATED_SHA_512.hmac(s.segmentSecret(), s.hashOfData(), asciiNul);
      assertEquals(expected[i][2], hex(wrong));
      assertNotEquals(s.segmentId(), SegmentId.of(wrong));
    }
  }

  @Test
  void tv3ServerSecrets() {
    assertArrayEquals(TV3_KEY, PccrcKeys.keyMaterialFromText("server secret"));
    assertEquals("e8b893c11d8bc46a647198c0f45c786bb92fd88c6737588c751a02b775227a0b",
        hex(PccrcKeys.serverSecret(HashAlgorithm.SHA_256, TV3_KEY)));
    assertEquals("7d01de40fac8f2ad7467ad861de17463d04c4173e10be114246319738bbdebbd15a49a55892e1424ea75660a"
        + "6091c9dbb5c91096d3c780278a0525f99618684f", hex(PccrcKeys.serverSecret(HashAlgorithm.SHA_512, TV3_KEY)));
    assertEquals("7d01de40fac8f2ad7467ad861de17463d04c4173e10be114246319738bbdebbd",
        hex(PccrcKeys.serverSecret(HashAlgorithm.TRUNCATED_SHA_512, TV3_KEY)));
  }

  @Test
  void tv3fRangeVectorsResolveToTheirByteRanges() {
    ContentInformation v1 = codec.decode(Vectors.load("pccrc-3.3-tv3f-range-v1.hex"));
    assertEquals(new ByteRange(102400, 128000), v1.contentRange());
    assertEquals(102400, v1.offsetInFirstSegment());
    ContentInformation v2 = codec.decode(Vectors.load("pccrc-3.7-tv3f-range-v2.hex"));
    assertEquals(new ByteRange(0x19000, 0x1B800), v2.contentRange());
    assertEquals(new ByteRange(0xF000, 0x24400), v2.segmentRange(0));
    assertEquals(1, v2.indexOfFirstSegment());
    assertEquals("691fe0c53fbbb93de7c35c6783571fb5b3897d1d40b0a718a7f7a6cea4de2b2f",
        hex(v2.segmentId(0).toBytes()));
  }

  @Test
  void tv3fRangesAreWhatForRangeMakesFromTheFullStructures() {
    ContentInformation fullV1 = codec.decode(Vectors.load("pccrc-2.3-tv3b-syn2-v1.hex"));
    assertArrayEquals(Vectors.load("pccrc-3.3-tv3f-range-v1.hex"),
        codec.encode(fullV1.forRange(new ByteRange(102400, 128000))));
    ContentInformation fullV2 = codec.decode(Vectors.load("pccrc-2.4-tv3d-syn3-v2.hex"));
    assertArrayEquals(Vectors.load("pccrc-3.7-tv3f-range-v2.hex"),
        codec.encode(fullV2.forRange(new ByteRange(0x19000, 0x1B800))));
    // A range covering everything gives back the full-file form (dwReadBytesInLastSegment 0).
    assertEquals(fullV1, fullV1.forRange(fullV1.contentRange()));
    assertFalse(fullV1.forRange(new ByteRange(0, 1000)).segment(0).hasAllBlockHashes());
  }
}
