package dev.peerdist.discovery.dnssd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.jmdns.JmDNS;
import javax.jmdns.ServiceInfo;

/**
 * Lists the {@code _peerdist._tcp.local.} services announced on the subnet, optionally by role.
 * Services with an unknown or missing role are skipped. Idempotent {@link #close()}.
 */
public final class ServiceBrowser implements AutoCloseable {
  private final JmDNS jmdns;
  private boolean closed;

  private ServiceBrowser(JmDNS jmdns) {
    this.jmdns = jmdns;
  }

  /**
   * Starts mDNS on the interface of {@code bind}.
   *
   * @throws UncheckedIOException when mDNS cannot start there
   */
  public static ServiceBrowser start(InetAddress bind) {
    try {
      return new ServiceBrowser(JmDNS.create(bind, "peerdist-browser"));
    } catch (IOException e) {
      throw new UncheckedIOException("dnssd: cannot browse on " + bind.getHostAddress() + ": " + e.getMessage(), e);
    }
  }

  /** Every announced service with a known role, waiting up to {@code timeout} for answers. */
  public List<PeerdistService> list(Duration timeout) {
    ServiceInfo[] infos = jmdns.list(PeerdistService.TYPE, Math.max(1, timeout.toMillis()));
    List<PeerdistService> out = new ArrayList<>();
    for (ServiceInfo i : infos) {
      ServiceRole role = ServiceRole.fromTxt(i.getPropertyString("role"));
      if (role == null || i.getPort() < 1 || i.getPort() > 65535) {
        continue;
      }
      Map<String, String> txt = new HashMap<>();
      for (String name : Collections.list(i.getPropertyNames())) {
        String v = i.getPropertyString(name);
        if (v != null && txt.size() < 32) {
          txt.put(name, v);
        }
      }
      List<InetAddress> addrs = new ArrayList<>(Arrays.asList(i.getInet4Addresses()));
      addrs.addAll(Arrays.asList(i.getInet6Addresses()));
      out.add(new PeerdistService(i.getName(), role, addrs, i.getPort(), txt));
    }
    return out;
  }

  /** The announced services of one role. */
  public List<PeerdistService> list(ServiceRole role, Duration timeout) {
    return list(timeout).stream().filter(s -> s.role() == role).toList();
  }

  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      ServiceAnnouncer.closeQuietly(jmdns);
    }
  }
}
