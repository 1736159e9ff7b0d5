package dev.peerdist.node.engine;

import dev.peerdist.discovery.PeerEndpoint;
import java.net.Inet4Address;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The endpoint the download loop knows a PCCRD responder by: its IPv4 one when it answered on IPv4
 * lately, else the one in the answer at hand.
 *
 * <p>A dual-stack node probes on IPv4 and IPv6 with one MessageID (PROTOCOL.md §3.1), and each
 * responder answers whichever copy reaches it first, naming the address of that family in its
 * XAddrs. Taken as they came, one responder was met at two endpoints, 10.64.0.x and fe80::…%2,
 * and each was a holder of its own to the loop: twice the block lists, twice the request slots at
 * one peer (live-16 seeded, 2026-12-05). Responders are told apart by their WS-Discovery
 * EndpointReference. An IPv4 endpoint stands for its responder for {@code standsNanos} after it was
 * last heard (a node that lost its IPv4 address is met at its IPv6 one again). Bounded: the
 * responders heard least recently are forgotten first. Thread-safe.
 */
final class ResponderAddresses {
  private final int max;
  private final long standsNanos;
  private final Map<String, Heard> ipv4;

  private record Heard(PeerEndpoint endpoint, long at) {}

  /**
   * @param max responders remembered at once
   * @param standsNanos how long an IPv4 endpoint stands for its responder's other answers
   */
  ResponderAddresses(int max, long standsNanos) {
    if (max < 1 || standsNanos < 0) {
      throw new IllegalArgumentException("responder addresses: max " + max + ", stands " + standsNanos + " ns");
    }
    this.max = max;
    this.standsNanos = standsNanos;
    this.ipv4 = new LinkedHashMap<>(64, 0.75f, true) {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Heard> eldest) {
        return size() > ResponderAddresses.this.max;
      }
    };
  }

  /**
   * The endpoint for an answer of responder {@code endpointId} that named {@code named}, heard at
   * {@code now} (nanoseconds, monotonic). Answers without an EndpointReference keep theirs.
   */
  synchronized PeerEndpoint endpoint(String endpointId, PeerEndpoint named, long now) {
    if (endpointId == null || endpointId.isEmpty()) {
      return named;
    }
    if (named.address().getAddress() instanceof Inet4Address) {
      ipv4.put(endpointId, new Heard(named, now));
      return named;
    }
    Heard v4 = ipv4.get(endpointId);
    return v4 != null && now - v4.at() < standsNanos ? v4.endpoint() : named;
  }
}
