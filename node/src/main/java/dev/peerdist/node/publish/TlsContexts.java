package dev.peerdist.node.publish;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import javax.net.ssl.SSLException;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Builds the server's TLS context from a PEM certificate chain and PKCS#8 key, or from a
 * self-signed ECDSA P-256 pair made with BouncyCastle's bcpkix for trials. The generated pair is
 * kept in {@code STATE/tls/} (key 0600) and reused on restart, so a client that pinned it keeps
 * working.
 */
public final class TlsContexts {
  /** Validity of a generated certificate. */
  static final Duration SELF_SIGNED_VALIDITY = Duration.ofDays(825);

  private TlsContexts() {}

  /** A server context from PEM files. */
  public static SslContext fromPem(Path certificateChain, Path privateKey) throws IOException {
    try {
      return SslContextBuilder.forServer(certificateChain.toFile(), privateKey.toFile()).build();
    } catch (SSLException | IllegalArgumentException e) {
      throw new IOException(
          "cannot use TLS certificate " + certificateChain + " with key " + privateKey + ": " + e.getMessage(), e);
    }
  }

  /**
   * A server context with the self-signed pair in {@code tlsDir}, generating it first when it is
   * missing. Subject alternative names: localhost, 127.0.0.1, ::1, the host name, and {@code
   * bind} when it is a specific address.
   */
  public static SslContext selfSigned(Path tlsDir, InetAddress bind) throws IOException {
    Path crt = tlsDir.resolve("self-signed.crt");
    Path key = tlsDir.resolve("self-signed.key");
    if (!Files.exists(crt) || !Files.exists(key)) {
      generate(crt, key, bind);
    }
    return fromPem(crt, key);
  }

  /** The generated certificate's path, for clients that want to trust it. */
  public static Path selfSignedCertificate(Path tlsDir) {
    return tlsDir.resolve("self-signed.crt");
  }

  static void generate(Path crt, Path key, InetAddress bind) throws IOException {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
      KeyPair pair = g.generateKeyPair();
      String host = "localhost";
      try {
        host = InetAddress.getLocalHost().getHostName();
      } catch (IOException e) {
        // Keep localhost only.
      }
      List<GeneralName> names = new ArrayList<>();
      names.add(new GeneralName(GeneralName.dNSName, "localhost"));
      if (!host.equals("localhost") && host.matches("[A-Za-z0-9.-]+")) {
        names.add(new GeneralName(GeneralName.dNSName, host));
      }
      names.add(new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
      names.add(new GeneralName(GeneralName.iPAddress, "::1"));
      if (bind != null && !bind.isAnyLocalAddress() && !bind.isLoopbackAddress()) {
        names.add(new GeneralName(GeneralName.iPAddress, bind.getHostAddress()));
      }
      Instant now = Instant.now();
      X500Name subject = new X500Name("CN=peerdist publisher " + host);
      JcaX509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              subject,
              new BigInteger(64, new SecureRandom()).abs().add(BigInteger.ONE),
              Date.from(now.minus(Duration.ofHours(1))),
              Date.from(now.plus(SELF_SIGNED_VALIDITY)),
              subject,
              pair.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
      X509CertificateHolder holder = b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate()));
      X509Certificate cert = new JcaX509CertificateConverter().getCertificate(holder);
      Files.createDirectories(crt.getParent());
      PublisherState.writeOwnerOnly(key, pem(pair.getPrivate()));
      Files.write(crt, pem(cert));
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IOException("cannot generate a self-signed certificate: " + e.getMessage(), e);
    }
  }

  private static byte[] pem(Object o) throws IOException {
    StringWriter sw = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
      if (o instanceof java.security.PrivateKey k) {
        // PKCS#8 ("BEGIN PRIVATE KEY"), the form every TLS stack reads.
        w.writeObject(new org.bouncycastle.util.io.pem.PemObject("PRIVATE KEY", k.getEncoded()));
      } else {
        w.writeObject(o);
      }
    }
    return sw.toString().getBytes(StandardCharsets.US_ASCII);
  }
}
