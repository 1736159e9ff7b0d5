package dev.peerdist.discovery.wsd;

import java.util.List;
import javax.xml.namespace.QName;

/**
 * A WS-Discovery Probe (PROTOCOL.md §3.3, §3.5).
 *
 * @param messageId {@code wsa:MessageID}
 * @param types {@code wsd:Types}, resolved to namespace-qualified names
 * @param matchBy the {@code MatchBy} attribute of {@code wsd:Scopes}, or null when absent
 * @param scopes the whitespace-separated items of {@code wsd:Scopes}, in order
 */
public record Probe(String messageId, List<QName> types, String matchBy, List<String> scopes)
    implements WsdMessage {
  public Probe {
    WsdText.requireToken("wsa:MessageID", messageId);
    types = List.copyOf(types);
    if (matchBy != null) {
      WsdText.requireToken("MatchBy", matchBy);
    }
    scopes = List.copyOf(scopes);
    scopes.forEach(s -> WsdText.requireToken("wsd:Scopes item", s));
  }
}
