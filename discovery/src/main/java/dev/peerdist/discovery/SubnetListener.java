package dev.peerdist.discovery;

/**
 * What a node hears on its subnet through PCCRD: others' probes, and answers to its own probes
 * (including late ones). Set with {@link PeerDirectory#listen}. Called on a discovery thread:
 * implementations must be fast and must not throw (an exception is logged and ignored).
 */
public interface SubnetListener {
  /** A listener that ignores everything. */
  SubnetListener NONE = new SubnetListener() {};

  /**
   * A well-formed probe from another node: after the duplicate filter (retransmissions are
   * reported once), before the rate limit and before holdings are consulted. Our own probes are
   * not reported.
   */
  default void probeHeard(HeardProbe probe) {}

  /**
   * A usable ProbeMatch (subnet check passed) relating to any probe this node sent within the
   * last {@code lateAnswerWindow} (default 10 s), whether or not a {@code probe()} future still
   * waits for it. Each datagram's match is delivered as it arrives (a reply split over datagrams
   * arrives in parts).
   */
  default void matchReceived(ProbeMatch match) {}

  /**
   * One of this node's own probes came back through the multicast loopback, sent at
   * {@code sentNanos} ({@link System#nanoTime()}). The listener handles datagrams in the order
   * they arrive, so every probe from another node that reached this one before the copy of its
   * own has been reported by now: on a machine short of CPU this says how far behind the listener
   * is (the download loop's discovery wait counts from it, docs/DOWNLOAD.md). Only directories
   * whose {@link PeerDirectory#echoesOwnProbes()} is true call it.
   */
  default void ownProbeHeard(long sentNanos) {}
}
