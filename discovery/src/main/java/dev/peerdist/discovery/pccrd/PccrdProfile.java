package dev.peerdist.discovery.pccrd;

import dev.peerdist.discovery.DiscoveryKey;
import dev.peerdist.discovery.LocalHoldings;
import dev.peerdist.discovery.wsd.AppSequence;
import dev.peerdist.discovery.wsd.Probe;
import dev.peerdist.discovery.wsd.ProbeMatches;
import dev.peerdist.discovery.wsd.WsdDecodeException;
import dev.peerdist.discovery.wsd.WsdNames;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.xml.namespace.QName;

/**
 * The PCCRD profile of WS-Discovery: how segment ids, block counts and availability travel in
 * Probe and ProbeMatches (PROTOCOL.md §3.3-§3.5). Pure: strings and bytes in, values out.
 *
 * <p><b>V1</b>: each id is upper-case hex in {@code wsd:Scopes} (case-sensitive strcmp0
 * matching, PROTOCOL.md §3.3); a match lists the held ids and {@code PeerDist:BlockCount} has 8
 * upper-case hex digits per listed id, same order (§3.4).
 *
 * <p><b>V2</b>: the probe scope is one base64 blob {@code SegmentHashSize(2, big-endian)
 * Count(1) ids…} (§3.5). A match's scope is base64 of an array with 2 bits per requested id, in
 * probe order: the high bit says "has the segment", the low bit "has all of it". <b>Bit
 * order</b> (UNCONFIRMED in the spec, PROTOCOL.md §8 item 3): the first id occupies the two most
 * significant bits of byte 0, the fifth id those of byte 1, as TV-4g assumes ({@code 0xF0} for
 * two complete segments).
 */
public final class PccrdProfile {
  private static final HexFormat UPPER_HEX = HexFormat.of().withUpperCase();

  private PccrdProfile() {}

  /** Builds the Probe for {@code query} with the given {@code wsa:MessageID}. */
  public static Probe probe(String messageId, PccrdQuery query) {
    if (query.form() == DiscoveryKey.Form.V1) {
      List<String> scopes = new ArrayList<>();
      query.keys().forEach(k -> scopes.add(k.toHex()));
      return new Probe(messageId, List.of(WsdNames.TYPE_V1), WsdNames.MATCH_BY_STRCMP0, scopes);
    }
    return new Probe(
        messageId, List.of(WsdNames.TYPE_V2), WsdNames.MATCH_BY_PEERDIST_V2, List.of(v2ScopeBlob(query.keys())));
  }

  /** The base64 V2 probe scope: {@code SegmentHashSize(2) Count(1) ids} (PROTOCOL.md §3.5). */
  public static String v2ScopeBlob(List<DiscoveryKey> keys) {
    int size = keys.get(0).toBytes().length;
    byte[] blob = new byte[3 + size * keys.size()];
    blob[0] = (byte) (size >>> 8);
    blob[1] = (byte) size;
    blob[2] = (byte) keys.size();
    for (int i = 0; i < keys.size(); i++) {
      System.arraycopy(keys.get(i).toBytes(), 0, blob, 3 + i * size, size);
    }
    return Base64.getEncoder().encodeToString(blob);
  }

