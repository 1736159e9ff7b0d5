package dev.peerdist.discovery;

import java.time.Duration;

/**
 * Hooks through which the node counts discovery events (for example as Micrometer meters)
 * without discovery depending on a metrics library. Called on discovery threads: implementations
 * must be fast, thread-safe and must not throw. Every method defaults to doing nothing.
 */
public interface DiscoveryListener {
  /** A listener that ignores everything. */
  DiscoveryListener NONE = new DiscoveryListener() {};

  /** Why a received probe was not answered. */
  enum ProbeDrop {
    /** Its MessageID was seen before (retransmission or replay). */
    DUPLICATE,
    /** Over the responder's global probe ceiling (all sources together). */
    RATE_LIMITED,
    /** Its source address is over its own probe rate. */
    SOURCE_RATE_LIMITED,
    /** From an address outside the local subnets of the interface it arrived on. */
    OFF_SUBNET,
    /** Reply suppression chose silence ([PCCRD-24] note &lt;8&gt;). */
    SUPPRESSED,
    /** The reply could not be sent. */
    SEND_FAILED
  }

  /** Why a received ProbeMatch was not used. */
  enum MatchDrop {
    /** From an address outside the local subnet ([PCCRD-24] 3.1.4.1). */
    OFF_SUBNET,
    /** It relates to no probe in flight (late, or never asked). */
    UNSOLICITED,
    /** Its XAddrs held no usable {@code ip:port}. */
    NO_ADDRESS
  }

  /** A datagram that is not a well-formed message was dropped. */
  default void malformedDatagram(String reason) {}

  /** A well-formed datagram that is not PeerDist traffic (another WS-Discovery action or type) was ignored. */
  default void datagramIgnored() {}

  /** A probe for {@code keys} ids was multicast (once per copy). */
  default void probeSent(int keys) {}

  /** A received probe was dropped for {@code reason}. */
  default void probeDropped(ProbeDrop reason) {}

  /** This node answered a probe with a ProbeMatch. */
  default void replySent(int keys) {}

  /**
   * A reply left out {@code keys} held ids to stay within the reply/probe byte bound
   * ({@code maxReplyRatio}).
   */
  default void replyTrimmed(int keys) {}

  /** The directory started ({@code true}) or stopped using {@code link} (e.g. {@code eth0/IPv6}). */
  default void linkChanged(String link, boolean up) {}

  /** A usable ProbeMatch arrived {@code latency} after its probe was first sent. */
  default void matchReceived(Duration latency) {}

  /** A received ProbeMatch was dropped for {@code reason}. */
  default void matchDropped(MatchDrop reason) {}

  /** A probe completed with {@code peers} distinct answering peers after {@code elapsed}. */
  default void probeCompleted(int peers, Duration elapsed) {}
}
