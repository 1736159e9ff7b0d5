package dev.peerdist.node.interop;

import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.MulticastSocket;
import java.net.NetworkInterface;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Test support: the PCCRD socket side of a foreign client (PROTOCOL.md §3.1): one socket per
 * address family on an ephemeral port, probes multicast on one interface to 239.255.255.250 and
 * [ff02::c] (the same datagram on both, as iPXE does), unicast replies collected by {@code
 * wsa:RelatesTo} with the time they arrived. Probe texts come from the published samples in the
 * discovery test resources with the MessageID and scope substituted.
 */
public final class MulticastProber implements AutoCloseable {
  private static final Pattern RELATES_TO = Pattern.compile("<wsa:RelatesTo>\\s*([^<\\s]+)\\s*</wsa:RelatesTo>");

  /** One reply: when it came (System.nanoTime) and its text. */
  public record Reply(long nanos, InetSocketAddress from, String text) {}

  private final int port;
  private final NetworkInterface nif;
  private final List<MulticastSocket> sockets = new ArrayList<>();
  private final List<InetSocketAddress> groups = new ArrayList<>();
  private final Map<String, List<Reply>> replies = new ConcurrentHashMap<>();
  private final Map<String, Long> sent = new ConcurrentHashMap<>();
  private final List<Thread> readers = new ArrayList<>();
  private volatile boolean closed;

  /** Sockets on {@code nif} for both families; a family the interface cannot use is skipped. */
  public MulticastProber(NetworkInterface nif, int port) throws IOException {
    this.nif = nif;
    this.port = port;
    for (InetAddress a : Collections.list(nif.getInetAddresses())) {
      boolean v4 = a instanceof Inet4Address;
      if (groups.stream().anyMatch(g -> (g.getAddress() instanceof Inet4Address) == v4)) {
        continue;
      }
      MulticastSocket s = new MulticastSocket(new InetSocketAddress(a, 0));
      s.setNetworkInterface(nif);
      s.setTimeToLive(1);
      s.setReceiveBufferSize(1 << 20); // The test's reader thread may lag on a loaded machine.
      sockets.add(s);
      groups.add(new InetSocketAddress(v4 ? InetAddress.getByName("239.255.255.250")
          : Inet6Address.getByAddress(null, InetAddress.getByName("ff02::c").getAddress(), nif), port));
      Thread t = new Thread(() -> read(s), "prober-" + (v4 ? "v4" : "v6"));
      t.setDaemon(true);
      t.start();
      readers.add(t);
    }
  }

  private void read(MulticastSocket s) {
    byte[] buf = new byte[65_536];
    while (!closed) {
      DatagramPacket p = new DatagramPacket(buf, buf.length);
      try {
        s.setSoTimeout(200);
        s.receive(p);
      } catch (SocketTimeoutException e) {
        continue;
      } catch (IOException e) {
        return;
      }
      String text = new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
      Matcher m = RELATES_TO.matcher(text);
      if (m.find()) {
        replies.computeIfAbsent(m.group(1), k -> Collections.synchronizedList(new ArrayList<>()))
            .add(new Reply(System.nanoTime(), (InetSocketAddress) p.getSocketAddress(), text));
      }
    }
  }

  /** A fresh {@code urn:uuid:} MessageID (random version 4, as iPXE and Windows make them). */
  public static String newMessageId() {
    return "urn:uuid:" + UUID.randomUUID();
  }

  /**
   * Multicasts {@code xml} on every family. The first send of a MessageID is its send time.
   *
   * @return how many families it went out on (an interface without IPv6 multicast drops that copy)
   */
  public int send(String messageId, String xml) {
    sent.putIfAbsent(messageId, System.nanoTime());
    byte[] b = xml.getBytes(StandardCharsets.UTF_8);
    int ok = 0;
    for (int i = 0; i < sockets.size(); i++) {
      try {
        sockets.get(i).send(new DatagramPacket(b, b.length, groups.get(i)));
        ok++;
      } catch (IOException e) {
        // iPXE goes on with the other sockets (peerdisc.c): e.g. no IPv6 multicast on lo.
      }
    }
    return ok;
  }

  /** The replies to {@code messageId} so far. */
  public List<Reply> replies(String messageId) {
    List<Reply> r = replies.get(messageId);
    if (r == null) {
      return List.of();
    }
    synchronized (r) {
      return List.copyOf(r);
    }
  }

  /** Waits up to {@code millis} for a first reply to {@code messageId}. */
  public List<Reply> await(String messageId, long millis) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (replies(messageId).isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(2);
    }
    return replies(messageId);
  }

  /** Nanoseconds from the first send of {@code messageId} to its first reply, or -1. */
  public long firstReplyAfter(String messageId) {
    List<Reply> r = replies(messageId);
    Long s = sent.get(messageId);
    return r.isEmpty() || s == null ? -1 : r.get(0).nanos() - s;
  }

  /** Every MessageID sent. */
  public List<String> sentIds() {
    return List.copyOf(sent.keySet());
  }

  /** The text of a sample probe from the discovery test resources. */
  public static String sample(String resource) {
    try (InputStream in = MulticastProber.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("no resource " + resource);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The families in use, e.g. {@code [IPv4]} on {@code lo}. */
  public List<String> families() {
    return groups.stream().map(g -> g.getAddress() instanceof Inet4Address ? "IPv4" : "IPv6").toList();
  }

  public NetworkInterface networkInterface() {
    return nif;
  }

  public int port() {
    return port;
  }

  @Override
  public void close() {
    closed = true;
    sockets.forEach(MulticastSocket::close);
    for (Thread t : readers) {
      try {
        t.join(2000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

}
