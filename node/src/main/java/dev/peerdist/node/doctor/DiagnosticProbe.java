package dev.peerdist.node.doctor;

import dev.peerdist.discovery.DiscoveryKey;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The diagnostic probe of {@code peerdist doctor}: an ordinary MS-PCCRD probe (PROTOCOL.md §3.3) for
 * one fixed segment id, SHA-256 of {@code "peerdist-diagnostic-probe-v1"}, that no content has. A
 * strict PCCRD peer (Windows, iPXE) holds no such segment and so stays silent, as §3.7 asks of a
 * peer that holds nothing; every peerdist node answers it as if it held one block, so the doctor
 * learns which nodes its multicast reaches and their PCCRR ports. Nothing is ever served for it:
 * no block of this segment exists.
 */
public final class DiagnosticProbe {
  /** The segment id (V1 form, 32 bytes). */
  public static final DiscoveryKey KEY = DiscoveryKey.of(DiscoveryKey.Form.V1, sha256("peerdist-diagnostic-probe-v1"));

  private DiagnosticProbe() {}

  /** True for the diagnostic segment id. */
  public static boolean is(DiscoveryKey key) {
    return KEY.equals(key);
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.US_ASCII));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
