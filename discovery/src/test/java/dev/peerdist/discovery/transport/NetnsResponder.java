package dev.peerdist.discovery.transport;

import dev.peerdist.discovery.DiscoveryKey;
import dev.peerdist.discovery.DiscoveryListener;
import dev.peerdist.discovery.LocalHoldings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Test support run in a child JVM inside a network namespace: PCCRD responders that hold one V1
 * key, one directory per {@code INTERFACE:PCCRR_PORT} argument. Prints {@code READY} with the
 * ready links once they listen, {@code LINK up|down NAME} when a link comes or goes, and exits
 * when stdin closes or after 60 s, whichever is first.
 *
 * <p>Arguments: {@code PORT KEY_HEX BLOCKS POLL_MILLIS INTERFACE:PCCRR_PORT...}.
 */
public final class NetnsResponder {
  private NetnsResponder() {}

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    DiscoveryKey key = DiscoveryKey.of(DiscoveryKey.Form.V1, HexFormat.of().parseHex(args[1]));
    int blocks = Integer.parseInt(args[2]);
    Duration poll = Duration.ofMillis(Long.parseLong(args[3]));
    List<WsDiscoveryPeerDirectory> ds = new ArrayList<>();
    try {
      for (int i = 4; i < args.length; i++) {
        String[] ip = args[i].split(":");
        WsDiscoveryPeerDirectory d = WsDiscoveryPeerDirectory.start(WsDiscoveryConfig.builder()
            .interfaces(List.of(ip[0])).port(port).pccrrPort(Integer.parseInt(ip[1])).interfacePollInterval(poll)
            .listener(new DiscoveryListener() {
              @Override
              public void linkChanged(String link, boolean up) {
                System.out.println("LINK " + (up ? "up " : "down ") + link);
                System.out.flush();
              }
            })
            .build());
        d.serve(k -> k.equals(key) ? new LocalHoldings.Holding(blocks, true) : LocalHoldings.Holding.NONE);
        ds.add(d);
      }
      StringBuilder ready = new StringBuilder("READY");
      for (WsDiscoveryPeerDirectory d : ds) {
        ready.append(' ').append(d.links()).append(d.nativeTransport() ? " epoll" : " nio");
      }
      System.out.println(ready);
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
      for (WsDiscoveryPeerDirectory d : ds) {
        System.out.println("STATS " + d.stats());
      }
    } finally {
      ds.forEach(WsDiscoveryPeerDirectory::close);
    }
  }
}
