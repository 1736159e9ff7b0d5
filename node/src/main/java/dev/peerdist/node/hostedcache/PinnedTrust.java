package dev.peerdist.node.hostedcache;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A TLS context that accepts a server only when its certificate is one of the pinned ones (the
 * hosted cache's self-signed {@code self-signed.crt}), whatever name or address it is reached by:
 * a hosted cache found by DNS-SD is dialled by address, which a self-signed certificate made for
 * {@code 0.0.0.0} does not list. The pin is the whole certificate, so no other key passes.
 */
final class PinnedTrust {
  private PinnedTrust() {}

  /**
   * A context trusting exactly the certificates in {@code pem}.
   *
   * @throws IllegalArgumentException when the file cannot be read or holds no certificate
   */
  static SSLContext sslContext(Path pem) {
    List<X509Certificate> pins = new ArrayList<>();
    try (InputStream in = Files.newInputStream(pem)) {
      for (var c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        pins.add((X509Certificate) c);
      }
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot read certificate " + pem + ": " + e.getMessage(), e);
    }
    if (pins.isEmpty()) {
      throw new IllegalArgumentException("no certificate in " + pem);
    }
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, new TrustManager[] {new Manager(pins)}, new SecureRandom());
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK lacks TLS", e);
    }
  }

  private static final class Manager extends X509ExtendedTrustManager {
    private final List<X509Certificate> pins;

    Manager(List<X509Certificate> pins) {
      this.pins = pins;
    }

    private void check(X509Certificate[] chain) throws CertificateException {
      if (chain == null || chain.length == 0 || !pins.contains(chain[0])) {
        throw new CertificateException("the server's certificate is not the pinned hosted-cache certificate");
      }
      chain[0].checkValidity();
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      check(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      throw new CertificateException("not a server");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      throw new CertificateException("not a server");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      throw new CertificateException("not a server");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return pins.toArray(new X509Certificate[0]);
    }
  }
}
