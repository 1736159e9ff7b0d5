package dev.peerdist.node;

import dev.peerdist.discovery.DiscoveryListener;
import dev.peerdist.discovery.PeerDirectory;
import dev.peerdist.discovery.transport.WsDiscoveryConfig;
import dev.peerdist.discovery.transport.WsDiscoveryPeerDirectory;
import dev.peerdist.node.metrics.InputSource;
import dev.peerdist.node.metrics.NodeMeters;
import java.io.IOException;
import java.util.List;

/** The PCCRD directories a node can use. */
public final class NodeDirectories {
  private NodeDirectories() {}

  /**
   * Real WS-Discovery multicast (PROTOCOL.md §3) on the configured interface (all suitable ones
   * when empty) and port, advertising the bound PCCRR port; malformed datagrams are counted as
   * {@code peerdist_malformed_inputs_total{source="pccrd"}}, unanswered probes as {@code
   * peerdist_pccrd_probes_dropped_total{reason}}.
   */
  public static PeerDirectory multicast(NodeConfig config, int pccrrPort, NodeMeters meters) throws IOException {
    WsDiscoveryConfig.Builder b = WsDiscoveryConfig.builder()
        .port(config.discoveryPort())
        .pccrrPort(pccrrPort)
        .listener(new DiscoveryListener() {
          @Override
          public void malformedDatagram(String reason) {
            meters.malformed(InputSource.PCCRD);
          }

          @Override
          public void probeDropped(ProbeDrop reason) {
            meters.probeDropped(reason);
          }

          @Override
          public void replyTrimmed(int keys) {
            meters.replyIdsTrimmed(keys);
          }
        });
    if (!config.interfaceName().isEmpty()) {
      b.interfaces(List.of(config.interfaceName()));
    }
    if (!config.bind().isAnyLocalAddress()) {
      b.advertisedAddress(config.bind());
    }
    try {
      return WsDiscoveryPeerDirectory.start(b.build());
    } catch (RuntimeException e) {
      throw new IOException("cannot start discovery on "
          + (config.interfaceName().isEmpty() ? "any interface" : "interface " + config.interfaceName())
          + " port " + config.discoveryPort() + ": " + e.getMessage(), e);
    }
  }
}
