package dev.peerdist.node.pccrr;

/**
 * A PCCRR PROTOCOL_VERSION: 16-bit minor then 16-bit major, big-endian, so 1.0 is {@code 00 00 00 01}
 * (PROTOCOL.md §4.3, §9.3).
 *
 * @param major the major version (compatibility is decided on it alone, PROTOCOL.md §4.6)
 * @param minor the minor version
 */
public record ProtocolVersion(int major, int minor) implements Comparable<ProtocolVersion> {
  public static final ProtocolVersion V1_0 = new ProtocolVersion(1, 0);
  public static final ProtocolVersion V2_0 = new ProtocolVersion(2, 0);

  public ProtocolVersion {
    if (major < 0 || major > 0xFFFF || minor < 0 || minor > 0xFFFF) {
      throw new IllegalArgumentException("protocol version " + major + "." + minor + " outside 16 bits");
    }
  }

  /** The 32-bit wire form: minor in the high half, major in the low half. */
  public int toWire() {
    return (minor << 16) | major;
  }

  /** Reads the 32-bit wire form. */
  public static ProtocolVersion fromWire(int wire) {
    return new ProtocolVersion(wire & 0xFFFF, wire >>> 16);
  }

  @Override
  public int compareTo(ProtocolVersion o) {
    return major != o.major ? Integer.compare(major, o.major) : Integer.compare(minor, o.minor);
  }

  @Override
  public String toString() {
    return major + "." + minor;
  }
}
