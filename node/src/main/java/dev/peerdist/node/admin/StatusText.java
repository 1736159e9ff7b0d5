package dev.peerdist.node.admin;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Renders the {@code /status} document for people ({@code peerdist status}). */
public final class StatusText {
  private StatusText() {}

  /** Human-readable binary size: {@code 40.0 MiB}. */
  public static String bytes(long n) {
    return dev.peerdist.node.units.Size.ofBytes(Math.max(0, n)).approximate();
  }

  private static long num(Object o) {
    return o instanceof Number n ? n.longValue() : 0;
  }

  /** The readable form of a status document. */
  @SuppressWarnings("unchecked")
  public static String render(Map<String, Object> s) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "peerdist node  role %s  up %ds  %s%n", s.get("role"),
        num(s.get("uptime_s")), Boolean.TRUE.equals(s.get("ready")) ? "ready" : "starting"));
    for (String k : List.of("pccrr", "admin", "mirror")) {
      if (s.get(k) != null) {
        sb.append(String.format(Locale.ROOT, "  %-10s %s%n", k, s.get(k)));
      }
    }
    if (s.get("publishers") instanceof List<?> pubs && !pubs.isEmpty()) {
      sb.append(String.format(Locale.ROOT, "  %-10s %s%n", "publishers", String.join(", ",
          pubs.stream().map(String::valueOf).toList())));
    }
    if (s.get("store") instanceof Map<?, ?> st) {
      sb.append(String.format(Locale.ROOT, "store      %s  %s of %s used, %s pinned, %d segments, %d evicted%n",
          st.get("path"), bytes(num(st.get("used_bytes"))), bytes(num(st.get("capacity_bytes"))),
          bytes(num(st.get("pinned_bytes"))), num(st.get("segments")), num(st.get("evicted_segments"))));
    }
    if (s.get("totals") instanceof Map<?, ?> t) {
      sb.append(String.format(Locale.ROOT, "traffic    from peers %s, from origin %s, from store %s; served to peers %s%n",
          bytes(num(t.get("peer"))), bytes(num(t.get("origin"))), bytes(num(t.get("local"))),
          bytes(num(t.get("served")))));
    }
    if (s.get("peers") instanceof List<?> peers) {
      sb.append("peers seen ").append(peers.size()).append('\n');
      for (Object o : peers) {
        Map<String, Object> p = (Map<String, Object>) o;
        sb.append(String.format(Locale.ROOT, "  %-22s via %-6s last seen %ss ago%n", p.get("peer"), p.get("via"),
            p.get("age_s")));
      }
    }
    if (s.get("downloads") instanceof List<?> ds) {
      sb.append("recent downloads ").append(ds.size()).append('\n');
      for (Object o : ds) {
        Map<String, Object> d = (Map<String, Object>) o;
        Map<String, Object> b = (Map<String, Object>) d.get("bytes");
        sb.append(String.format(Locale.ROOT, "  %s %-9s %-8s %s%n", d.get("id"), d.get("state"), d.get("mode"),
            d.get("url")));
        sb.append(String.format(Locale.ROOT, "      peers %s, origin %s, store %s in %.1fs%n",
            bytes(num(b.get("peer"))), bytes(num(b.get("origin"))), bytes(num(b.get("local"))),
            num(d.get("elapsed_ms")) / 1000.0));
        if (d.get("origin_reasons") instanceof Map<?, ?> why && !why.isEmpty()) {
          StringBuilder w = new StringBuilder();
          for (Map.Entry<?, ?> e : why.entrySet()) {
            if (w.length() > 0) {
              w.append(", ");
            }
            w.append(e.getKey()).append(' ').append(bytes(num(e.getValue())));
          }
          sb.append("      origin because: ").append(w).append('\n');
        }
        if (d.get("error") != null) {
          sb.append("      error: ").append(d.get("error")).append('\n');
        }
      }
    }
    return sb.toString();
  }
}
