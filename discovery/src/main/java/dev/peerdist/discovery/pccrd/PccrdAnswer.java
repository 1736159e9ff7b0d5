package dev.peerdist.discovery.pccrd;

import dev.peerdist.discovery.DiscoveryKey;
import java.util.List;
import java.util.Map;

/**
 * What one {@code wsd:ProbeMatch} says, read against the probe it answers.
 *
 * @param endpointId the responder's {@code wsa:EndpointReference/wsa:Address}
 * @param xaddrs the {@code host:port} items of {@code wsd:XAddrs}, unparsed (the transport
 *     resolves IP literals; this package stays free of java.net)
 * @param blocksHeld matched keys with a count above zero
 * @param complete for V2, whether the peer has the whole segment; false for V1
 * @param ages for V2, the segment ages the peer sent (SegmentAges), for held keys only
 */
public record PccrdAnswer(
    String endpointId,
    List<String> xaddrs,
    Map<DiscoveryKey, Integer> blocksHeld,
    Map<DiscoveryKey, Boolean> complete,
    Map<DiscoveryKey, java.time.Duration> ages) {
  public PccrdAnswer {
    xaddrs = List.copyOf(xaddrs);
    blocksHeld = Map.copyOf(blocksHeld);
    complete = Map.copyOf(complete);
    ages = Map.copyOf(ages);
  }
}
