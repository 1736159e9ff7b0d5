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
    /** Over the responder's probe rate limit. */
    RATE_LIMITED,
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

  /** A probe for {@code keys} ids was multicast (once per copy). */
  default void probeSent(int keys) {}

  /** A received probe was dropped for {@code reason}. */
  default void probeDropped(ProbeDrop reason) {}

  /** This node answered a probe with a ProbeMatch. */
  default void replySent(int keys) {}

  /** A usable ProbeMatch arrived {@code latency} after its probe was first sent. */
  default void matchReceived(Duration latency) {}

  /** A received ProbeMatch was dropped for {@code reason}. */
  default void matchDropped(MatchDrop reason) {}

  /** A probe completed with {@code peers} distinct answering peers after {@code elapsed}. */
  default void probeCompleted(int peers, Duration elapsed) {}
}
