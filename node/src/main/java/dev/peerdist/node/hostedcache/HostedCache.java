package dev.peerdist.node.hostedcache;

import dev.peerdist.chunkstore.ChunkStore;
import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.node.metrics.InputSource;
import dev.peerdist.node.metrics.NodeMeters;
import dev.peerdist.node.retrieval.PeerClient;
import dev.peerdist.node.retrieval.PeerClientConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * The hosted-cache role of a node ({@code peerdist run --role hosted-cache}, PROTOCOL.md §6): the
 * MS-PCHC listeners, the decisions on offers and the pulls from offering clients, over the node's
 * chunk store. The node itself serves what was pulled by MS-PCCRR on its PCCRR port, answers every
 * PCCRD probe for it and announces itself by DNS-SD, as a cache server does; that is also how iPXE's
 * {@code peerhost} setting reaches it. {@link #close()} stops listening first, then pulling.
 */
public final class HostedCache implements AutoCloseable {
  private final PchcServer server;
  private final SegmentPuller puller;
  private final PeerClient peers;
  private final java.nio.file.Path tlsDir;

  private HostedCache(PchcServer server, SegmentPuller puller, PeerClient peers, java.nio.file.Path tlsDir) {
    this.tlsDir = tlsDir;
    this.server = server;
    this.puller = puller;
    this.peers = peers;
  }

  /**
   * Starts listening for offers.
   *
   * @throws IOException naming the address when a listener cannot be bound
   */
  public static HostedCache start(HostedCacheConfig config, ChunkStore store, NodeMeters meters) throws IOException {
    PeerClient peers = new PeerClient(PeerClientConfig.defaults());
    SegmentPuller puller = new SegmentPuller(store, peers, config.pullThreads(), config.maxQueuedPulls(),
        config.maxPullsPerClient(), config.blockTimeout(), meters::pchcPulled);
    OfferResponder responder = new OfferResponder(new OfferResponder.Holdings() {
      @Override
      public Optional<SegmentRecord> record(SegmentId id) {
        return store.segment(id);
      }

      @Override
      public boolean complete(SegmentId id) {
        Optional<SegmentRecord> r = store.segment(id);
        return r.isPresent() && store.presentBlocks(id).cardinality() == r.get().blockCount();
      }
    }, new OfferResponder.Pulls() {
      @Override
      public boolean hasRoom(java.net.InetAddress client) {
        return puller.hasRoom(client);
      }

      @Override
      public boolean submit(SegmentRecord record, InetSocketAddress source) {
        return puller.submit(record, source);
      }
    });
    try {
      PchcServer server = PchcServer.start(config, responder, new PchcServer.Listener() {
        @Override
        public void offer(String messageType, String result) {
          meters.pchcOffer(messageType, result);
        }

        @Override
        public void malformed() {
          meters.malformed(InputSource.PCHC);
        }
      });
      return new HostedCache(server, puller, peers, config.tlsDir());
    } catch (IOException | RuntimeException e) {
      puller.close();
      peers.close();
      throw e;
    }
  }

  /** The v2.0 (HTTP) listener, or null. */
  public InetSocketAddress httpAddress() {
    return server.httpAddress();
  }

  /** The v1.0 (HTTPS) listener, or null. */
  public InetSocketAddress tlsAddress() {
    return server.tlsAddress();
  }

  /** The self-signed certificate of the HTTPS listener: what clients pin ({@code hosted-cache-cert}). */
  public java.nio.file.Path certificate() {
    return dev.peerdist.node.publish.TlsContexts.selfSignedCertificate(tlsDir);
  }

  /** Segments being pulled or waiting to be. */
  public int pendingPulls() {
    return puller.pending();
  }

  @Override
  public void close() {
    server.close();
    puller.close();
    peers.close();
  }
}
