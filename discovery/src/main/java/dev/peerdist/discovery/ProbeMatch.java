package dev.peerdist.discovery;

import java.time.Duration;
import java.util.Map;

/**
 * One peer's answer to a probe.
 *
 * @param peer where the peer serves PCCRR
 * @param blocksHeld for each matched key, how many blocks the peer holds (V1: the BlockCount,
 *     PROTOCOL.md §3.4; V2: 1 when the peer has the whole segment, §3.5). Keys it does not hold
 *     are absent; a count is never 0.
 * @param complete for each matched key, whether the peer says it holds the whole segment, when
 *     the message says so (V2); V1 matches report false here and callers compare counts
 * @param latency time from sending the probe to receiving this answer
 * @param endpointId the responder's {@code wsa:EndpointReference/wsa:Address}
 */
public record ProbeMatch(
    PeerEndpoint peer,
    Map<DiscoveryKey, Integer> blocksHeld,
    Map<DiscoveryKey, Boolean> complete,
    Duration latency,
    String endpointId) {
  public ProbeMatch {
    blocksHeld = Map.copyOf(blocksHeld);
    complete = Map.copyOf(complete);
  }
}
