package dev.peerdist.discovery.dnssd;

import java.util.Locale;

/** What an announced {@code _peerdist._tcp} service is, carried in its TXT record as {@code role=…}. */
public enum ServiceRole {
  /** A dedicated cache server: always-on peer that clients use without probing first. */
  CACHE_SERVER("cache-server"),
  /** A publishing server that hands out content information (MS-PCCRTP) and the content. */
  PUBLISHER("publisher");

  private final String txt;

  ServiceRole(String txt) {
    this.txt = txt;
  }

  /** The TXT value, {@code cache-server} or {@code publisher}. */
  public String txt() {
    return txt;
  }

  /** The role for a TXT value, or null for an unknown one (newer peers may add roles). */
  public static ServiceRole fromTxt(String value) {
    if (value == null) {
      return null;
    }
    for (ServiceRole r : values()) {
      if (r.txt.equals(value.toLowerCase(Locale.ROOT))) {
        return r;
      }
    }
    return null;
  }
}
