package dev.peerdist.discovery;

/**
 * What this node can offer, asked by the responder for each probed key. Implementations must be
 * fast and thread-safe: they are called on the discovery event loop.
 */
@FunctionalInterface
public interface LocalHoldings {
  /** A holding: how many blocks are held and whether that is the whole segment. */
  record Holding(int blocks, boolean complete) {
    public static final Holding NONE = new Holding(0, false);
  }

  /** The holding for {@code key}; {@link Holding#NONE} when nothing of it is held. */
  Holding holding(DiscoveryKey key);

  /**
   * The holding for {@code key} as offered to {@code probe}; the responder always calls this
   * form, so a node can thin its answers per probe (for example by the prober's {@link
   * HeardProbe#tag()}). Defaults to {@link #holding(DiscoveryKey)}.
   */
  default Holding holding(DiscoveryKey key, HeardProbe probe) {
    return holding(key);
  }
}
