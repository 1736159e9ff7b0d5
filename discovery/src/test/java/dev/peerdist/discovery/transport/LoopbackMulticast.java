package dev.peerdist.discovery.transport;

import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.MulticastSocket;
import java.net.NetworkInterface;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/** Test support: whether IPv4 multicast is delivered on {@code lo}, and a port for a test class. */
final class LoopbackMulticast {
  private static Boolean available;

  private LoopbackMulticast() {}

  /** A port for one test class, away from 3702 so that a real responder on this host stays out. */
  static int testPort() {
    return 20_000 + ThreadLocalRandom.current().nextInt(20_000);
  }

  /** Runs the XML codec once so that the first timed probe does not pay for class loading. */
  static void warmUpCodec() {
    dev.peerdist.discovery.wsd.WsdCodec codec = new dev.peerdist.discovery.wsd.WsdCodec();
    var probe = new dev.peerdist.discovery.wsd.Probe("urn:uuid:warm-up", List.of(), null, List.of("AB"));
    for (int i = 0; i < 50; i++) {
      codec.decode(codec.encode(probe));
    }
  }

  /** Sends one datagram to 239.255.255.250 on lo and waits up to 1 s to hear it back. */
  static synchronized boolean available() {
    if (available != null) {
      return available;
    }
    int port = testPort();
    try (MulticastSocket s = new MulticastSocket(port)) {
      NetworkInterface lo = NetworkInterface.getByName("lo");
      InetAddress group = InetAddress.getByName("239.255.255.250");
      s.setNetworkInterface(lo);
      s.joinGroup(new InetSocketAddress(group, port), lo);
      s.setSoTimeout(1000);
      byte[] hello = "peerdist-multicast-check".getBytes(StandardCharsets.US_ASCII);
      s.send(new DatagramPacket(hello, hello.length, group, port));
      DatagramPacket in = new DatagramPacket(new byte[64], 64);
      s.receive(in);
      available = in.getLength() == hello.length;
    } catch (SocketTimeoutException e) {
      available = false;
    } catch (Exception e) {
      available = false;
    }
    return available;
  }
}
