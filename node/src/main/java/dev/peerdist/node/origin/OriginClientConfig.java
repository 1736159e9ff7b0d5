package dev.peerdist.node.origin;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Settings of an {@link OriginClient}.
 *
 * <table>
 *   <caption>Defaults</caption>
 *   <tr><th>setting</th><th>default</th><th>why</th></tr>
 *   <tr><td>connectTimeout</td><td>10 s</td><td></td></tr>
 *   <tr><td>requestTimeout</td><td>60 s</td><td>until the response head arrives</td></tr>
 *   <tr><td>maxContentInformationBytes</td><td>64 MiB</td><td>a 10 GiB file's V2 content
 *       information is about 11 MB, V1 about 5.4 MB</td></tr>
 *   <tr><td>maxRangeBytes</td><td>32 MiB</td><td>one V1 segment; a block (64 KiB) or a V2 segment
 *       (≤ 128 KiB) is the usual request</td></tr>
 *   <tr><td>bearerToken</td><td>none</td><td>sent as {@code Authorization: Bearer} with
 *       content-information requests (and range requests) when set</td></tr>
 *   <tr><td>trustAll</td><td>false</td><td>accept any TLS certificate (self-signed trials)</td></tr>
 *   <tr><td>contentInformationCheck</td><td>none</td><td>run on every content-information answer</td></tr>
 *   <tr><td>proxy</td><td>none</td><td>HTTP proxy for every request ({@link ProxySettings})</td></tr>
 *   <tr><td>trustedCertificate</td><td>none</td><td>a PEM certificate to trust in addition to
 *       the JDK's trust store, e.g. the publisher's {@code tls/self-signed.crt}</td></tr>
 * </table>
 */
public record OriginClientConfig(
    Duration connectTimeout,
    Duration requestTimeout,
    int maxContentInformationBytes,
    int maxRangeBytes,
    String bearerToken,
    boolean trustAll,
    Path trustedCertificate,
    ProxySettings proxy,
    ContentInformationCheck contentInformationCheck) {

  /** Checks every value. */
  public OriginClientConfig {
    if (connectTimeout == null || connectTimeout.isZero() || connectTimeout.isNegative()) {
      throw new IllegalArgumentException("connectTimeout must be > 0, got " + connectTimeout);
    }
    if (requestTimeout == null || requestTimeout.isZero() || requestTimeout.isNegative()) {
      throw new IllegalArgumentException("requestTimeout must be > 0, got " + requestTimeout);
    }
    if (maxContentInformationBytes < 1024) {
      throw new IllegalArgumentException("maxContentInformationBytes must be >= 1024, got " + maxContentInformationBytes);
    }
    if (maxRangeBytes <= 0) {
      throw new IllegalArgumentException("maxRangeBytes must be > 0, got " + maxRangeBytes);
    }
    if (bearerToken != null && (bearerToken.isBlank() || bearerToken.chars().anyMatch(c -> c < 0x21 || c > 0x7e))) {
      throw new IllegalArgumentException("bearerToken must be visible ASCII without spaces");
    }
    if (contentInformationCheck == null) {
      throw new IllegalArgumentException("contentInformationCheck must not be null (ContentInformationCheck.NONE)");
    }
    if (proxy == null) {
      throw new IllegalArgumentException("proxy must not be null (ProxySettings.NONE for none)");
    }
    if (trustAll && trustedCertificate != null) {
      throw new IllegalArgumentException("trustAll and trustedCertificate exclude each other");
    }
  }

  /** The defaults of the table above. */
  public static OriginClientConfig defaults() {
    return new OriginClientConfig(
        Duration.ofSeconds(10), Duration.ofSeconds(60), 64 << 20, 32 << 20, null, false, null, ProxySettings.NONE,
        ContentInformationCheck.NONE);
  }

  /** A copy with a bearer token. */
  public OriginClientConfig withBearerToken(String token) {
    return new OriginClientConfig(
        connectTimeout, requestTimeout, maxContentInformationBytes, maxRangeBytes, token, trustAll, trustedCertificate,
        proxy, contentInformationCheck);
  }

  /** A copy that accepts any TLS certificate. */
  public OriginClientConfig withTrustAll(boolean v) {
    return new OriginClientConfig(
        connectTimeout, requestTimeout, maxContentInformationBytes, maxRangeBytes, bearerToken, v, trustedCertificate,
        proxy, contentInformationCheck);
  }

  /** A copy that trusts one more certificate (PEM). */
  public OriginClientConfig withTrustedCertificate(Path pem) {
    return new OriginClientConfig(
        connectTimeout, requestTimeout, maxContentInformationBytes, maxRangeBytes, bearerToken, trustAll, pem,
        proxy, contentInformationCheck);
  }

  /** A copy that reaches publishers through {@code p} (PCCRR and LAN peers never use it). */
  public OriginClientConfig withProxy(ProxySettings p) {
    return new OriginClientConfig(
        connectTimeout, requestTimeout, maxContentInformationBytes, maxRangeBytes, bearerToken, trustAll,
        trustedCertificate, p, contentInformationCheck);
  }

  /** A copy that checks every content-information answer with {@code c} (signatures). */
  public OriginClientConfig withContentInformationCheck(ContentInformationCheck c) {
    return new OriginClientConfig(
        connectTimeout, requestTimeout, maxContentInformationBytes, maxRangeBytes, bearerToken, trustAll,
        trustedCertificate, proxy, c);
  }

  /** A copy with other timeouts. */
  public OriginClientConfig withTimeouts(Duration connect, Duration request) {
    return new OriginClientConfig(
        connect, request, maxContentInformationBytes, maxRangeBytes, bearerToken, trustAll, trustedCertificate,
        proxy, contentInformationCheck);
  }
}
