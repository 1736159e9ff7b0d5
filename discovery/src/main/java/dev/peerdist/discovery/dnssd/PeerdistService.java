package dev.peerdist.discovery.dnssd;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * One {@code _peerdist._tcp.local.} DNS-SD service: a cache server or publishing server on the
 * subnet.
 *
 * <p>TXT keys: {@code txtvers=1}; {@code role=cache-server|publisher}; {@code pccrr=PORT} where
 * the server answers MS-PCCRR (cache servers); {@code https=PORT} when it also serves HTTPS.
 * The SRV port is the service's main port: PCCRR for a cache server, HTTP for a publisher.
 *
 * @param instanceName the DNS-SD instance name (unique on the link)
 * @param role the announced role
 * @param addresses the host's addresses as resolved from the announcement
 * @param port the SRV port
 * @param txt every TXT key and value
 */
public record PeerdistService(String instanceName, ServiceRole role, List<InetAddress> addresses, int port,
    Map<String, String> txt) {
  /** The DNS-SD service type. */
  public static final String TYPE = "_peerdist._tcp.local.";

  public PeerdistService {
    addresses = List.copyOf(addresses);
    txt = Map.copyOf(txt);
  }

  /** The PCCRR port from TXT {@code pccrr}, when present and valid. */
  public OptionalInt pccrrPort() {
    return port(txt.get("pccrr"));
  }

  /** The HTTPS port from TXT {@code https}, when present and valid. */
  public OptionalInt httpsPort() {
    return port(txt.get("https"));
  }

  private static OptionalInt port(String v) {
    if (v == null || v.isEmpty() || v.length() > 5 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return OptionalInt.empty();
    }
    int p = Integer.parseInt(v);
    return p >= 1 && p <= 65535 ? OptionalInt.of(p) : OptionalInt.empty();
  }
}
