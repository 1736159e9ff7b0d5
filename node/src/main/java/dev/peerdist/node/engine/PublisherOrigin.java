package dev.peerdist.node.engine;

import dev.peerdist.node.origin.ContentInformationResponse;
import dev.peerdist.node.origin.OriginClient;
import dev.peerdist.node.origin.OriginRetry;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;

/**
 * {@link OriginSource} over the publisher's PCCRTP client ({@link OriginClient}): PeerDist GET for
 * content information (PROTOCOL.md §5.2 step 1), MissingDataRequest ranges (§5.2 step 5).
 */
public final class PublisherOrigin implements OriginSource {
  private final OriginClient client;
  private final boolean offerV2;
  private final java.util.function.BiConsumer<URI, ContentInformationResponse.Encoded> onContentInformation;
  private volatile ContentInfoResolver resolver;
  private volatile OriginRetry retry = OriginRetry.NONE;

  /** @param offerV2 whether to offer content information V2 besides V1 (§5.1 PeerDistEx) */
  public PublisherOrigin(OriginClient client, boolean offerV2) {
    this(client, offerV2, (url, answer) -> { });
  }

  /**
   * @param onContentInformation told about every usable content information received, before
   *     the download uses it (the V1/V2 bridge registers it; must return at once)
   */
  public PublisherOrigin(OriginClient client, boolean offerV2,
      java.util.function.BiConsumer<URI, ContentInformationResponse.Encoded> onContentInformation) {
    this.client = client;
    this.offerV2 = offerV2;
    this.onContentInformation = onContentInformation;
  }

  /**
   * Asks the publisher only for segment descriptions and resolves block-hash lists through {@code
   * resolver} (subnet-mates first, {@link ContentInfoResolver}) for V1 content; null = always the
   * whole content information.
   */
  public PublisherOrigin withResolver(ContentInfoResolver r) {
    this.resolver = r;
    return this;
  }

  /**
   * Sends the download's first requests (content information) again after failures that may pass
   * ({@link OriginRetry}); without it a failure ends the download at once.
   */
  public PublisherOrigin withRetry(OriginRetry r) {
    this.retry = r;
    return this;
  }

  @Override
  public Answer open(URI url) throws IOException {
    try {
      ContentInformationResponse r = null;
      ContentInfoResolver res = resolver;
      if (res != null && !offerV2) {
        // One byte of the content: the length and the first segment's description (§2.3, §5.3).
        ContentInformationResponse first = retry.send("content information of " + url,
            () -> client.fetchContentInformation(url, false, 0, 0));
        if (first instanceof ContentInformationResponse.Encoded pd && pd.contentRange() != null
            && pd.contentLength() > 0 && pd.info().version() == dev.peerdist.chunkstore.content.ContentVersion.V1
            && pd.info().segmentCount() >= 1 && pd.info().segment(0).offsetInContent() == 0) {
          String etag = pd.etag().orElse("");
          LazyPlan plan;
          try {
            plan = new LazyPlan(url, etag, pd.contentLength(), pd.info().segment(0), res);
          } catch (IllegalArgumentException e) {
            throw new IOException("content information from " + url + " is unusable: " + e.getMessage(), e);
          }
          plan.onResolved(info -> onContentInformation.accept(url, new ContentInformationResponse.Encoded(info,
              new byte[0], pd.contentLength(), pd.peerDistVersion(), pd.etag(), pd.lastModified(), null)));
          return new Encoded(plan, etag);
        }
        if (first instanceof ContentInformationResponse.Encoded pd && pd.contentRange() == null) {
          r = first; // the publisher ignored the range: this is the whole content information
        } else if (first instanceof ContentInformationResponse.Plain plain) {
          plain.body().close(); // not (yet) PeerDist: ask for the content itself below
        }
      }
      if (r == null) {
        r = retry.send("content information of " + url, () -> client.fetchContentInformation(url, offerV2));
      }
      if (r instanceof ContentInformationResponse.Encoded pd) {
        ContentPlan plan;
        try {
          plan = ContentPlans.of(pd.info());
        } catch (IllegalArgumentException e) {
          throw new IOException("content information from " + url + " is unusable: " + e.getMessage(), e);
        }
        if (plan.length() != pd.contentLength() && pd.contentRange() == null) {
          throw new IOException("content information from " + url + " covers " + plan.length()
              + " bytes but X-P2P-PeerDist says ContentLength=" + pd.contentLength());
        }
        onContentInformation.accept(url, pd);
        return new Encoded(plan, pd.etag().orElse(""));
      }
      ContentInformationResponse.Plain plain = (ContentInformationResponse.Plain) r;
      return new Plain(plain.contentLength(), plain.body());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted asking " + url);
    }
  }

  /** The streaming origin ranges of the download loop, over {@code client}'s {@link OriginClient#openRange}. */
  public static LoopDriver.OriginRanges ranges(OriginClient client) {
    return (url, start, end, etag, readTimeout) -> {
      OriginClient.RangeStream r = client.openRange(url, start, end, etag, readTimeout);
      return new LoopDriver.OriginRanges.Stream() {
        @Override
        public java.io.InputStream in() {
          return r.in();
        }

        @Override
        public void abort() {
          r.abort();
        }

        @Override
        public void close() throws IOException {
          r.close();
        }
      };
    };
  }

  @Override
  public byte[] range(URI url, long start, long endExclusive) throws IOException {
    try {
      return client.fetchRange(url, start, endExclusive);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted fetching a range of " + url);
    }
  }
}
