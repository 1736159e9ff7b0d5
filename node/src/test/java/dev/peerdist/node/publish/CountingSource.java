package dev.peerdist.node.publish;

import dev.peerdist.chunkstore.content.ContentVersion;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Wraps a source, counts hashing jobs per version, and can hold jobs until released. */
final class CountingSource implements ContentInformationSource {
  private final ContentInformationSource delegate;
  final Map<ContentVersion, AtomicInteger> generated = new ConcurrentHashMap<>();
  volatile CountDownLatch gate;

  CountingSource(ContentInformationSource delegate) {
    this.delegate = delegate;
  }

  int count(ContentVersion v) {
    AtomicInteger n = generated.get(v);
    return n == null ? 0 : n.get();
  }

  int total() {
    return count(ContentVersion.V1) + count(ContentVersion.V2);
  }

  @Override
  public byte[] generate(Path file, ContentVersion version, byte[] secret) throws IOException {
    CountDownLatch g = gate;
    if (g != null) {
      try {
        if (!g.await(20, TimeUnit.SECONDS)) {
          throw new IOException("test gate never opened");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(e);
      }
    }
    byte[] b = delegate.generate(file, version, secret);
    generated.computeIfAbsent(version, v -> new AtomicInteger()).incrementAndGet();
    return b;
  }

  @Override
  public byte[] restrict(byte[] full, long start, long end) {
    return delegate.restrict(full, start, end);
  }

  @Override
  public boolean describes(byte[] contentInformation, long contentLength) {
    return delegate.describes(contentInformation, contentLength);
  }
}
