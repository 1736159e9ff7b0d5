package dev.peerdist.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.discovery.DiscoveryKey;
import dev.peerdist.discovery.LocalHoldings;
import dev.peerdist.discovery.transport.WsDiscoveryConfig;
import dev.peerdist.discovery.transport.WsDiscoveryPeerDirectory;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/** {@code peerdist probe} against a real responder over IPv4 multicast on {@code lo}. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProbeCommandMulticastIT {
  private static final int PORT = 20_000 + ThreadLocalRandom.current().nextInt(20_000);

  private static String hex(byte[] b) {
    return HexFormat.of().withUpperCase().formatHex(b);
  }

  @Test
  void printsWhoAnsweredAndSaysSoWhenNobodyDid() {
    byte[] held = new byte[32];
    byte[] other = new byte[32];
    ThreadLocalRandom.current().nextBytes(held);
    ThreadLocalRandom.current().nextBytes(other);
    DiscoveryKey k = DiscoveryKey.of(DiscoveryKey.Form.V1, held);
    WsDiscoveryPeerDirectory responder;
    try {
      responder = WsDiscoveryPeerDirectory.start(WsDiscoveryConfig.builder()
          .interfaces(List.of("lo")).ipv6(false).port(PORT)
          .advertisedAddress(InetAddress.getLoopbackAddress()).pccrrPort(8099).build());
    } catch (RuntimeException e) {
      Assumptions.abort("cannot join 239.255.255.250 on lo here: " + e.getMessage());
      return;
    }
    try (responder) {
      responder.serve(key -> key.equals(k) ? new LocalHoldings.Holding(7, false) : LocalHoldings.Holding.NONE);
      CommandLine cl = Main.commandLine();
      StringWriter out = new StringWriter();
      cl.setOut(new PrintWriter(out, true));
      cl.setErr(new PrintWriter(new StringWriter(), true));
      int code = cl.execute("probe", hex(held).toLowerCase(java.util.Locale.ROOT), hex(other),
          "--interface", "lo", "--family", "ipv4", "--port", Integer.toString(PORT), "--timeout", "1500ms");
      assertEquals(ExitCodes.OK, code);
      String text = out.toString();
      Assumptions.assumeFalse(text.startsWith("no peer answered"),
          "multicast on lo did not deliver the probe here (LIMITS.md \"Multicast\")");
      List<String> lines = text.lines().toList();
      assertTrue(lines.get(0).startsWith("ADDRESS"), text);
      assertTrue(lines.get(1).matches("127\\.0\\.0\\.1\\s+8099\\s+\\S+ms\\s+7\\s+-"), text);
      assertTrue(lines.get(2).startsWith("1 peer answered within 1500ms"), text);

      StringWriter none = new StringWriter();
      cl.setOut(new PrintWriter(none, true));
      assertEquals(ExitCodes.OK, cl.execute("probe", hex(other), "--interface", "lo", "--family", "ipv4",
          "--port", Integer.toString(PORT), "--timeout", "300ms"));
      assertEquals("no peer answered within 300ms", none.toString().strip());
    }
  }
}
