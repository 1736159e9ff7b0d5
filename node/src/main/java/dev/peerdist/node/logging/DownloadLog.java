package dev.peerdist.node.logging;

import dev.peerdist.node.admin.StatusText;
import dev.peerdist.node.engine.DownloadRecord;
import dev.peerdist.node.metrics.ByteSource;
import dev.peerdist.node.metrics.FallbackReason;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * The one log line of each finished download: where its bytes came from and, for origin bytes,
 * why (the vocabulary of {@link ByteSource} and {@link FallbackReason}). INFO when it completed or
 * was cancelled, WARN when it failed (with the reason, never a stack trace). In JSON format the
 * figures are fields: {@code download_id, url, state, mode, delivered_bytes, elapsed_ms,
 * bytes_local, bytes_peer, bytes_origin, origin_reasons {reason: bytes}, error}.
 */
public final class DownloadLog {
  private static final Logger LOG = LoggerFactory.getLogger("dev.peerdist.node.download");

  private DownloadLog() {}

  /** Logs {@code r}, which has just left the RUNNING state. */
  public static void finished(DownloadRecord r) {
    boolean failed = r.state() == DownloadRecord.State.FAILED;
    Level level = failed ? Level.WARN : Level.INFO;
    if (failed ? !LOG.isWarnEnabled() : !LOG.isInfoEnabled()) {
      return;
    }
    Map<String, Object> reasons = new LinkedHashMap<>();
    StringBuilder why = new StringBuilder();
    for (FallbackReason f : FallbackReason.values()) {
      long b = r.originBytes(f);
      if (b > 0) {
        reasons.put(f.label(), b);
        why.append(why.length() == 0 ? " (" : ", ").append(f.label()).append(' ').append(StatusText.bytes(b));
      }
    }
    if (why.length() > 0) {
      why.append(')');
    }
    String state = r.state().name().toLowerCase(java.util.Locale.ROOT);
    var e = LOG.atLevel(level)
        .addKeyValue("download_id", r.id())
        .addKeyValue("url", r.url().toString())
        .addKeyValue("state", state)
        .addKeyValue("mode", r.peerdist() ? "peerdist" : "plain")
        .addKeyValue("delivered_bytes", r.deliveredBytes())
        .addKeyValue("elapsed_ms", r.elapsed().toMillis());
    for (ByteSource s : ByteSource.values()) {
      e = e.addKeyValue("bytes_" + s.label(), r.bytes(s));
    }
    e = e.addKeyValue("origin_reasons", reasons);
    if (r.error() != null) {
      e = e.addKeyValue("error", r.error());
    }
    e.log("download {} {}: {} {} in {} ms; local {}, peer {}, origin {}{}{}", r.id(), state, r.url(),
        StatusText.bytes(r.deliveredBytes()), r.elapsed().toMillis(),
        StatusText.bytes(r.bytes(ByteSource.LOCAL)), StatusText.bytes(r.bytes(ByteSource.PEER)),
        StatusText.bytes(r.bytes(ByteSource.ORIGIN)), why, r.error() == null ? "" : "; " + r.error());
  }
}
