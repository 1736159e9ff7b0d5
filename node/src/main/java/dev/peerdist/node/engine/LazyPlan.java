package dev.peerdist.node.engine;

import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.content.ContentInformation;
import dev.peerdist.chunkstore.content.SegmentDescription;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * A whole-content V1 plan whose segments are resolved on demand by a {@link ContentInfoResolver}:
 * the publisher told the length and the first segment's description (a one-byte range request,
 * PROTOCOL.md §2.3 range semantics); every other description, and every block-hash list, is
 * fetched when the reader's read-ahead reaches it. V1 segments are 32 MiB except the last
 * (PROTOCOL.md §2.1), so the layout follows from the length alone.
 */
public final class LazyPlan implements SegmentPlan {
  private final URI url;
  private final String etag;
  private final long length;
  private final SegmentDescription first;
  private final ContentInfoResolver resolver;
  private final CompletableFuture<SegmentRecord>[] records;
  private final int count;

  /**
   * @param length the content's identity length (X-P2P-PeerDist ContentLength, §5.1)
   * @param first the first segment's description (its block-hash list may be a prefix)
   */
  @SuppressWarnings("unchecked")
  public LazyPlan(URI url, String etag, long length, SegmentDescription first, ContentInfoResolver resolver) {
    if (length <= 0) {
      throw new IllegalArgumentException("a lazy plan needs content, got length " + length);
    }
    if (first.offsetInContent() != 0 || first.segmentLength() != Math.min(length, SegmentDescription.V1_SEGMENT_SIZE)) {
      throw new IllegalArgumentException("the first segment of " + url + " is described at " + first.offsetInContent()
          + " with " + first.segmentLength() + " bytes, not at 0 with " + Math.min(length, SegmentDescription.V1_SEGMENT_SIZE));
    }
    this.url = url;
    this.etag = etag;
    this.length = length;
    this.first = first;
    this.resolver = resolver;
    this.count = (int) ((length + SegmentDescription.V1_SEGMENT_SIZE - 1) / SegmentDescription.V1_SEGMENT_SIZE);
    this.records = new CompletableFuture[count];
  }

  @Override
  public int size() {
    return count;
  }

  @Override
  public long length() {
    return length;
  }

  @Override
  public long offsetInContent(int i) {
    return (long) i * SegmentDescription.V1_SEGMENT_SIZE;
  }

  private int segmentLength(int i) {
    return (int) Math.min(SegmentDescription.V1_SEGMENT_SIZE, length - offsetInContent(i));
  }

  @Override
  public int skip(int i) {
    return 0;
  }

  @Override
  public int take(int i) {
    return segmentLength(i);
  }

  @Override
  public synchronized CompletableFuture<SegmentRecord> record(int i) {
    if (records[i] == null) {
      records[i] = resolver.resolve(url, etag, offsetInContent(i), segmentLength(i), i == 0 ? first : null);
      records[i].whenComplete((r, e) -> maybeFire());
    }
    return records[i];
  }

  /**
   * Calls {@code done} with the whole content's V1 content information once every segment has been
   * resolved (for the V1/V2 bridge), and never when one fails. Does not start any resolution: it
   * fires when the download has resolved them all.
   */
  public synchronized void onResolved(Consumer<ContentInformation> done) {
    this.whenAll = done;
    maybeFire();
  }

  private Consumer<ContentInformation> whenAll;
  private boolean fired;

  private synchronized void maybeFire() {
    if (whenAll == null || fired) {
      return;
    }
    for (CompletableFuture<SegmentRecord> f : records) {
      if (f == null || !f.isDone() || f.isCompletedExceptionally()) {
        return;
      }
    }
    fired = true;
    List<SegmentDescription> segs = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      SegmentRecord r = records[i].join();
      List<byte[]> hashes = new ArrayList<>();
      for (int b = 0; b < r.blockCount(); b++) {
        hashes.add(r.blockHash(b));
      }
      segs.add(SegmentDescription.v1(r.algorithm(), offsetInContent(i), r.segmentLength(), r.hashOfData(),
          r.segmentSecret(), hashes));
    }
    Consumer<ContentInformation> done = whenAll;
    try {
      done.accept(ContentInformation.v1(first.algorithm(), 0, 0, segs));
    } catch (RuntimeException e) {
      // A listener's failure is not the download's.
    }
  }
}
