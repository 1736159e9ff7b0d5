package dev.peerdist.node.demo;

import dev.peerdist.node.ConfigKey;
import dev.peerdist.node.Node;
import dev.peerdist.node.NodeConfig;
import dev.peerdist.node.NodeDirectories;
import dev.peerdist.node.publish.PublisherConfig;
import dev.peerdist.node.publish.PublishingServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A publishing server and any number of nodes on this machine, over real sockets on 127.0.0.1
 * and real PCCRD multicast on {@code lo} (IPv4 239.255.255.250 works there without root when the
 * interface is named, LIMITS.md "Multicast"). Used by {@code peerdist demo} and the end-to-end
 * tests. A discovery port of its own keeps a swarm apart from a real node on 3702.
 */
public final class LocalSwarm implements AutoCloseable {
  private final Path workDir;
  private final int discoveryPort;
  private final PublishingServer publisher;
  private final List<Node> nodes = new ArrayList<>();

  private LocalSwarm(Path workDir, int discoveryPort, PublishingServer publisher) {
    this.workDir = workDir;
    this.discoveryPort = discoveryPort;
    this.publisher = publisher;
  }

  /**
   * Starts a publishing server for {@code root} (state under {@code workDir/publisher}).
   *
   * @param discoveryPort UDP port for PCCRD within this swarm
   */
  public static LocalSwarm start(Path workDir, Path root, int discoveryPort) throws IOException {
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    PublisherConfig pc = PublisherConfig.builder()
        .root(root)
        .stateDir(workDir.resolve("publisher"))
        .bind(InetAddress.getLoopbackAddress())
        .port(0)
        .secretKeyMaterial(secret)
        .hashWait(Duration.ofSeconds(30))
        .build();
    return new LocalSwarm(workDir, discoveryPort, PublishingServer.start(pc));
  }

  /** The publisher's base URL, e.g. {@code http://127.0.0.1:PORT/}. */
  public URI publisherUri() {
    return publisher.httpUri().orElseThrow();
  }

  /** The URL of {@code path} (relative to the served root) on the publisher. */
  public URI url(String path) {
    return publisherUri().resolve(path);
  }

  /** The configuration a swarm node gets before {@code tweak}: loopback everything, free ports. */
  public NodeConfig.Builder nodeConfig(String name) {
    return NodeConfig.builder()
        .set(ConfigKey.STORE, workDir.resolve(name).toString())
        .set(ConfigKey.PUBLISHER, publisherUri().toString())
        .set(ConfigKey.BIND, "127.0.0.1")
        .set(ConfigKey.PCCRR_PORT, "0")
        .set(ConfigKey.ADMIN_PORT, "0")
        .set(ConfigKey.MIRROR_PORT, "0")
        .set(ConfigKey.INTERFACE, "lo")
        .set(ConfigKey.DISCOVERY_PORT, Integer.toString(discoveryPort))
        .set(ConfigKey.DNSSD, "false")
        .set(ConfigKey.CACHE_SIZE, "1GiB");
  }

  /** Starts a node named {@code name} (its store is {@code workDir/name}). */
  public Node startNode(String name, Consumer<NodeConfig.Builder> tweak) throws IOException {
    NodeConfig.Builder b = nodeConfig(name);
    tweak.accept(b);
    Node n = Node.start(b.build(), NodeDirectories::multicast, Clock.systemUTC());
    nodes.add(n);
    return n;
  }

  /** Starts a node with another store (e.g. an in-memory twin a test can damage). */
  public Node startNode(String name, Consumer<NodeConfig.Builder> tweak, Node.StoreFactory stores)
      throws IOException {
    NodeConfig.Builder b = nodeConfig(name);
    tweak.accept(b);
    Node n = Node.start(b.build(), NodeDirectories::multicast, stores, Clock.systemUTC());
    nodes.add(n);
    return n;
  }

  /** Starts a node with the swarm defaults. */
  public Node startNode(String name) throws IOException {
    return startNode(name, b -> { });
  }

  public PublishingServer publisher() {
    return publisher;
  }

  /** Closes every node (newest first), then the publisher. */
  @Override
  public void close() {
    for (int i = nodes.size() - 1; i >= 0; i--) {
      nodes.get(i).close();
    }
    publisher.close();
  }
}
