package dev.peerdist.discovery.pccrd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.random.RandomGenerator;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/** The UUIDv8 layout of {@link ProbeTag} (CONTRACTS.md "Discovery API", item 1). */
class ProbeTagTest {
  /** A generator whose nextInt() is fixed, so the random 32 bits are known. */
  private static RandomGenerator fixedInt(int value) {
    return new RandomGenerator() {
      @Override
      public long nextLong() {
        return value;
      }

      @Override
      public int nextInt() {
        return value;
      }
    };
  }

  @Test
  void bitLayoutIsTheContractsOne() {
    ProbeTag tag = new ProbeTag(0x0123_4567_89ABL, 0xBEEF, 0x03);
    String id = tag.toMessageId(fixedInt(0xCAFE_F00D));
    // nodeId | ver 8 + marker 5D1 | variant 10 + marker 101101 = AD, flags 03 | port BEEF + random.
    assertEquals("urn:uuid:01234567-89ab-85d1-ad03-beefcafef00d", id);
    UUID u = UUID.fromString(id.substring("urn:uuid:".length()));
    assertEquals(8, u.version());
    assertEquals(2, u.variant()); // IETF variant, bits 10
    assertEquals(0x0123_4567_89ABL, u.getMostSignificantBits() >>> 16);
    assertEquals(0x5D1, u.getMostSignificantBits() & 0xFFF);
    assertEquals(0b101101, (u.getLeastSignificantBits() >>> 56) & 0x3F);
    assertEquals(0x03, (u.getLeastSignificantBits() >>> 48) & 0xFF);
    assertEquals(0xBEEF, (u.getLeastSignificantBits() >>> 32) & 0xFFFF);
    assertEquals(0xCAFE_F00DL, u.getLeastSignificantBits() & 0xFFFF_FFFFL);
  }

  @Test
  void extremesRoundTrip() {
    for (ProbeTag t : new ProbeTag[] {
        new ProbeTag(0, 0, 0), new ProbeTag(ProbeTag.MAX_NODE_ID, 65535, 255), new ProbeTag(1, 80, ProbeTag.CACHE_SERVER)}) {
      String id = t.toMessageId(fixedInt(-1));
      assertEquals(Optional.of(t), ProbeTag.fromMessageId(id), id);
      assertEquals(id.toLowerCase(java.util.Locale.ROOT), id, "lower-case hex");
    }
  }

  @Property(tries = 500)
  void everyTagRoundTrips(
      @ForAll @LongRange(min = 0, max = ProbeTag.MAX_NODE_ID) long nodeId,
      @ForAll @IntRange(min = 0, max = 65535) int port,
      @ForAll @IntRange(min = 0, max = 255) int flags,
      @ForAll long seed) {
    ProbeTag t = new ProbeTag(nodeId, port, flags);
    String id = t.toMessageId(new SplittableRandom(seed));
    assertEquals(Optional.of(t), ProbeTag.fromMessageId(id));
    // Still a canonical UUID URI for every other implementation (PROTOCOL.md §3.3).
    assertEquals(id.substring(9), UUID.fromString(id.substring(9)).toString());
    // Upper-case text and an upper-case prefix are the same URI.
    assertEquals(Optional.of(t), ProbeTag.fromMessageId("URN:UUID:" + id.substring(9).toUpperCase(java.util.Locale.ROOT)));
  }

  @Property(tries = 500)
  void ordinaryVersion4UuidsAreNotOurs(@ForAll long msb, @ForAll long lsb) {
    UUID v4 = new UUID((msb & ~0xF000L) | 0x4000L, (lsb & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L);
    assertEquals(Optional.empty(), ProbeTag.fromMessageId("urn:uuid:" + v4));
  }

  @Test
  void aRandomUuidIsNotOurs() {
    for (int i = 0; i < 1000; i++) {
      assertFalse(ProbeTag.fromMessageId("urn:uuid:" + UUID.randomUUID()).isPresent());
    }
  }

  @Test
  void malformedIdsAreNotOursAndNeverThrow() {
    String good = new ProbeTag(42, 8080, 1).toMessageId(fixedInt(7));
    assertTrue(ProbeTag.fromMessageId(good).isPresent());
    String[] bad = {
      null,
      "",
      "urn:uuid:",
      good.substring(9), // no prefix
      "uuid:" + good.substring(9),
      good + "0", // too long
      good.substring(0, good.length() - 1), // too short
      good.replace('-', '_'),
      good.substring(0, 16) + "-" + good.charAt(16) + good.substring(18), // hyphen moved
      good.replace("85d1", "75d1"), // version 7
      good.replace("85d1", "85d2"), // first marker
      good.replace("-ad01-", "-ed01-"), // variant 11
      good.replace("-ad01-", "-a901-"), // second marker
      good.substring(0, 30) + "g" + good.substring(31), // not hex
      good.substring(0, 30) + "\u0661" + good.substring(31), // a non-ASCII digit
      "urn:uuid:{" + good.substring(10, 44) + "}",
      "http://example/" + good,
    };
    for (String s : bad) {
      assertEquals(Optional.empty(), ProbeTag.fromMessageId(s), String.valueOf(s));
    }
  }

  @Test
  void fieldsOutsideTheirRangesAreRefusedByName() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new ProbeTag(-1, 0, 0)).getMessage().contains("nodeId"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new ProbeTag(1L << 48, 0, 0)).getMessage()
        .contains("nodeId"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new ProbeTag(0, 65536, 0)).getMessage()
        .contains("pccrrPort"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new ProbeTag(0, -1, 0)).getMessage()
        .contains("pccrrPort"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new ProbeTag(0, 0, 256)).getMessage().contains("flags"));
  }

  @Test
  void flagsAreTested() {
    ProbeTag t = new ProbeTag(1, 1, ProbeTag.ORIGIN_ACTIVE | ProbeTag.CACHE_SERVER);
    assertTrue(t.has(ProbeTag.ORIGIN_ACTIVE));
    assertTrue(t.has(ProbeTag.CACHE_SERVER));
    assertFalse(new ProbeTag(1, 1, ProbeTag.CACHE_SERVER).has(ProbeTag.ORIGIN_ACTIVE));
  }
}
