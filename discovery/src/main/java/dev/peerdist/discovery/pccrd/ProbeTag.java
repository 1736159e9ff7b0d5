package dev.peerdist.discovery.pccrd;

import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * peerdist's mark in a probe's {@code wsa:MessageID}: who sent the probe, where it serves PCCRR
 * and what it is doing, carried inside an ordinary {@code urn:uuid:} URI (PROTOCOL.md §3.3 only
 * asks for a unique {@code urn:uuid:}), so that other implementations see a valid MessageID and
 * peerdist nodes learn about the prober without an extra message.
 *
 * <p>The UUID is an RFC 9562 §5.8 version 8 ("custom") UUID. Bits are numbered big-endian over
 * the 128-bit value (bit 0 is the most significant bit of the first byte):
 *
 * <table>
 *   <caption>Layout</caption>
 *   <tr><th>bits</th><th>field</th></tr>
 *   <tr><td>0–47</td><td>{@code nodeId}</td></tr>
 *   <tr><td>48–51</td><td>version {@code 1000} (8)</td></tr>
 *   <tr><td>52–63</td><td>marker {@code 0x5D1}</td></tr>
 *   <tr><td>64–65</td><td>variant {@code 10} (RFC 9562)</td></tr>
 *   <tr><td>66–71</td><td>marker {@code 101101}</td></tr>
 *   <tr><td>72–79</td><td>{@code flags}</td></tr>
 *   <tr><td>80–95</td><td>{@code pccrrPort}</td></tr>
 *   <tr><td>96–127</td><td>random, so that MessageIDs stay unique</td></tr>
 * </table>
 *
 * <p>The two markers (18 bits) make an accidental match with another implementation's version 8
 * UUID unlikely; version 4 UUIDs, which every known PCCRD client sends, never match. Pure.
 *
 * @param nodeId the prober's node id, 48 bits (0 .. 2<sup>48</sup>−1)
 * @param pccrrPort the prober's PCCRR port, 0..65535 (0 = unknown)
 * @param flags 0..255, a combination of {@link #ORIGIN_ACTIVE} and {@link #CACHE_SERVER}; other
 *     bits are carried unchanged for later use
 */
public record ProbeTag(long nodeId, int pccrrPort, int flags) {
  /** The node is fetching from the origin right now. */
  public static final int ORIGIN_ACTIVE = 1;
  /** The node is a dedicated cache server. */
  public static final int CACHE_SERVER = 2;

  /** Largest {@code nodeId}: 48 bits. */
  public static final long MAX_NODE_ID = (1L << 48) - 1;

  private static final String PREFIX = "urn:uuid:";
  /** Bits 48–63: version 8 and the 12-bit marker 0x5D1. */
  private static final long HIGH_TAIL = 0x85D1L;
  /** Bits 64–71: variant 10 and the 6-bit marker 101101. */
  private static final long LOW_HEAD = 0b1010_1101L;
  private static final int UUID_TEXT_LENGTH = 36;

  /**
   * @throws IllegalArgumentException when a field is outside its range (the message names it)
   */
  public ProbeTag {
    if (nodeId < 0 || nodeId > MAX_NODE_ID) {
      throw new IllegalArgumentException("probe tag nodeId must be within 0.." + MAX_NODE_ID + ", got " + nodeId);
    }
    if (pccrrPort < 0 || pccrrPort > 0xFFFF) {
      throw new IllegalArgumentException("probe tag pccrrPort must be within 0..65535, got " + pccrrPort);
    }
    if (flags < 0 || flags > 0xFF) {
      throw new IllegalArgumentException("probe tag flags must be within 0..255, got " + flags);
    }
  }

  /** Whether every bit of {@code flag} is set. */
  public boolean has(int flag) {
    return (flags & flag) == flag;
  }

  /**
   * A fresh MessageID carrying this tag: {@code urn:uuid:} and the canonical lower-case 8-4-4-4-12
   * text of the UUID, with 32 random bits from {@code random}.
   */
  public String toMessageId(RandomGenerator random) {
    long high = (nodeId << 16) | HIGH_TAIL;
    long low = (LOW_HEAD << 56) | ((long) flags << 48) | ((long) pccrrPort << 32) | (random.nextInt() & 0xFFFF_FFFFL);
    StringBuilder s = new StringBuilder(PREFIX.length() + UUID_TEXT_LENGTH).append(PREFIX);
    appendHex(s, high >>> 32, 8).append('-');
    appendHex(s, high >>> 16, 4).append('-');
    appendHex(s, high, 4).append('-');
    appendHex(s, low >>> 48, 4).append('-');
    appendHex(s, low, 12);
    return s.toString();
  }

  private static StringBuilder appendHex(StringBuilder s, long v, int digits) {
    for (int i = digits - 1; i >= 0; i--) {
      s.append(Character.forDigit((int) (v >>> (4 * i)) & 0xF, 16));
    }
    return s;
  }

  /**
   * The tag in {@code messageId}, or empty when it is not one of ours: no {@code urn:uuid:}
   * prefix, not the canonical 8-4-4-4-12 form, not version 8, or a marker or the variant differs.
   * Never throws for any string (null included).
   */
  public static Optional<ProbeTag> fromMessageId(String messageId) {
    if (messageId == null || messageId.length() != PREFIX.length() + UUID_TEXT_LENGTH
        || !messageId.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
      return Optional.empty();
    }
    long high = 0;
    long low = 0;
    int digits = 0;
    for (int i = PREFIX.length(); i < messageId.length(); i++) {
      char c = messageId.charAt(i);
      int at = i - PREFIX.length();
      if (at == 8 || at == 13 || at == 18 || at == 23) {
        if (c != '-') {
          return Optional.empty();
        }
        continue;
      }
      int d = Character.digit(c, 16);
      if (d < 0 || c > 'f') {
        return Optional.empty(); // Also refuses non-ASCII digits that Character.digit accepts.
      }
      if (digits < 16) {
        high = (high << 4) | d;
      } else {
        low = (low << 4) | d;
      }
      digits++;
    }
    if ((high & 0xFFFF) != HIGH_TAIL || (low >>> 56) != LOW_HEAD) {
      return Optional.empty();
    }
    return Optional.of(new ProbeTag(high >>> 16, (int) (low >>> 32) & 0xFFFF, (int) (low >>> 48) & 0xFF));
  }
}
