package dev.peerdist.discovery;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * An opaque key that peers probe for: the bytes of a segment id (HoHoDk) and the PCCRD form it
 * travels in. Discovery never computes or checks these bytes (HOUSE-STYLE, module graph).
 *
 * <p>{@link Form#V1} keys travel as upper-case hex in {@code PeerDist:PeerDistData} probes;
 * {@link Form#V2} keys travel in the base64 blob of {@code PeerDist:PeerDistDataV2} probes
 * (PROTOCOL.md §3.3, §3.5).
 */
public final class DiscoveryKey {
  /** Which PCCRD message form carries the key. */
  public enum Form {
    V1,
    V2
  }

  private static final HexFormat UPPER = HexFormat.of().withUpperCase();

  private final Form form;
  private final byte[] bytes;
  private final int hash;

  private DiscoveryKey(Form form, byte[] bytes) {
    this.form = form;
    this.bytes = bytes;
    this.hash = 31 * form.hashCode() + Arrays.hashCode(bytes);
  }

  /**
   * A key of 1..64 bytes.
   *
   * @throws IllegalArgumentException when the length is outside 1..64
   */
  public static DiscoveryKey of(Form form, byte[] bytes) {
    if (form == null || bytes == null || bytes.length == 0 || bytes.length > 64) {
      throw new IllegalArgumentException("discovery key must be 1..64 bytes with a form");
    }
    return new DiscoveryKey(form, bytes.clone());
  }

  public Form form() {
    return form;
  }

  /** How many bytes the key has (1..64). */
  public int length() {
    return bytes.length;
  }

  /** A copy of the key bytes. */
  public byte[] toBytes() {
    return bytes.clone();
  }

  /** Upper-case hex of the key bytes (the V1 scope string). */
  public String toHex() {
    return UPPER.formatHex(bytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DiscoveryKey k && k.form == form && Arrays.equals(k.bytes, bytes);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public String toString() {
    return form + ":" + toHex();
  }
}
