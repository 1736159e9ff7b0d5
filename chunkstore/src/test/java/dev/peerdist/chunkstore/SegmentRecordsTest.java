package dev.peerdist.chunkstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.content.ByteRange;
import dev.peerdist.chunkstore.content.ContentInformation;
import dev.peerdist.chunkstore.content.ContentInformationCodec;
import dev.peerdist.chunkstore.content.SegmentId;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class SegmentRecordsTest {
  // TEST-VECTORS.md TV-2a and TV-2b (REAL), as in chunkstore/src/test/resources/vectors/.
  private static final String TV2A = "0001 0c800000 00000000 00000000 01000000 0000000000000000 7e850100 00000100"
      + "d8d976354a4872e925761803f458d9daaa67f8e31c630fb74e6a312ef8a25aba"
      + "11afc0d7949243f94f9c1fab35d9fd1e331fcf7811a2e01d3587b38d770a29e2 02000000"
      + "73c18ab8549110f8e90e71bbc3ab2aa8c44d13f4929499255b660f24ec77800b"
      + "974bdd65567fdeeccdafe457a9503b4548f66ed3b188dcfda0ac382b09711acc";
  private static final String TV2B = "000204 0000000000000000 0000000000000000 00000000 0000000000000000 00 00000088"
      + "000099de e0d0c358e2684b62330d32b5f1978724a0d0a52bdc5e781fae71ff57a8be3dd4"
      + "58037ed404116bb616d9b14116088520c47cdc50abcea3fae188a98ea22df3c0"
      + "0000eba0 3381d0d0cb74f4b613d8210f37f002a06f3910586096a130d34398c08e66d7bc"
      + "b8b6eb7783e4f807647b63f146b52f4ac89ccc7abf5fa11acafc2acf5028586c";

  private static ContentInformation decode(String hex) {
    return ContentInformationCodec.standard().decode(HexFormat.of().parseHex(hex.replace(" ", "")));
  }

  @Test
  void v1RecordCarriesTheVerifiedChain() {
    SegmentRecord r = SegmentRecords.from(decode(TV2A), 0);
    assertEquals(SegmentId.fromHex("491B217DBEE2B5F12CA79B015E06F4BBE64F9745BAD7867AEF17DE59927EDCE9"), r.id());
    assertEquals(2, r.blockCount());
    assertEquals(34174, r.blockLength(1));
  }

  @Test
  void v2RecordIsOneBlockPerSegment() {
    ContentInformation info = decode(TV2B);
    SegmentRecord r = SegmentRecords.from(info, 1);
    assertEquals(info.segmentId(1), r.id());
    assertEquals(1, r.blockCount());
    assertEquals(60320, r.blockLength(0));
  }

  @Test
  void v1RangeResponseWithATrimmedBlockListIsRefused() {
    ContentInformation range = decode(TV2A).forRange(new ByteRange(0, 100));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SegmentRecords.from(range, 0));
    assertTrue(e.getMessage().contains("1 of its 2 block hashes"), e.getMessage());
  }

  @Test
  void tamperedKpGivesADifferentIdNotAFalseRecord() {
    byte[] wire = HexFormat.of().parseHex(TV2A.replace(" ", ""));
    wire[40] ^= 1; // inside HoD: block hashes no longer hash to it
    ContentInformation bad = ContentInformationCodec.standard().decode(wire);
    assertThrows(IllegalArgumentException.class, () -> SegmentRecords.from(bad, 0));
  }
}
