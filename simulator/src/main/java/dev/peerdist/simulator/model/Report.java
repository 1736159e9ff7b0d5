package dev.peerdist.simulator.model;

import java.util.Locale;

/**
 * What one {@link SiteSimulation} run measured. Byte counts are of block payloads (PCCRR and
 * range-request framing is not modelled).
 *
 * @param nodes nodes in the site
 * @param completed nodes that got every block
 * @param vanished nodes that left mid-run (not counted in completion times)
 * @param sizeBytes the package size
 * @param wanBytes bytes fetched from the origin over the WAN, all nodes
 * @param peerBytes bytes stored from peers (first verified copy of a block)
 * @param duplicatePeerBytes verified peer bytes for blocks already held (hedges that lost)
 * @param fallbackNoPeer blocks sent to the origin because no peer held them at probe time
 * @param fallbackPeersFailed blocks sent to the origin after their holders failed
 * @param badBlocks blocks received that failed verification (never stored)
 * @param peersDropped (node, peer) pairs where the scheduler dropped a peer for bad data
 * @param p50Seconds median completion time (start to last block) of completed nodes
 * @param p99Seconds 99th percentile completion time
 * @param maxSeconds slowest completion time
 * @param idealSeconds the ideal, {@link SiteConfig#idealSeconds()}
 * @param lastEventSeconds simulated time when the last node finished
 * @param events events processed
 */
public record Report(
    int nodes,
    int completed,
    int vanished,
    long sizeBytes,
    long wanBytes,
    long peerBytes,
    long duplicatePeerBytes,
    long fallbackNoPeer,
    long fallbackPeersFailed,
    long badBlocks,
    long peersDropped,
    double p50Seconds,
    double p99Seconds,
    double maxSeconds,
    double idealSeconds,
    double lastEventSeconds,
    long events) {

  /** The headline: WAN bytes per package; 1.0 means the site fetched it once. */
  public double wanRatio() {
    return (double) wanBytes / sizeBytes;
  }

  /** Share of stored bytes that came from peers rather than the WAN. */
  public double peerShare() {
    long total = peerBytes + wanBytes;
    return total == 0 ? 0 : (double) peerBytes / total;
  }

  /** The report as an aligned two-column table. */
  public String toTable() {
    StringBuilder b = new StringBuilder();
    row(b, "nodes (completed / vanished)", nodes + " (" + completed + " / " + vanished + ")");
    row(b, "package size", mib(sizeBytes));
    row(b, "WAN bytes", mib(wanBytes));
    row(b, "WAN bytes ÷ package size", fmt("%.2f", wanRatio()));
    row(b, "bytes from peers", fmt("%.1f %%", 100 * peerShare()));
    row(b, "duplicate peer bytes (hedges)", mib(duplicatePeerBytes));
    row(b, "completion p50 / p99 / max", fmt("%.2f s / %.2f s / %.2f s", p50Seconds, p99Seconds, maxSeconds));
    row(b, "ideal (max(WAN, LAN bound) + 2 RTT)", fmt("%.2f s", idealSeconds));
    row(b, "p50 / p99 / max ÷ ideal", fmt("%.1f / %.1f / %.1f",
        p50Seconds / idealSeconds, p99Seconds / idealSeconds, maxSeconds / idealSeconds));
    row(b, "fallback blocks: no peer", Long.toString(fallbackNoPeer));
    row(b, "fallback blocks: peers failed", Long.toString(fallbackPeersFailed));
    row(b, "bad blocks received / peers dropped", badBlocks + " / " + peersDropped);
    row(b, "simulated time / events", fmt("%.2f s / %d", lastEventSeconds, events));
    return b.toString();
  }

  private static void row(StringBuilder b, String name, String value) {
    b.append(String.format(Locale.ROOT, "%-38s %s%n", name, value));
  }

  private static String fmt(String format, Object... args) {
    return String.format(Locale.ROOT, format, args);
  }

  private static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
  }
}
