package dev.peerdist.node.admin;

import java.util.Map;

/** What the admin endpoint reports about the node it belongs to. */
public interface NodeStatus {
  /** A JSON-ready status document: role, store, peers, recent downloads (see docs/METRICS.md). */
  Map<String, Object> status();

  /** True once every component listens and the store is usable ({@code /readyz}). */
  boolean ready();

  /**
   * The store's health for {@code /healthz} and {@code /readyz}: {@code ok}, {@code degraded: …}
   * or {@code failed: …} (a failed store makes {@code /healthz} answer 503); empty when unknown.
   */
  default String storeHealth() {
    return "";
  }
}
