package dev.peerdist.discovery.transport;

import dev.peerdist.discovery.DiscoveryListener;
import dev.peerdist.discovery.pccrd.PccrdTiming;
import dev.peerdist.discovery.wsd.WsdLimits;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Settings of {@link WsDiscoveryPeerDirectory}. Build with {@link #builder()}; every setter
 * checks its value and names the key in its error.
 *
 * <table>
 *   <caption>Defaults</caption>
 *   <tr><th>Key</th><th>Default</th><th>Meaning / source</th></tr>
 *   <tr><td>interfaces</td><td>all up, multicast-capable, non-loopback</td><td>interfaces joined and probed on; name {@code lo} explicitly for loopback tests (LIMITS.md "Multicast")</td></tr>
 *   <tr><td>ipv4, ipv6</td><td>true, true</td><td>239.255.255.250 and [ff02::c] (PROTOCOL.md §3.1); a family is used on an interface only when it has an address of it</td></tr>
 *   <tr><td>port</td><td>3702</td><td>WS-Discovery port; tests use another to stay apart</td></tr>
 *   <tr><td>pccrrPort</td><td>80</td><td>port advertised in XAddrs (PROTOCOL.md §1)</td></tr>
 *   <tr><td>advertisedAddress</td><td>none</td><td>address advertised in XAddrs; default: this host's address on the interface facing the prober</td></tr>
 *   <tr><td>appMaxDelay</td><td>65 ms</td><td>reply back-off bound, APP_MAX_DELAY (§3.6)</td></tr>
 *   <tr><td>probeRepeats</td><td>1</td><td>extra copies of each probe (SOAP-over-UDP MULTICAST_UDP_REPEAT), sent only within the wait</td></tr>
 *   <tr><td>repeatDelayMin/Max</td><td>50 / 250 ms</td><td>delay before a copy (SOAP-over-UDP UDP_MIN_DELAY/UDP_MAX_DELAY)</td></tr>
 *   <tr><td>probesPerSecond, probeBurst</td><td>4000, 1000</td><td>responder's global ceiling for all sources together (token bucket): floods (a reply is at most twice its probe, so this bounds CPU, not amplification)</td></tr>
 *   <tr><td>sourceProbesPerSecond, sourceProbeBurst</td><td>1000, 500</td><td>per source address: iPXE probes each V2 segment (one per block, 32 blocks in flight, repeated after 1 s), so a download of V2 content at LAN speed (64 MB/s is 1,000 segments a second) sends probes at its block rate; those and their repeats are always answered ({@code ProbeRateLimiter})</td></tr>
 *   <tr><td>maxSources</td><td>4096</td><td>source addresses tracked by the per-source limit</td></tr>
 *   <tr><td>maxReplyRatio</td><td>2.0</td><td>bytes of all reply datagrams to one probe at most this many times the probe's bytes; held ids that do not fit are left out</td></tr>
 *   <tr><td>interfacePollInterval</td><td>5 s</td><td>how often interfaces and addresses are checked: links whose address became usable (IPv6 after duplicate-address detection) are added, vanished ones removed; 0 = never</td></tr>
 *   <tr><td>nativeTransport</td><td>true</td><td>use Linux epoll when available (IP_MULTICAST_ALL off: a responder hears only the interfaces it joined on); NIO otherwise</td></tr>
 *   <tr><td>suppression</td><td>true</td><td>[PCCRD-24] note &lt;8&gt; reply suppression</td></tr>
 *   <tr><td>checkSubnet</td><td>true</td><td>drop matches whose source (and XAddrs host) is outside the local subnet ([PCCRD-24] 3.1.4.1), and probes whose source is outside the local subnets of the interface they arrived on</td></tr>
 *   <tr><td>localSubnets</td><td>from the interfaces</td><td>override of what "local subnet" means (tests)</td></tr>
 *   <tr><td>maxDatagramBytes</td><td>1472</td><td>largest probe sent (Ethernet MTU minus IP/UDP headers); larger ones are split. Replies are bounded by maxReplyRatio instead</td></tr>
 *   <tr><td>receiveBufferBytes</td><td>1 MiB</td><td>SO_RCVBUF of every discovery socket (the kernel caps it at net.core.rmem_max)</td></tr>
 *   <tr><td>maxProbesInFlight</td><td>256</td><td>concurrent {@code probe()} calls; more fail fast</td></tr>
 *   <tr><td>lateAnswerWindow</td><td>10 s</td><td>how long after sending a probe its answers still reach the {@code SubnetListener}</td></tr>
 *   <tr><td>sentProbeMemory</td><td>4096</td><td>probe MessageIDs remembered for late answers (oldest forgotten first; those of waiting {@code probe()} calls are kept)</td></tr>
 *   <tr><td>duplicateMemory</td><td>1024</td><td>MessageIDs remembered to drop repeats</td></tr>
 *   <tr><td>limits</td><td>{@link WsdLimits#DEFAULT}</td><td>decoder bounds (32 KiB, depth 16, …)</td></tr>
 * </table>
 */
public record WsDiscoveryConfig(
    List<String> interfaces,
    boolean ipv4,
    boolean ipv6,
    int port,
    int pccrrPort,
    InetAddress advertisedAddress,
    Duration appMaxDelay,
    int probeRepeats,
    Duration repeatDelayMin,
    Duration repeatDelayMax,
    double probesPerSecond,
    int probeBurst,
    double sourceProbesPerSecond,
    int sourceProbeBurst,
    int maxSources,
    double maxReplyRatio,
    Duration interfacePollInterval,
    boolean nativeTransport,
    boolean suppression,
    boolean checkSubnet,
    List<Subnet> localSubnets,
    int maxDatagramBytes,
    int receiveBufferBytes,
    int maxProbesInFlight,
    Duration lateAnswerWindow,
    int sentProbeMemory,
    int duplicateMemory,
    WsdLimits limits,
    Clock clock,
    RandomGenerator random,
    DiscoveryListener listener) {

  public WsDiscoveryConfig {
    interfaces = List.copyOf(interfaces);
    localSubnets = List.copyOf(localSubnets);
    Objects.requireNonNull(appMaxDelay, "appMaxDelay");
    Objects.requireNonNull(lateAnswerWindow, "lateAnswerWindow");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(random, "random");
    Objects.requireNonNull(listener, "listener");
    if (!ipv4 && !ipv6) {
      throw new IllegalArgumentException("discovery: at least one of ipv4 and ipv6 must be enabled");
    }
    checkRange("port", port, 1, 65535);
    checkRange("pccrrPort", pccrrPort, 1, 65535);
    checkRange("probeRepeats", probeRepeats, 0, 4);
    checkRange("probeBurst", probeBurst, 1, 100_000);
    checkRange("maxDatagramBytes", maxDatagramBytes, 1300, 65_507);
    checkRange("maxProbesInFlight", maxProbesInFlight, 1, 100_000);
    checkRange("receiveBufferBytes", receiveBufferBytes, 64 * 1024, 64 * 1024 * 1024);
    checkRange("duplicateMemory", duplicateMemory, 1, 1_000_000);
    checkRange("sentProbeMemory", sentProbeMemory, 16, 1_000_000);
    if (lateAnswerWindow.isNegative() || lateAnswerWindow.compareTo(Duration.ofMinutes(5)) > 0) {
      throw new IllegalArgumentException("discovery.lateAnswerWindow must be within 0..5 min, got " + lateAnswerWindow);
    }
    if (appMaxDelay.compareTo(PccrdTiming.MIN_REPLY_DELAY) < 0 || appMaxDelay.compareTo(Duration.ofSeconds(5)) > 0) {
      throw new IllegalArgumentException("discovery.appMaxDelay must be within 1 ms..5 s, got " + appMaxDelay);
    }
    if (repeatDelayMin.isNegative() || repeatDelayMax.compareTo(repeatDelayMin) < 0) {
      throw new IllegalArgumentException("discovery.repeatDelayMin/Max must satisfy 0 <= min <= max");
    }
    if (!(probesPerSecond > 0)) {
      throw new IllegalArgumentException("discovery.probesPerSecond must be positive, got " + probesPerSecond);
    }
    if (!(sourceProbesPerSecond > 0)) {
      throw new IllegalArgumentException("discovery.sourceProbesPerSecond must be positive, got " + sourceProbesPerSecond);
    }
    checkRange("sourceProbeBurst", sourceProbeBurst, 1, 100_000);
    checkRange("maxSources", maxSources, 1, 1_000_000);
    if (!(maxReplyRatio >= 1.0 && maxReplyRatio <= 100.0)) {
      throw new IllegalArgumentException("discovery.maxReplyRatio must be within 1..100, got " + maxReplyRatio);
    }
    Objects.requireNonNull(interfacePollInterval, "interfacePollInterval");
    if (interfacePollInterval.isNegative() || (!interfacePollInterval.isZero()
        && interfacePollInterval.compareTo(Duration.ofMillis(100)) < 0) || interfacePollInterval.compareTo(Duration.ofHours(1)) > 0) {
      throw new IllegalArgumentException("discovery.interfacePollInterval must be 0 or within 100 ms..1 h, got "
          + interfacePollInterval);
    }
  }

  private static void checkRange(String key, int v, int min, int max) {
    if (v < min || v > max) {
      throw new IllegalArgumentException("discovery." + key + " must be within " + min + ".." + max + ", got " + v);
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from the defaults of the table. */
  public static final class Builder {
    private List<String> interfaces = List.of();
    private boolean ipv4 = true;
    private boolean ipv6 = true;
    private int port = PccrdTiming.PORT;
    private int pccrrPort = 80;
    private InetAddress advertisedAddress;
    private Duration appMaxDelay = PccrdTiming.APP_MAX_DELAY;
    private int probeRepeats = 1;
    private Duration repeatDelayMin = Duration.ofMillis(50);
    private Duration repeatDelayMax = Duration.ofMillis(250);
    private double probesPerSecond = 4000;
    private int probeBurst = 1000;
    private double sourceProbesPerSecond = 1000;
    private int sourceProbeBurst = 500;
    private int maxSources = 4096;
    private double maxReplyRatio = 2.0;
    private Duration interfacePollInterval = Duration.ofSeconds(5);
    private boolean nativeTransport = true;
    private boolean suppression = true;
    private boolean checkSubnet = true;
    private List<Subnet> localSubnets = List.of();
    private int maxDatagramBytes = 1472;
    private int receiveBufferBytes = 1 << 20;
    private int maxProbesInFlight = 256;
    private Duration lateAnswerWindow = Duration.ofSeconds(10);
    private int sentProbeMemory = 4096;
    private int duplicateMemory = 1024;
    private WsdLimits limits = WsdLimits.DEFAULT;
    private Clock clock = Clock.systemUTC();
    private RandomGenerator random = new java.security.SecureRandom();
    private DiscoveryListener listener = DiscoveryListener.NONE;

    public Builder interfaces(List<String> v) { interfaces = v; return this; }
    public Builder ipv4(boolean v) { ipv4 = v; return this; }
    public Builder ipv6(boolean v) { ipv6 = v; return this; }
    public Builder port(int v) { port = v; return this; }
    public Builder pccrrPort(int v) { pccrrPort = v; return this; }
    public Builder advertisedAddress(InetAddress v) { advertisedAddress = v; return this; }
    public Builder appMaxDelay(Duration v) { appMaxDelay = v; return this; }
    public Builder probeRepeats(int v) { probeRepeats = v; return this; }
    public Builder repeatDelay(Duration min, Duration max) { repeatDelayMin = min; repeatDelayMax = max; return this; }
    public Builder rateLimit(double perSecond, int burst) { probesPerSecond = perSecond; probeBurst = burst; return this; }
    public Builder sourceRateLimit(double perSecond, int burst) {
      sourceProbesPerSecond = perSecond;
      sourceProbeBurst = burst;
      return this;
    }
    public Builder maxSources(int v) { maxSources = v; return this; }
    public Builder maxReplyRatio(double v) { maxReplyRatio = v; return this; }
    public Builder interfacePollInterval(Duration v) { interfacePollInterval = v; return this; }
    public Builder nativeTransport(boolean v) { nativeTransport = v; return this; }
    public Builder suppression(boolean v) { suppression = v; return this; }
    public Builder checkSubnet(boolean v) { checkSubnet = v; return this; }
    public Builder localSubnets(List<Subnet> v) { localSubnets = v; return this; }
    public Builder maxDatagramBytes(int v) { maxDatagramBytes = v; return this; }
    public Builder receiveBufferBytes(int v) { receiveBufferBytes = v; return this; }
    public Builder maxProbesInFlight(int v) { maxProbesInFlight = v; return this; }
    public Builder lateAnswerWindow(Duration v) { lateAnswerWindow = v; return this; }
    public Builder sentProbeMemory(int v) { sentProbeMemory = v; return this; }
    public Builder duplicateMemory(int v) { duplicateMemory = v; return this; }
    public Builder limits(WsdLimits v) { limits = v; return this; }
    public Builder clock(Clock v) { clock = v; return this; }
    public Builder random(RandomGenerator v) { random = v; return this; }
    public Builder listener(DiscoveryListener v) { listener = v; return this; }

    public WsDiscoveryConfig build() {
      return new WsDiscoveryConfig(interfaces, ipv4, ipv6, port, pccrrPort, advertisedAddress, appMaxDelay,
          probeRepeats, repeatDelayMin, repeatDelayMax, probesPerSecond, probeBurst, sourceProbesPerSecond,
          sourceProbeBurst, maxSources, maxReplyRatio, interfacePollInterval, nativeTransport, suppression, checkSubnet,
          localSubnets, maxDatagramBytes, receiveBufferBytes, maxProbesInFlight, lateAnswerWindow, sentProbeMemory, duplicateMemory, limits, clock, random, listener);
    }
  }
}
