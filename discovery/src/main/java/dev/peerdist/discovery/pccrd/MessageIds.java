package dev.peerdist.discovery.pccrd;

import java.util.UUID;
import java.util.random.RandomGenerator;

/** Random WS-Discovery MessageIDs and endpoint ids: {@code urn:uuid:} and a version-4 UUID (PROTOCOL.md §3.3). */
public final class MessageIds {
  private MessageIds() {}

  /** {@code urn:uuid:} and a version-4 UUID drawn from {@code random}. */
  public static String random(RandomGenerator random) {
    long msb = random.nextLong();
    long lsb = random.nextLong();
    // Version 4, IETF variant.
    msb = (msb & ~0xF000L) | 0x4000L;
    lsb = (lsb & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
    return "urn:uuid:" + new UUID(msb, lsb);
  }
}
