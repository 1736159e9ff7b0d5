package dev.peerdist.discovery.transport;

import dev.peerdist.discovery.DiscoveryKey;
import dev.peerdist.discovery.LocalHoldings;
import java.util.HexFormat;
import java.util.List;

/**
 * Test support run in a child JVM inside a network namespace: a PCCRD responder on one interface
 * that holds one V1 key. Prints {@code READY} once it listens; exits when stdin closes or after
 * 60 s, whichever is first.
 *
 * <p>Arguments: {@code PORT INTERFACE KEY_HEX BLOCKS PCCRR_PORT}.
 */
public final class NetnsResponder {
  private NetnsResponder() {}

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    DiscoveryKey key = DiscoveryKey.of(DiscoveryKey.Form.V1, HexFormat.of().parseHex(args[2]));
    int blocks = Integer.parseInt(args[3]);
    try (WsDiscoveryPeerDirectory d = WsDiscoveryPeerDirectory.start(WsDiscoveryConfig.builder()
        .interfaces(List.of(args[1])).port(port).pccrrPort(Integer.parseInt(args[4])).build())) {
      d.serve(k -> k.equals(key) ? new LocalHoldings.Holding(blocks, true) : LocalHoldings.Holding.NONE);
      System.out.println("READY " + d.links());
      System.out.flush();
      Thread reader = new Thread(() -> {
        try {
          while (System.in.read() >= 0) {
            // Wait for the parent to close our stdin.
          }
        } catch (java.io.IOException ignored) {
          // Parent gone.
        }
      }, "stdin-watch");
      reader.setDaemon(true);
      reader.start();
      reader.join(60_000);
      System.out.println("STATS " + d.stats());
    }
  }
}
