package dev.peerdist.discovery.pccrd;

import java.time.Duration;

/** Timing and addressing constants of PCCRD (PROTOCOL.md §3.1, §3.6). */
public final class PccrdTiming {
  /** Responder back-off upper bound, APP_MAX_DELAY (PROTOCOL.md §3.6, [PCCRD-24] note &lt;7&gt;). */
  public static final Duration APP_MAX_DELAY = Duration.ofMillis(65);
  /** Responder back-off lower bound. */
  public static final Duration MIN_REPLY_DELAY = Duration.ofMillis(1);
  /** Client wait per probe as on Windows 7/2008R2 (PROTOCOL.md §3.6); must exceed APP_MAX_DELAY. */
  public static final Duration CLIENT_WAIT = Duration.ofMillis(300);
  /** Gap before the probe is sent a second time (iPXE policy, PROTOCOL.md §3.6). */
  public static final Duration RETRANSMIT_GAP = Duration.ofSeconds(1);
  /** UDP port of WS-Discovery. */
  public static final int PORT = 3702;
  /** IPv4 multicast group (PROTOCOL.md §3.1). */
  public static final String IPV4_GROUP = "239.255.255.250";
  /** IPv6 link-local multicast group (PROTOCOL.md §3.1). */
  public static final String IPV6_GROUP = "ff02::c";
  /** Replies seen for a segment before Windows 7 starts suppressing its own ([PCCRD-24] note &lt;8&gt;). */
  public static final int SUPPRESSION_THRESHOLD = 10;
  /** Probability of replying anyway once the threshold is reached with partial replies. */
  public static final double SUPPRESSED_REPLY_PROBABILITY = 0.33;

  private PccrdTiming() {}
}
