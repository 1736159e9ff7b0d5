package dev.peerdist.discovery.dnssd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.jmdns.JmDNS;
import javax.jmdns.ServiceInfo;

/**
 * Announces this server on the subnet as a {@code _peerdist._tcp.local.} DNS-SD service over
 * mDNS (jmdns), so that clients find cache servers and publishing servers without configuration.
 * {@link #close()} withdraws the announcement (goodbye packets) and releases the socket;
 * it is idempotent.
 */
public final class ServiceAnnouncer implements AutoCloseable {
  private final JmDNS jmdns;
  private final ServiceInfo info;
  private boolean closed;

  private ServiceAnnouncer(JmDNS jmdns, ServiceInfo info) {
    this.jmdns = jmdns;
    this.info = info;
  }

  /**
   * Starts announcing.
   *
   * @param bind the address whose interface mDNS runs on (its host record advertises it)
   * @param instanceName DNS-SD instance name, 1..63 bytes
   * @param role the role for TXT {@code role}
   * @param port the SRV port (PCCRR for a cache server, HTTP for a publisher)
   * @param extraTxt more TXT entries, for example {@code pccrr} and {@code https}
   * @throws UncheckedIOException when mDNS cannot start on {@code bind}
   */
  public static ServiceAnnouncer start(InetAddress bind, String instanceName, ServiceRole role, int port,
      Map<String, String> extraTxt) {
    if (instanceName == null || instanceName.isEmpty() || instanceName.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 63) {
      throw new IllegalArgumentException("dnssd instance name must be 1..63 bytes, got '" + instanceName + "'");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("dnssd port must be within 1..65535, got " + port);
    }
    Map<String, String> txt = new LinkedHashMap<>();
    txt.put("txtvers", "1");
    txt.put("role", role.txt());
    txt.putAll(extraTxt);
    JmDNS j = null;
    try {
      j = JmDNS.create(bind, "peerdist-" + Integer.toHexString(instanceName.hashCode()));
      ServiceInfo info = ServiceInfo.create(PeerdistService.TYPE, instanceName, port, 0, 0, txt);
      j.registerService(info);
      return new ServiceAnnouncer(j, info);
    } catch (IOException e) {
      closeQuietly(j);
      throw new UncheckedIOException("dnssd: cannot announce on " + bind.getHostAddress() + ": " + e.getMessage(), e);
    }
  }

  /** The instance name actually registered (jmdns renames on a conflict). */
  public synchronized String instanceName() {
    return info.getName();
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    jmdns.unregisterService(info);
    closeQuietly(jmdns);
  }

  static void closeQuietly(JmDNS j) {
    if (j != null) {
      try {
        j.close();
      } catch (IOException ignored) {
        // Closing a multicast socket; nothing to recover.
      }
    }
  }
}