  /**
   * Reads which ids a received Probe asks for.
   *
   * @return empty when the probe is not a PeerDist probe (other WS-Discovery traffic shares the
   *     group and is ignored, not counted as malformed)
   * @throws WsdDecodeException when it is a PeerDist probe with empty or badly formatted scopes,
   *     which [PCCRD-24] 3.2.4.1 calls malformed (PROTOCOL.md §3.6)
   */
  public static Optional<PccrdQuery> readProbe(Probe probe) {
    DiscoveryKey.Form form = formOf(probe.types());
    if (form == null) {
      return Optional.empty();
    }
    if (probe.scopes().isEmpty()) {
      throw new WsdDecodeException("PeerDist probe without scopes");
    }
    if (form == DiscoveryKey.Form.V1) {
      if (probe.matchBy() != null && !WsdNames.MATCH_BY_STRCMP0.equals(probe.matchBy())) {
        throw new WsdDecodeException("V1 probe with MatchBy " + probe.matchBy());
      }
      List<DiscoveryKey> keys = new ArrayList<>();
      for (String s : probe.scopes()) {
        keys.add(DiscoveryKey.of(DiscoveryKey.Form.V1, upperHex(s, "V1 scope")));
      }
      return Optional.of(new PccrdQuery(form, keys));
    }
    if (probe.scopes().size() != 1) {
      throw new WsdDecodeException("V2 probe must carry one scope blob, got " + probe.scopes().size());
    }
    byte[] blob = base64(probe.scopes().get(0), "V2 scope blob");
    if (blob.length < 3) {
      throw new WsdDecodeException("V2 scope blob of " + blob.length + " bytes is shorter than its 3-byte header");
    }
    int size = ((blob[0] & 0xFF) << 8) | (blob[1] & 0xFF);
    int count = blob[2] & 0xFF;
    if (size < 1 || size > 64) {
      throw new WsdDecodeException("V2 SegmentHashSize " + size + " outside 1..64");
    }
    if (count == 0) {
      throw new WsdDecodeException("V2 Segment Hash Count is 0");
    }
    if (blob.length != 3 + size * count) {
      throw new WsdDecodeException(
          "V2 scope blob is " + blob.length + " bytes, expected " + (3 + size * count) + " for " + count + " x " + size);
    }
    List<DiscoveryKey> keys = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      byte[] id = new byte[size];
      System.arraycopy(blob, 3 + i * size, id, 0, size);
      keys.add(DiscoveryKey.of(DiscoveryKey.Form.V2, id));
    }
    return Optional.of(new PccrdQuery(form, keys));
  }

  /**
   * The ProbeMatch this node sends for {@code query}, or empty when it holds none of the ids
   * (PROTOCOL.md §3.7: stay silent).
   *
   * @param offered the holding per requested key (absent or zero blocks = not held)
   * @param endpointId this responder's {@code urn:uuid:} address
   * @param xaddr where this node serves PCCRR, {@code host:port}
   */
  public static Optional<ProbeMatches.Match> match(
      PccrdQuery query, Map<DiscoveryKey, LocalHoldings.Holding> offered, String endpointId, String xaddr) {
    if (query.form() == DiscoveryKey.Form.V1) {
      int n = query.keys().size();
      List<String> scopes = new ArrayList<>(n);
      char[] counts = new char[8 * n];
      Set<DiscoveryKey> listed = n > 1 ? new HashSet<>() : null;
      for (DiscoveryKey k : query.keys()) {
        LocalHoldings.Holding h = offered.get(k);
        if (h != null && h.blocks() > 0 && (listed == null || listed.add(k))) {
          // 8 upper-case hex digits per id, network order (PROTOCOL.md §3.4).
          hex8(h.blocks(), counts, 8 * scopes.size());
          scopes.add(k.toHex());
        }
      }
      if (scopes.isEmpty()) {
        return Optional.empty();
      }
      return Optional.of(new ProbeMatches.Match(
          endpointId, List.of(WsdNames.TYPE_V1), scopes, List.of(xaddr), 1,
          new String(counts, 0, 8 * scopes.size()), null));
    }
    int n = query.keys().size();
    byte[] bits = new byte[(2 * n + 7) / 8];
    boolean any = false;
    for (int i = 0; i < n; i++) {
      LocalHoldings.Holding h = offered.get(query.keys().get(i));
      if (h == null || (h.blocks() <= 0 && !h.complete())) {
        continue;
      }
      any = true;
      int v = h.complete() ? 0b11 : 0b10;
      bits[i / 4] |= (byte) (v << (6 - 2 * (i % 4)));
    }
    if (!any) {
      return Optional.empty();
    }
    // SegmentAges for the held ids whose age is known, indexed by position in the probe
    // (PROTOCOL.md §3.5, §4.7); the element is left out when no age is known.
    Map<Integer, java.time.Duration> ages = new LinkedHashMap<>();
    for (int i = 0; i < n && i < SegmentAges.MAX_ENTRIES; i++) {
      LocalHoldings.Holding h = offered.get(query.keys().get(i));
      if (h != null && (h.blocks() > 0 || h.complete()) && h.age().isPresent() && !h.age().get().isNegative()) {
        ages.put(i, h.age().get());
      }
    }
    return Optional.of(new ProbeMatches.Match(
        endpointId,
        List.of(WsdNames.TYPE_V2),
        List.of(Base64.getEncoder().encodeToString(bits)),
        List.of(xaddr),
        2,
        null,
        ages.isEmpty() ? null : SegmentAges.encode(ages)));
  }

  private static final char[] HEX_DIGITS = "0123456789ABCDEF".toCharArray();

  /** Writes {@code v} as 8 upper-case hex digits (as {@code %08X}) at {@code at}. */
  static void hex8(int v, char[] out, int at) {
    for (int i = 0; i < 8; i++) {
      out[at + i] = HEX_DIGITS[(v >>> (28 - 4 * i)) & 0xF];
    }
  }

  /** The same match without its SegmentAges (to fit a size bound). */
  public static ProbeMatches.Match withoutAges(ProbeMatches.Match m) {
    return new ProbeMatches.Match(m.endpointAddress(), m.types(), m.scopes(), m.xaddrs(), m.metadataVersion(),
        m.blockCount(), null);
  }

  /** Wraps matches into a ProbeMatches answering {@code relatesTo}. */
  public static ProbeMatches reply(String messageId, String relatesTo, AppSequence seq, List<ProbeMatches.Match> m) {
    return new ProbeMatches(messageId, relatesTo, seq, m);
  }

  /**
   * Reads one received ProbeMatch against the query it answers. Ids the query did not ask for
   * are ignored; ids with a zero count are absent from the answer (iPXE drops them too).
   *
   * @throws WsdDecodeException when the match is not PeerDist data of the query's form, or its
   *     scopes and block counts disagree
   */
  public static PccrdAnswer readMatch(PccrdQuery query, ProbeMatches.Match m) {
    DiscoveryKey.Form form = formOf(m.types());
    if (form != query.form()) {
      throw new WsdDecodeException("ProbeMatch types " + m.types() + " do not answer a " + query.form() + " probe");
    }
    Map<DiscoveryKey, Integer> blocks = new LinkedHashMap<>();
    Map<DiscoveryKey, Boolean> complete = new LinkedHashMap<>();
    Map<DiscoveryKey, java.time.Duration> ages = new LinkedHashMap<>();
    if (form == DiscoveryKey.Form.V1) {
      String bc = m.blockCount();
      if (bc == null) {
        throw new WsdDecodeException("V1 ProbeMatch without PeerDist:BlockCount");
      }
      if (bc.length() != 8 * m.scopes().size()) {
        throw new WsdDecodeException("PeerDist:BlockCount has " + bc.length() + " hex digits for "
            + m.scopes().size() + " scopes; expected 8 per scope");
      }
      for (int i = 0; i < m.scopes().size(); i++) {
        DiscoveryKey k = DiscoveryKey.of(DiscoveryKey.Form.V1, upperHex(m.scopes().get(i), "V1 scope"));
        long count = parseHex32(bc, 8 * i);
        if (count > 0 && query.keys().contains(k)) {
          blocks.put(k, (int) Math.min(count, Integer.MAX_VALUE));
          complete.put(k, false);
        }
      }
    } else {
      if (m.scopes().size() != 1) {
        throw new WsdDecodeException("V2 ProbeMatch must carry one scope bit array, got " + m.scopes().size());
      }
      byte[] bits = base64(m.scopes().get(0), "V2 availability bits");
      int n = query.keys().size();
      if (bits.length < (2 * n + 7) / 8) {
        throw new WsdDecodeException("V2 availability array of " + bits.length + " bytes is too short for " + n + " ids");
      }
      for (int i = 0; i < n; i++) {
        int v = (bits[i / 4] >>> (6 - 2 * (i % 4))) & 0b11;
        if ((v & 0b10) != 0) {
          blocks.put(query.keys().get(i), 1);
          complete.put(query.keys().get(i), (v & 0b01) != 0);
        }
      }
      // A bad SegmentAges blob is discarded, not the match (PROTOCOL.md §4.7).
      SegmentAges.decode(m.segmentAges()).ifPresent(byIndex -> byIndex.forEach((i, age) -> {
        if (i < n && blocks.containsKey(query.keys().get(i))) {
          ages.put(query.keys().get(i), age);
        }
      }));
    }
    return new PccrdAnswer(m.endpointAddress(), m.xaddrs(), blocks, complete, ages);
  }

  /** The key form a Types list announces, or null when it is not PeerDist. */
  static DiscoveryKey.Form formOf(List<QName> types) {
    for (QName t : types) {
      if (sameName(t, WsdNames.TYPE_V1)) {
        return DiscoveryKey.Form.V1;
      }
      if (sameName(t, WsdNames.TYPE_V2)) {
        return DiscoveryKey.Form.V2;
      }
    }
    return null;
  }

  private static boolean sameName(QName a, QName b) {
    return a.getNamespaceURI().equals(b.getNamespaceURI()) && a.getLocalPart().equals(b.getLocalPart());
  }

  private static byte[] upperHex(String s, String what) {
    if (s.length() < 2 || s.length() > 128 || s.length() % 2 != 0) {
      throw new WsdDecodeException(what + " must be 2..128 hex digits in pairs, got " + s.length() + " characters");
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) {
        throw new WsdDecodeException(what + " has a character that is not upper-case hex at index " + i);
      }
    }
    return UPPER_HEX.parseHex(s);
  }

  /** The 8 hex digits (either case) of {@code s} at {@code at} as a number. */
  private static long parseHex32(String s, int at) {
    long v = 0;
    for (int i = at; i < at + 8; i++) {
      char c = s.charAt(i);
      int d = Character.digit(c, 16);
      if (d < 0 || c > 'f') {
        throw new WsdDecodeException("PeerDist:BlockCount has a non-hex digit");
      }
      v = (v << 4) | d;
    }
    return v;
  }

  private static byte[] base64(String s, String what) {
    // The largest legal blob: 3 + 255 ids x 64 bytes = 16323 bytes = 21764 base64 characters.
    if (s.length() > 21764) {
      throw new WsdDecodeException(what + " is too long");
    }
    try {
      return Base64.getDecoder().decode(s);
    } catch (IllegalArgumentException e) {
      throw new WsdDecodeException(what + " is not base64", e);
    }
  }
}
