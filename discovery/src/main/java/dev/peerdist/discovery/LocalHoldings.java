package dev.peerdist.discovery;

/**
 * What this node can offer, asked by the responder for each probed key. Implementations must be
 * fast and thread-safe: they are called on the discovery event loop.
 */
@FunctionalInterface
public interface LocalHoldings {
  /**
   * A holding: how many blocks are held, whether that is the whole segment and, when known, the
   * segment's age (sent as PCCRD V2 SegmentAges, PROTOCOL.md §3.5).
   */
  record Holding(int blocks, boolean complete, java.util.Optional<java.time.Duration> age) {
    public static final Holding NONE = new Holding(0, false);

    public Holding {
      java.util.Objects.requireNonNull(age, "age");
    }

    /** A holding of unknown age. */
    public Holding(int blocks, boolean complete) {
      this(blocks, complete, java.util.Optional.empty());
    }
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
