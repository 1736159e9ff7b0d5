package dev.peerdist.node;

import java.util.Locale;

/** What a node is for. */
public enum NodeRole {
  /** Downloads for local programs and serves what it holds to peers (the default). */
  CLIENT("client"),
  /**
   * A dedicated cache: pins the content it was told to prepopulate, answers every probe for it
   * and announces itself by DNS-SD so that clients ask it directly.
   */
  CACHE_SERVER("cache-server"),
  /**
   * A hosted cache (MS-PCHC, PROTOCOL.md §6): a cache server that also takes offers from clients in
   * any subnet and pulls the offered segments from them by PCCRR.
   */
  HOSTED_CACHE("hosted-cache");

  private final String label;

  NodeRole(String label) {
    this.label = label;
  }

  /** True for a dedicated cache (cache-server or hosted-cache): answers every probe, pins prepopulated content. */
  public boolean dedicated() {
    return this != CLIENT;
  }

  /** The configuration spelling: {@code client}, {@code cache-server} or {@code hosted-cache}. */
  public String label() {
    return label;
  }

  static NodeRole parse(String v) {
    for (NodeRole r : values()) {
      if (r.label.equals(v.toLowerCase(Locale.ROOT))) {
        return r;
      }
    }
    throw new IllegalArgumentException("'" + v + "' is not a role: client, cache-server or hosted-cache");
  }

  @Override
  public String toString() {
    return label;
  }
}
