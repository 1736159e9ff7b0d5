package dev.peerdist.node.publish;

import dev.peerdist.chunkstore.content.ContentVersion;
import dev.peerdist.node.units.Durations;
import dev.peerdist.node.units.Size;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything a {@link PublishingServer} needs, checked once. Build with {@link #builder()}.
 *
 * <table>
 *   <caption>Defaults</caption>
 *   <tr><th>setting</th><th>default</th><th>why</th></tr>
 *   <tr><td>root / upstream</td><td>one of them is required</td><td>what is served</td></tr>
 *   <tr><td>stateDir</td><td>required</td><td>secret, content-information cache, upstream copies;
 *       never inside the served tree</td></tr>
 *   <tr><td>bind</td><td>loopback (the CLI's default is 0.0.0.0)</td><td>safe for tests and embedding</td></tr>
 *   <tr><td>port</td><td>8080 (0 = any free port; -1 = no plain HTTP)</td><td></td></tr>
 *   <tr><td>tlsPort</td><td>8443 when TLS is configured (0 = any free port)</td><td></td></tr>
 *   <tr><td>minSize</td><td>64 KiB</td><td>one V1 block: smaller files gain nothing from peers,
 *       and servers may decline small files (PROTOCOL.md §5.3)</td></tr>
 *   <tr><td>maxContentVersion</td><td>V2</td><td>highest version handed out (§5.3 negotiation)</td></tr>
 *   <tr><td>maxConnections</td><td>1024</td><td>further connections are closed at once; the last
 *       quarter is kept for addresses holding at most 4</td></tr>
 *   <tr><td>maxConnectionsPerAddress</td><td>256</td><td>one address cannot take every slot; a
 *       branch behind NAT is one address, and its nodes open a few connections each as a rollout
 *       starts (16 live daemons went past 64 and were refused: docs/PUBLISHER.md)</td></tr>
 *   <tr><td>headerTimeout</td><td>10 s</td><td>a request head must be complete this long after
 *       its first byte, and a new connection must send one within it</td></tr>
 *   <tr><td>maxHeaderBytes</td><td>16 KiB</td><td>larger request heads get 431/400</td></tr>
 *   <tr><td>maxInitialLineBytes</td><td>8 KiB</td><td>longer request lines get 414/400</td></tr>
 *   <tr><td>hashThreads</td><td>max(1, cores / 2)</td><td>concurrent hashing jobs</td></tr>
 *   <tr><td>maxQueuedHashJobs</td><td>64</td><td>beyond that, plain + MakeHashRequest</td></tr>
 *   <tr><td>hashWait</td><td>1 s</td><td>how long a request waits for a hashing job before it is
 *       served plainly with {@code MakeHashRequest=true} (§5.1); 0 = never wait</td></tr>
 *   <tr><td>idleTimeout</td><td>60 s</td><td>keep-alive connections idle this long are closed;
 *       a response in progress is idle only when no byte moved for this long</td></tr>
 *   <tr><td>ioThreads</td><td>4</td><td>threads for file-system work off the event loop</td></tr>
 *   <tr><td>upstreamRevalidate</td><td>30 s</td><td>a fetched upstream copy is used without asking
 *       the upstream again for this long</td></tr>
 *   <tr><td>upstreamMaxBytes</td><td>8 GiB</td><td>largest upstream object copied</td></tr>
 *   <tr><td>upstreamTimeout</td><td>30 s</td><td>connect and response-head timeout upstream</td></tr>
 *   <tr><td>contentEtag</td><td>false</td><td>ETags from the content, equal across replicas</td></tr>
 *   <tr><td>signer</td><td>none</td><td>signs content information ({@code X-Peerdist-Signature})</td></tr>
 *   <tr><td>uploadBytesPerSecond</td><td>0 (no cap)</td><td>all clients together; for emulating a slow
 *       link (the simulator's live mode without root)</td></tr>
 * </table>
 */
public record PublisherConfig(
    Path root,
    URI upstream,
    Path stateDir,
    InetAddress bind,
    int port,
    int tlsPort,
    TlsSettings tls,
    byte[] secretKeyMaterial,
    long minSize,
    ContentVersion maxContentVersion,
    String token,
    int maxConnections,
    int maxConnectionsPerAddress,
    Duration headerTimeout,
    int maxHeaderBytes,
    int maxInitialLineBytes,
    int hashThreads,
    int maxQueuedHashJobs,
    Duration hashWait,
    Duration idleTimeout,
    int ioThreads,
    Duration upstreamRevalidate,
    long upstreamMaxBytes,
    Duration upstreamTimeout,
    boolean upstreamTrustAll,
    long uploadBytesPerSecond,
    dev.peerdist.node.signing.ContentSigner signer,
    boolean contentEtag) {

  /** Plain HTTP port of {@code peerdist publish} and of the builder. */
  public static final int DEFAULT_PORT = 8080;
  /** HTTPS port when TLS is configured. */
  public static final int DEFAULT_TLS_PORT = 8443;
  /** Files smaller than this are served plainly (one V1 block: smaller files gain nothing from peers). */
  public static final String DEFAULT_MIN_SIZE = "64KiB";
  /** Highest content-information version handed out. */
  public static final int DEFAULT_MAX_VERSION = 2;
  /** How long a request waits for a hashing job. */
  public static final String DEFAULT_HASH_WAIT = "1s";
  /** Open connections beyond this are closed. */
  public static final int DEFAULT_MAX_CONNECTIONS = 1024;
  public static final int DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 256;
  /** How long a fetched upstream copy is used without asking the upstream again. */
  public static final String DEFAULT_UPSTREAM_REVALIDATE = "30s";

  /** How HTTPS is set up: no TLS, a PEM certificate chain and key, or a generated self-signed pair. */
  public record TlsSettings(Path certificateChain, Path privateKey, boolean selfSigned) {
    /** No HTTPS listener. */
    public static final TlsSettings NONE = new TlsSettings(null, null, false);

    /** True when an HTTPS listener is wanted. */
    public boolean enabled() {
      return selfSigned || certificateChain != null;
    }
  }

  /** Validates every field; the messages name the setting. */
  public PublisherConfig {
    if ((root == null) == (upstream == null)) {
      throw new IllegalArgumentException("exactly one of root and upstream must be set");
    }
    Objects.requireNonNull(stateDir, "stateDir");
    Objects.requireNonNull(bind, "bind");
    Objects.requireNonNull(maxContentVersion, "maxContentVersion");
    tls = tls == null ? TlsSettings.NONE : tls;
    if (port < -1 || port > 65535) {
      throw new IllegalArgumentException("port must be -1..65535, got " + port);
    }
    if (tlsPort < 0 || tlsPort > 65535) {
      throw new IllegalArgumentException("tlsPort must be 0..65535, got " + tlsPort);
    }
    if (port == -1 && !tls.enabled()) {
      throw new IllegalArgumentException("port -1 (no plain HTTP) needs TLS");
    }
    if (tls.certificateChain() != null && tls.selfSigned()) {
      throw new IllegalArgumentException("a TLS certificate and self-signed TLS exclude each other");
    }
    if ((tls.certificateChain() == null) != (tls.privateKey() == null)) {
      throw new IllegalArgumentException("a TLS certificate needs its key and a key its certificate");
    }
    if (minSize < 0) {
      throw new IllegalArgumentException("minSize must be >= 0, got " + minSize);
    }
    if (token != null && token.isBlank()) {
      throw new IllegalArgumentException("token must not be blank");
    }
    positive("maxConnections", maxConnections);
    positive("maxConnectionsPerAddress", maxConnectionsPerAddress);
    if (headerTimeout == null || headerTimeout.isZero() || headerTimeout.isNegative()) {
      throw new IllegalArgumentException("headerTimeout must be > 0, got " + headerTimeout);
    }
    positive("maxHeaderBytes", maxHeaderBytes);
    positive("maxInitialLineBytes", maxInitialLineBytes);
    positive("hashThreads", hashThreads);
    positive("maxQueuedHashJobs", maxQueuedHashJobs);
    positive("ioThreads", ioThreads);
    if (upstreamMaxBytes <= 0) {
      throw new IllegalArgumentException("upstreamMaxBytes must be > 0, got " + upstreamMaxBytes);
    }
    nonNegative("hashWait", hashWait);
    nonNegative("upstreamRevalidate", upstreamRevalidate);
    if (idleTimeout.isZero() || idleTimeout.isNegative()) {
      throw new IllegalArgumentException("idleTimeout must be > 0, got " + idleTimeout);
    }
    if (upstreamTimeout.isZero() || upstreamTimeout.isNegative()) {
      throw new IllegalArgumentException("upstreamTimeout must be > 0, got " + upstreamTimeout);
    }
    if (upstream != null) {
      String s = upstream.getScheme();
      if (s == null || !(s.equalsIgnoreCase("http") || s.equalsIgnoreCase("https")) || upstream.getHost() == null) {
        throw new IllegalArgumentException("upstream must be an http:// or https:// URL, got " + upstream);
      }
    }
    secretKeyMaterial = secretKeyMaterial == null ? null : secretKeyMaterial.clone();
    if (uploadBytesPerSecond < 0) {
      throw new IllegalArgumentException("uploadBytesPerSecond must be >= 0 (0 = no cap), got " + uploadBytesPerSecond);
    }
  }

  private static void positive(String name, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be > 0, got " + value);
    }
  }

  private static void nonNegative(String name, Duration d) {
    if (d == null || d.isNegative()) {
      throw new IllegalArgumentException(name + " must be >= 0, got " + d);
    }
  }

  /** A copy of the explicit secret key material, or null to use (or create) the persisted one. */
  @Override
  public byte[] secretKeyMaterial() {
    return secretKeyMaterial == null ? null : secretKeyMaterial.clone();
  }

  /** A builder with the defaults of the table above. */
  public static Builder builder() {
    return new Builder();
  }

  /** Mutable builder; {@link #build()} validates. */
  public static final class Builder {
    private Path root;
    private URI upstream;
    private Path stateDir;
    private InetAddress bind = InetAddress.getLoopbackAddress();
    private int port = DEFAULT_PORT;
    private int tlsPort = DEFAULT_TLS_PORT;
    private TlsSettings tls = TlsSettings.NONE;
    private byte[] secret;
    private long minSize = Size.parse(DEFAULT_MIN_SIZE).bytes();
    private ContentVersion maxContentVersion = ContentVersion.values()[DEFAULT_MAX_VERSION - 1];
    private String token;
    private int maxConnections = DEFAULT_MAX_CONNECTIONS;
    private int maxConnectionsPerAddress = DEFAULT_MAX_CONNECTIONS_PER_ADDRESS;
    private Duration headerTimeout = Duration.ofSeconds(10);
    private int maxHeaderBytes = 16 * 1024;
    private int maxInitialLineBytes = 8 * 1024;
    private int hashThreads = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    private int maxQueuedHashJobs = 64;
    private Duration hashWait = Durations.parse(DEFAULT_HASH_WAIT);
    private Duration idleTimeout = Duration.ofSeconds(60);
    private int ioThreads = 4;
    private Duration upstreamRevalidate = Durations.parse(DEFAULT_UPSTREAM_REVALIDATE);
    private long upstreamMaxBytes = 8L << 30;
    private Duration upstreamTimeout = Duration.ofSeconds(30);
    private boolean upstreamTrustAll;
    private long uploadBytesPerSecond;
    private dev.peerdist.node.signing.ContentSigner signer;
    private boolean contentEtag;

    public Builder root(Path v) {
      root = v;
      return this;
    }

    public Builder upstream(URI v) {
      upstream = v;
      return this;
    }

    public Builder stateDir(Path v) {
      stateDir = v;
      return this;
    }

    public Builder bind(InetAddress v) {
      bind = v;
      return this;
    }

    public Builder port(int v) {
      port = v;
      return this;
    }

    public Builder tlsPort(int v) {
      tlsPort = v;
      return this;
    }

    public Builder tls(TlsSettings v) {
      tls = v;
      return this;
    }

    public Builder secretKeyMaterial(byte[] v) {
      secret = v == null ? null : v.clone();
      return this;
    }

    public Builder minSize(long v) {
      minSize = v;
      return this;
    }

    public Builder maxContentVersion(ContentVersion v) {
      maxContentVersion = v;
      return this;
    }

    public Builder token(String v) {
      token = v;
      return this;
    }

    public Builder maxConnections(int v) {
      maxConnections = v;
      return this;
    }

    public Builder maxConnectionsPerAddress(int v) {
      maxConnectionsPerAddress = v;
      return this;
    }

    public Builder headerTimeout(Duration v) {
      headerTimeout = v;
      return this;
    }

    public Builder maxHeaderBytes(int v) {
      maxHeaderBytes = v;
      return this;
    }

    public Builder maxInitialLineBytes(int v) {
      maxInitialLineBytes = v;
      return this;
    }

    public Builder hashThreads(int v) {
      hashThreads = v;
      return this;
    }

    public Builder maxQueuedHashJobs(int v) {
      maxQueuedHashJobs = v;
      return this;
    }

    public Builder hashWait(Duration v) {
      hashWait = v;
      return this;
    }

    public Builder idleTimeout(Duration v) {
      idleTimeout = v;
      return this;
    }

    public Builder ioThreads(int v) {
      ioThreads = v;
      return this;
    }

    public Builder upstreamRevalidate(Duration v) {
      upstreamRevalidate = v;
      return this;
    }

    public Builder upstreamMaxBytes(long v) {
      upstreamMaxBytes = v;
      return this;
    }

    public Builder upstreamTimeout(Duration v) {
      upstreamTimeout = v;
      return this;
    }

    public Builder upstreamTrustAll(boolean v) {
      upstreamTrustAll = v;
      return this;
    }

    /** A cap on the bytes per second sent to all clients together; 0 (the default) = none. */
    public Builder uploadBytesPerSecond(long v) {
      uploadBytesPerSecond = v;
      return this;
    }

    /** Signs every content-information answer (docs/SITES.md); null: unsigned, the default. */
    public Builder signer(dev.peerdist.node.signing.ContentSigner v) {
      this.signer = v;
      return this;
    }

    /**
     * Publishes ETags derived from the content (its V1 content information) instead of from the
     * file's times and identity, so replicas on other machines agree (docs/SITES.md); the first
     * request for a file version then waits until it is hashed.
     */
    public Builder contentEtag(boolean v) {
      this.contentEtag = v;
      return this;
    }

    /** Validates and builds. */
    public PublisherConfig build() {
      return new PublisherConfig(
          root, upstream, stateDir, bind, port, tlsPort, tls, secret, minSize, maxContentVersion, token,
          maxConnections, maxConnectionsPerAddress, headerTimeout, maxHeaderBytes, maxInitialLineBytes, hashThreads,
          maxQueuedHashJobs, hashWait, idleTimeout, ioThreads, upstreamRevalidate, upstreamMaxBytes, upstreamTimeout,
          upstreamTrustAll, uploadBytesPerSecond, signer, contentEtag);
    }
  }
}
