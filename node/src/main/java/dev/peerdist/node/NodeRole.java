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
  CACHE_SERVER("cache-server");

  private final String label;

  NodeRole(String label) {
    this.label = label;
  }

  /** The configuration spelling: {@code client} or {@code cache-server}. */
  public String label() {
    return label;
  }

  static NodeRole parse(String v) {
    for (NodeRole r : values()) {
      if (r.label.equals(v.toLowerCase(Locale.ROOT))) {
        return r;
      }
    }
    throw new IllegalArgumentException("'" + v + "' is not a role: client or cache-server");
  }

  @Override
  public String toString() {
    return label;
  }
}
