package dev.peerdist.discovery;

import dev.peerdist.discovery.pccrd.ProbeTag;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A well-formed PCCRD probe received from another node (PROTOCOL.md §3.3, §3.5), as reported to
 * a {@link SubnetListener} and passed to {@link LocalHoldings#holding(DiscoveryKey, HeardProbe)}.
 *
 * @param source where the probe came from (the prober's address and ephemeral port)
 * @param messageId the probe's {@code wsa:MessageID}
 * @param tag peerdist's mark in the MessageID, when the prober is a peerdist node ({@link
 *     ProbeTag#fromMessageId})
 * @param form V1 or V2 probe
 * @param keys the requested segment ids in probe order
 */
public record HeardProbe(
    InetSocketAddress source, String messageId, Optional<ProbeTag> tag, DiscoveryKey.Form form, List<DiscoveryKey> keys) {
  public HeardProbe {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(messageId, "messageId");
    Objects.requireNonNull(tag, "tag");
    Objects.requireNonNull(form, "form");
    keys = List.copyOf(keys);
  }
}
