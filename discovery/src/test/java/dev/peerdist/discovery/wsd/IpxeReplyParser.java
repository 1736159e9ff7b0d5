package dev.peerdist.discovery.wsd;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Mimics how iPXE reads a ProbeMatch (PROTOCOL.md §3.2): no XML parser, only a search for the
 * exact strings {@code <wsd:Scopes>}, {@code <wsd:XAddrs>} and {@code <PeerDist:BlockCount>},
 * taking the text up to the next {@code <}. Anything else (other prefixes, attributes on those
 * elements, self-closing tags) makes it fail, as it would in iPXE.
 */
public final class IpxeReplyParser {
  public final List<String> scopes;
  public final List<String> xaddrs;
  public final List<Long> blockCounts = new ArrayList<>();

  private IpxeReplyParser(List<String> scopes, List<String> xaddrs) {
    this.scopes = scopes;
    this.xaddrs = xaddrs;
  }

  public static IpxeReplyParser parse(String reply) {
    IpxeReplyParser p = new IpxeReplyParser(split(tag(reply, "wsd:Scopes")), split(tag(reply, "wsd:XAddrs")));
    String counts = tag(reply, "PeerDist:BlockCount").strip();
    if (counts.length() != 8 * p.scopes.size()) {
      throw new IllegalStateException("block count length " + counts.length());
    }
    for (int i = 0; i < counts.length(); i += 8) {
      p.blockCounts.add(Long.parseLong(counts.substring(i, i + 8), 16));
    }
    return p;
  }

  private static String tag(String reply, String name) {
    String open = "<" + name + ">";
    int start = reply.indexOf(open);
    if (start < 0) {
      throw new IllegalStateException("no " + open);
    }
    start += open.length();
    int end = reply.indexOf('<', start);
    if (end < 0) {
      throw new IllegalStateException("unterminated " + open);
    }
    return reply.substring(start, end);
  }

  private static List<String> split(String text) {
    return Arrays.stream(text.strip().split("\\s+")).filter(s -> !s.isEmpty()).toList();
  }
}
