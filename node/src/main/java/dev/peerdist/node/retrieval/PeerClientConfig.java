package dev.peerdist.node.retrieval;

import dev.peerdist.chunkstore.content.BlockCipher;
import java.time.Duration;

/**
 * Settings of {@link PeerClient}.
 *
 * <table>
 *   <caption>Defaults</caption>
 *   <tr><th>setting</th><th>default</th><th>why</th></tr>
 *   <tr><td>requestTimeout</td><td>2 s</td><td>the client Request Timer (PROTOCOL.md §4.6)</td></tr>
 *   <tr><td>lateAnswerWait</td><td>2 s</td><td>after a request timed out its connection is kept, and
 *       used for nothing else, until the late answer arrives (then discarded) or this long has
 *       passed (then closed): a second request timer on that connection. Re-connecting after every
 *       timeout cost the saturated live site a fifth of its client CPU (docs/PERFORMANCE.md)</td></tr>
 *   <tr><td>connectTimeout</td><td>1 s</td><td>LAN peers answer in milliseconds</td></tr>
 *   <tr><td>maxConnectionsPerPeer</td><td>4</td><td>connections per peer that carry exchanges (as many
 *       again may be open while they owe a late answer, see lateAnswerWait); the scheduler keeps a few
 *       requests in flight per peer (8 connections, as many as the loop's window, measured no
 *       better on the loaded machine: docs/PERFORMANCE.md)</td></tr>
 *   <tr><td>maxPendingPerPeer</td><td>64</td><td>requests waiting for a pooled connection; more are
 *       answered BUSY locally</td></tr>
 *   <tr><td>cryptoAlgoId</td><td>1 (AES_128)</td><td>clients SHOULD ask for AES_128 (PROTOCOL.md §4.3)</td></tr>
 *   <tr><td>ioThreads</td><td>1</td><td>event-loop threads; decryption and hashing run there too</td></tr>
 * </table>
 */
public record PeerClientConfig(
    Duration requestTimeout,
    Duration lateAnswerWait,
    Duration connectTimeout,
    int maxConnectionsPerPeer,
    int maxPendingPerPeer,
    int cryptoAlgoId,
    int ioThreads) {

  public PeerClientConfig {
    if (requestTimeout == null || requestTimeout.isNegative() || requestTimeout.isZero()) {
      throw new IllegalArgumentException("requestTimeout must be positive, got " + requestTimeout);
    }
    if (lateAnswerWait == null || lateAnswerWait.isNegative() || lateAnswerWait.isZero()) {
      throw new IllegalArgumentException("lateAnswerWait must be positive, got " + lateAnswerWait);
    }
    if (connectTimeout == null || connectTimeout.isNegative() || connectTimeout.isZero()) {
      throw new IllegalArgumentException("connectTimeout must be positive, got " + connectTimeout);
    }
    if (maxConnectionsPerPeer <= 0) {
      throw new IllegalArgumentException("maxConnectionsPerPeer must be positive, got " + maxConnectionsPerPeer);
    }
    if (maxPendingPerPeer <= 0) {
      throw new IllegalArgumentException("maxPendingPerPeer must be positive, got " + maxPendingPerPeer);
    }
    if (cryptoAlgoId < BlockCipher.NONE || cryptoAlgoId > BlockCipher.AES_256) {
      throw new IllegalArgumentException("cryptoAlgoId " + cryptoAlgoId + " outside 0..3");
    }
    if (ioThreads <= 0) {
      throw new IllegalArgumentException("ioThreads must be positive, got " + ioThreads);
    }
  }

  public static PeerClientConfig defaults() {
    return new PeerClientConfig(Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofSeconds(1), 4, 64,
        BlockCipher.AES_128, 1);
  }

  public PeerClientConfig withRequestTimeout(Duration timeout) {
    return new PeerClientConfig(timeout, lateAnswerWait, connectTimeout, maxConnectionsPerPeer, maxPendingPerPeer,
        cryptoAlgoId, ioThreads);
  }

  public PeerClientConfig withPool(int connectionsPerPeer, int pendingPerPeer) {
    return new PeerClientConfig(requestTimeout, lateAnswerWait, connectTimeout, connectionsPerPeer, pendingPerPeer,
        cryptoAlgoId, ioThreads);
  }

  public PeerClientConfig withIoThreads(int n) {
    return new PeerClientConfig(requestTimeout, lateAnswerWait, connectTimeout, maxConnectionsPerPeer,
        maxPendingPerPeer, cryptoAlgoId, n);
  }

  /** How long a connection whose request timed out waits for the late answer before it is closed. */
  public PeerClientConfig withLateAnswerWait(Duration wait) {
    return new PeerClientConfig(requestTimeout, wait, connectTimeout, maxConnectionsPerPeer, maxPendingPerPeer,
        cryptoAlgoId, ioThreads);
  }
}
