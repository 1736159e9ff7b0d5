package dev.peerdist.discovery.pccrd;

import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The segment ages of a PCCRD V2 ProbeMatch: {@code PeerDist:SegmentAges} holds base64 of an
 * Extensible Blob version 1 (PROTOCOL.md §3.5, §4.7):
 *
 * <pre>
 * ExtensibleBlobVersion (2, network order, = 1) | SegmentAgeUnits (1) | SegmentAgeCount (1) |
 * SegmentAgeCount x ENCODED_SEGMENT_AGE (SegmentIndex (1), AgeLow, AgeMid, AgeHigh)
 * </pre>
 *
 * Units: 1 = seconds, 2 = 1/10 s, 3 = 1/100 s, 4 = milliseconds; senders SHOULD use 3, which this
 * class always writes. The index is the position of the id in the probe it answers. Ages above
 * the 24-bit maximum (46.6 hours in 1/100 s) are written as the maximum. Pure.
 */
public final class SegmentAges {
  /** ExtensibleBlobVersion. */
  static final int VERSION = 1;
  /** Hundredths of a second (PROTOCOL.md §4.7: SHOULD be used when sending). */
  static final int UNITS_CENTISECONDS = 3;
  /** Largest age in one ENCODED_SEGMENT_AGE. */
  static final int MAX_AGE_UNITS = 0xFF_FFFF;
  /** Entries in one blob (SegmentAgeCount is one byte). */
  public static final int MAX_ENTRIES = 255;

  private SegmentAges() {}

  /**
   * The base64 blob for {@code ages} (probe index → age), in index order of the map's iteration.
   *
   * @throws IllegalArgumentException for more than 255 entries, an index outside 0..255 or a
   *     negative age
   */
  public static String encode(Map<Integer, Duration> ages) {
    if (ages.size() > MAX_ENTRIES) {
      throw new IllegalArgumentException("at most " + MAX_ENTRIES + " segment ages, got " + ages.size());
    }
    byte[] blob = new byte[4 + 4 * ages.size()];
    blob[0] = 0;
    blob[1] = VERSION;
    blob[2] = UNITS_CENTISECONDS;
    blob[3] = (byte) ages.size();
    int at = 4;
    for (Map.Entry<Integer, Duration> e : ages.entrySet()) {
      int index = e.getKey();
      if (index < 0 || index > 255) {
        throw new IllegalArgumentException("segment age index " + index + " outside 0..255");
      }
      if (e.getValue().isNegative()) {
        throw new IllegalArgumentException("segment age must not be negative, got " + e.getValue());
      }
      long units = Math.min(MAX_AGE_UNITS, e.getValue().toMillis() / 10);
      blob[at] = (byte) index;
      blob[at + 1] = (byte) units;
      blob[at + 2] = (byte) (units >>> 8);
      blob[at + 3] = (byte) (units >>> 16);
      at += 4;
    }
    return Base64.getEncoder().encodeToString(blob);
  }

  /**
   * Reads a blob; empty when it must be discarded (PROTOCOL.md §4.7: not base64, shorter than 4
   * bytes, another version, units outside 1..4, fewer bytes than the count needs). Never throws.
   */
  public static Optional<Map<Integer, Duration>> decode(String base64) {
    if (base64 == null || base64.length() > 4 * ((4 + 4 * MAX_ENTRIES + 2) / 3)) {
      return Optional.empty();
    }
    byte[] b;
    try {
      b = Base64.getDecoder().decode(base64);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    if (b.length < 4 || (((b[0] & 0xFF) << 8) | (b[1] & 0xFF)) != VERSION) {
      return Optional.empty();
    }
    int units = b[2] & 0xFF;
    int count = b[3] & 0xFF;
    if (units < 1 || units > 4 || b.length < 4 * (count + 1)) {
      return Optional.empty();
    }
    Map<Integer, Duration> out = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      int at = 4 + 4 * i;
      long age = (b[at + 1] & 0xFF) | ((b[at + 2] & 0xFF) << 8) | ((long) (b[at + 3] & 0xFF) << 16);
      Duration d = switch (units) {
        case 1 -> Duration.ofSeconds(age);
        case 2 -> Duration.ofMillis(age * 100);
        case 3 -> Duration.ofMillis(age * 10);
        default -> Duration.ofMillis(age);
      };
      out.put(b[at] & 0xFF, d);
    }
    return Optional.of(out);
  }
}
