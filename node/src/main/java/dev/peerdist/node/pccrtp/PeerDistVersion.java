package dev.peerdist.node.pccrtp;

import java.util.Optional;

/**
 * A {@code <major>.<minor>} version as the PeerDist HTTP headers carry it: the {@code Version}
 * parameter of {@code X-P2P-PeerDist} and the {@code Min/MaxContentInformation} parameters of
 * {@code X-P2P-PeerDistEx}.
 *
 * <p>Major and minor are compared as separate integers, so {@code 1.23 > 1.3} (PROTOCOL.md §5.1).
 */
public record PeerDistVersion(int major, int minor) implements Comparable<PeerDistVersion> {
  /** PeerDist encoding 1.0: V1 content information only. */
  public static final PeerDistVersion V1_0 = new PeerDistVersion(1, 0);
  /** PeerDist encoding 1.1: V2 content information negotiable via PeerDistEx. */
  public static final PeerDistVersion V1_1 = new PeerDistVersion(1, 1);
  /** Content information version 2.0 as named in {@code MinContentInformation}/{@code Max...}. */
  public static final PeerDistVersion V2_0 = new PeerDistVersion(2, 0);

  /** Checks that both parts are non-negative. */
  public PeerDistVersion {
    if (major < 0 || minor < 0) {
      throw new IllegalArgumentException("negative version part: " + major + "." + minor);
    }
  }

  /**
   * Parses {@code "1.0"}, {@code "1.1"}, {@code "2.0"}, {@code "1.23"}: digits, one dot, digits,
   * each part at most 9 digits. Anything else (empty, signs, spaces inside, three parts) is
   * absent.
   */
  public static Optional<PeerDistVersion> parse(String text) {
    if (text == null) {
      return Optional.empty();
    }
    String t = text.trim();
    int dot = t.indexOf('.');
    if (dot <= 0 || dot == t.length() - 1 || dot > 9 || t.length() - dot - 1 > 9) {
      return Optional.empty();
    }
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      if (i != dot && (c < '0' || c > '9')) {
        return Optional.empty();
      }
    }
    return Optional.of(
        new PeerDistVersion(Integer.parseInt(t.substring(0, dot)), Integer.parseInt(t.substring(dot + 1))));
  }

  @Override
  public int compareTo(PeerDistVersion o) {
    int c = Integer.compare(major, o.major);
    return c != 0 ? c : Integer.compare(minor, o.minor);
  }

  @Override
  public String toString() {
    return major + "." + minor;
  }
}
