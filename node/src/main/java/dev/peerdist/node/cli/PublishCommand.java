package dev.peerdist.node.cli;

import dev.peerdist.chunkstore.content.ContentVersion;
import dev.peerdist.node.logging.LogFormat;
import dev.peerdist.node.logging.LogSettings;
import dev.peerdist.node.publish.MetricsEndpoint;
import dev.peerdist.node.publish.PublisherConfig;
import dev.peerdist.node.publish.PublishingServer;
import dev.peerdist.node.units.Rate;
import dev.peerdist.node.units.Size;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code peerdist publish}: runs the publishing server (PROTOCOL.md §5.3) until SIGTERM/Ctrl-C.
 * Prints one line per URL served on stdout ({@code serving http://...}) so that scripts can find
 * an ephemeral port.
 */
@Command(
    name = "publish",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Serve a directory (or front an upstream HTTP origin) over HTTP/HTTPS and hand out PeerDist",
      "content information (MS-PCCRTP) to BranchCache, iPXE and peerdist clients.",
    },
    footer = {
      "",
      "Content information is made in the background the first time a file is asked for; until",
      "then the file is served plainly with X-P2P-PeerDistEx: MakeHashRequest=true. It is kept in",
      "--state and made again when the file changes. With --token, only requests carrying",
      "'Authorization: Bearer TOKEN' get content information (and so the segment secrets); others",
      "get the plain file, so ordinary HTTP clients keep working.",
    })
public final class PublishCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  static final class Source {
    @Option(names = "--root", paramLabel = "DIR", required = true, description = "Directory to serve.")
    Path root;

    @Option(names = "--upstream", paramLabel = "URL", required = true,
        description = "Front this http(s) origin instead of a directory (reverse proxy adding PeerDist).")
    String upstream;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Source source;

  @Option(names = "--port", paramLabel = "N", defaultValue = "" + PublisherConfig.DEFAULT_PORT,
      description = "Plain HTTP port; 0 = any free port, -1 = no plain HTTP (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--bind", paramLabel = "ADDRESS", defaultValue = "0.0.0.0",
      description = "Address to listen on (default: ${DEFAULT-VALUE}).")
  String bind;

  @Option(names = "--tls-port", paramLabel = "N", defaultValue = "" + PublisherConfig.DEFAULT_TLS_PORT,
      description = "HTTPS port when TLS is configured; 0 = any free port (default: ${DEFAULT-VALUE}).")
  int tlsPort;

  @Option(names = "--tls-cert", paramLabel = "FILE", description = "PEM certificate chain for HTTPS.")
  Path tlsCert;

  @Option(names = "--tls-key", paramLabel = "FILE", description = "PEM (PKCS#8) private key of --tls-cert.")
  Path tlsKey;

  @Option(names = "--tls-self-signed",
      description = "Serve HTTPS with a generated self-signed certificate (kept in --state/tls) for trials.")
  boolean tlsSelfSigned;

  @Mixin SecretOptions secret;

  @Option(names = "--min-size", paramLabel = "SIZE", defaultValue = PublisherConfig.DEFAULT_MIN_SIZE,
      converter = QuantityConverters.SizeConverter.class,
      description = "Smaller files are always served plainly (default: ${DEFAULT-VALUE}; K, M, G count in 1024s).")
  Size minSize;

  @Option(names = "--max-version", paramLabel = "1|2", defaultValue = "" + PublisherConfig.DEFAULT_MAX_VERSION,
      description = "Highest content-information version handed out (default: ${DEFAULT-VALUE}).")
  int maxVersion;

  @Option(names = "--token", paramLabel = "TOKEN",
      description = "Require 'Authorization: Bearer TOKEN' for content information (visible in ps; prefer --token-file).")
  String token;

  @Option(names = "--token-file", paramLabel = "FILE", description = "Read the token from the first line of FILE.")
  Path tokenFile;

  @Option(names = "--state", paramLabel = "DIR",
      description = "State directory outside the served tree (default: ~/.peerdist/publisher).")
  Path state;

  @Option(names = "--hash-threads", paramLabel = "N", description = "Concurrent hashing jobs (default: cores / 2).")
  Integer hashThreads;

  @Option(names = "--hash-wait", paramLabel = "DURATION", defaultValue = PublisherConfig.DEFAULT_HASH_WAIT,
      converter = QuantityConverters.DurationConverter.class,
      description = "How long a request waits for hashing before it is served plainly (default: ${DEFAULT-VALUE}; "
          + "0 = never).")
  Duration hashWait;

  @Option(names = "--max-connections", paramLabel = "N", defaultValue = "" + PublisherConfig.DEFAULT_MAX_CONNECTIONS,
      description = "Open connections beyond this are closed (default: ${DEFAULT-VALUE}).")
  int maxConnections;

  @Option(names = "--max-connections-per-address", paramLabel = "N",
      defaultValue = "" + PublisherConfig.DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
      description = {"Connections from one client address beyond this are closed (default: ${DEFAULT-VALUE}).",
          "A branch behind NAT is one address: allow a few per node of the branch."})
  int maxConnectionsPerAddress;

  @Option(names = "--precompute",
      description = "At start, hash every file of --root in the background so first requests get content information.")
  boolean precompute;

  @Option(names = "--upstream-revalidate", paramLabel = "DURATION",
      defaultValue = PublisherConfig.DEFAULT_UPSTREAM_REVALIDATE, converter = QuantityConverters.DurationConverter.class,
      description = "Use a fetched upstream copy this long before asking the upstream again (default: ${DEFAULT-VALUE}).")
  Duration upstreamRevalidate;

  @Option(names = "--upstream-insecure", description = "Accept any TLS certificate from --upstream.")
  boolean upstreamInsecure;

  @Option(names = "--upload-rate", paramLabel = "RATE", converter = QuantityConverters.RateConverter.class,
      description = "Cap what is sent to all clients together, e.g. 100Mbit or 10MiB/s (emulates a slow link; "
          + "default: none).")
  Rate uploadRate;

  @Mixin VerboseOption verbose;

  @Option(names = "--metrics-port", paramLabel = "N", defaultValue = "-1",
      description = "Serve Prometheus /metrics on this port (0 = any free port; default: off).")
  int metricsPort;

  @Option(names = "--metrics-bind", paramLabel = "ADDRESS", defaultValue = "127.0.0.1",
      description = "Address of the /metrics port (default: ${DEFAULT-VALUE}).")
  String metricsBind;

  @Option(names = "--log-format", paramLabel = "text|json", defaultValue = "text",
      description = "Log lines as text or as one JSON object per line (default: ${DEFAULT-VALUE}; "
          + "env PEERDIST_LOG_FORMAT).")
  String logFormat;

  @Option(names = "--etag", paramLabel = "local|content", defaultValue = "local",
      description = "ETags from the file's times and identity (local, default), or from its content, equal on "
          + "replicas behind a load balancer (content; a new file version is hashed before its first answer).")
  String etag;

  @Option(names = "--signing-key", paramLabel = "FILE",
      description = "Sign content information with the Ed25519 key in FILE (made, with FILE.pub, when missing); "
          + "nodes pin the printed public key with publisher-key.")
  Path signingKey;

  @Option(names = "--export-package", paramLabel = "FILE",
      description = "Write an offline cache package of PATH... (under --root) to FILE and exit, instead of serving; "
          + "load it with 'peerdist cache import'.")
  Path exportPackage;

  @picocli.CommandLine.Parameters(arity = "0..*", paramLabel = "PATH",
      description = "With --export-package: files or directories under --root to export.")
  java.util.List<Path> exportPaths = java.util.List.of();

  @Option(names = "--exit-after", paramLabel = "DURATION", hidden = true,
      converter = QuantityConverters.DurationConverter.class,
      description = "Stop by itself after this long (tests, demos).")
  Duration exitAfter;

  @Override
  public Integer call() throws Exception {
    if (spec.commandLine().getParseResult().hasMatchedOption("--log-format")) {
      try {
        LogSettings.format(LogFormat.parse(logFormat));
      } catch (IllegalArgumentException e) {
        throw UserException.usage("--log-format: " + e.getMessage());
      }
    }
    PublisherConfig config = config();
    PrintWriter out = spec.commandLine().getOut();
    if (exportPackage != null) {
      return exportPackage(config, out);
    }
    if (!exportPaths.isEmpty()) {
      throw UserException.usage("PATH arguments go with --export-package");
    }
    PublishingServer server;
    try {
      server = PublishingServer.start(config);
    } catch (IOException e) {
      throw new UserException("cannot start the publishing server: " + e.getMessage(), ExitCodes.SOFTWARE, e);
    }
    MetricsEndpoint metrics = null;
    if (metricsPort >= 0) {
      try {
        metrics = MetricsEndpoint.start(InetAddress.getByName(metricsBind), metricsPort, server.meters());
      } catch (IOException e) {
        server.close();
        throw new UserException("cannot start the publisher's metrics endpoint: " + e.getMessage(), ExitCodes.SOFTWARE, e);
      }
    }
    MetricsEndpoint metricsEndpoint = metrics;
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      if (metricsEndpoint != null) {
        metricsEndpoint.close();
      }
      server.close();
      stopped.countDown();
    }, "publisher-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    if (precompute) {
      server.precomputeAll();
    }
    server.httpUri().ifPresent(u -> out.println("serving " + u));
    server.httpsUri().ifPresent(u -> out.println("serving " + u));
    if (metricsEndpoint != null) {
      out.println("metrics " + metricsEndpoint.uri());
    }
    out.flush();
    if (exitAfter != null) {
      stopped.await(exitAfter.toMillis(), TimeUnit.MILLISECONDS);
      Runtime.getRuntime().removeShutdownHook(hook);
      if (metricsEndpoint != null) {
        metricsEndpoint.close();
      }
      server.close();
    } else {
      stopped.await();
    }
    return ExitCodes.OK;
  }

  /**
   * {@code --export-package}: the content information this publisher (its secret: the --secret-*
   * options, else the one kept in --state) hands out for PATH..., with every block (docs/SITES.md).
   */
  private int exportPackage(PublisherConfig config, PrintWriter out) {
    if (source.root == null) {
      throw UserException.usage("--export-package needs --root");
    }
    if (exportPaths.isEmpty()) {
      throw UserException.usage("--export-package needs at least one PATH under --root");
    }
    Path tmp = exportPackage.resolveSibling(exportPackage.getFileName() + ".part");
    try {
      byte[] secretMaterial = dev.peerdist.node.publish.PublisherState.open(config.stateDir(), source.root,
          config.secretKeyMaterial()).secretKeyMaterial();
      java.util.List<Path> files = dev.peerdist.node.cachepackage.PackageTransfer.files(source.root, exportPaths);
      long bytes;
      try (java.io.OutputStream o = new java.io.BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
        bytes = dev.peerdist.node.cachepackage.PackageTransfer.export(source.root, files, secretMaterial, o,
            (i, n, path, segments, b) -> {
              out.printf("exported %d/%d %s: %d segment(s), %d bytes%n", i, n, path, segments, b);
              out.flush();
            });
      }
      Files.move(tmp, exportPackage, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      out.printf("wrote %s: %d file(s), %d bytes of content%n", exportPackage, files.size(), bytes);
      out.flush();
      return ExitCodes.OK;
    } catch (IOException e) {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // The message below is what matters.
      }
      throw new UserException("cannot export: " + e.getMessage(), ExitCodes.SOFTWARE, e);
    }
  }

  PublisherConfig config() {
    PublisherConfig.Builder b = PublisherConfig.builder();
    if (source.root != null) {
      if (!Files.isDirectory(source.root)) {
        throw UserException.usage("--root: not a directory: " + source.root);
      }
      b.root(source.root);
    } else {
      try {
        URI u = new URI(source.upstream);
        if (u.getScheme() == null || !u.getScheme().matches("(?i)https?") || u.getHost() == null) {
          throw UserException.usage("--upstream: not an http:// or https:// URL: " + source.upstream);
        }
        b.upstream(u);
      } catch (URISyntaxException e) {
        throw UserException.usage("--upstream: not a URL: " + source.upstream);
      }
    }
    Path stateDir = state != null ? state : Path.of(System.getProperty("user.home"), ".peerdist", "publisher");
    b.stateDir(stateDir);
    try {
      b.bind(InetAddress.getByName(bind));
    } catch (UnknownHostException e) {
      throw UserException.usage("--bind: unknown address " + bind);
    }
    if (metricsPort < -1 || metricsPort > 65535) {
      throw UserException.usage("--metrics-port must be -1..65535, got " + metricsPort);
    }
    if (port < -1 || port > 65535) {
      throw UserException.usage("--port must be -1..65535, got " + port);
    }
    if (tlsPort < 0 || tlsPort > 65535) {
      throw UserException.usage("--tls-port must be 0..65535, got " + tlsPort);
    }
    b.port(port).tlsPort(tlsPort);
    if (tlsSelfSigned && (tlsCert != null || tlsKey != null)) {
      throw UserException.usage("--tls-self-signed excludes --tls-cert and --tls-key");
    }
    if ((tlsCert == null) != (tlsKey == null)) {
      throw UserException.usage("--tls-cert and --tls-key go together");
    }
    if (tlsCert != null) {
      readable("--tls-cert", tlsCert);
      readable("--tls-key", tlsKey);
    }
    if (port == -1 && !tlsSelfSigned && tlsCert == null) {
      throw UserException.usage("--port -1 needs --tls-cert/--tls-key or --tls-self-signed");
    }
    b.tls(new PublisherConfig.TlsSettings(tlsCert, tlsKey, tlsSelfSigned));
    switch (etag.toLowerCase(Locale.ROOT)) {
      case "local" -> b.contentEtag(false);
      case "content" -> b.contentEtag(true);
      default -> throw UserException.usage("--etag must be local or content, got '" + etag + "'");
    }
    if (signingKey != null) {
      try {
        dev.peerdist.node.signing.ContentSigner signer = dev.peerdist.node.signing.ContentSigner.loadOrCreate(signingKey);
        b.signer(signer);
        spec.commandLine().getOut().println("signing content information with key "
            + signer.keyId() + "; nodes set publisher-key = "
            + dev.peerdist.node.signing.ContentSignature.publicKeyBase64(signer.publicKey()));
      } catch (IOException e) {
        throw UserException.usage("--signing-key: " + e.getMessage());
      }
    }
    if (secret.hex != null || secret.file != null || secret.text != null || secret.export != null
        || secret.passphrase != null) {
      b.secretKeyMaterial(secret.resolve().keyMaterial());
    }
    b.minSize(minSize.bytes());
    if (maxVersion != 1 && maxVersion != 2) {
      throw UserException.usage("--max-version must be 1 or 2, got " + maxVersion);
    }
    b.maxContentVersion(maxVersion == 1 ? ContentVersion.V1 : ContentVersion.V2);
    if (token != null && tokenFile != null) {
      throw UserException.usage("--token and --token-file exclude each other");
    }
    String t = token;
    if (tokenFile != null) {
      try {
        String text = Files.readString(readable("--token-file", tokenFile), StandardCharsets.UTF_8).strip();
        t = text.lines().findFirst().orElse("").strip();
      } catch (IOException e) {
        throw UserException.usage("--token-file: cannot read " + tokenFile + ": " + e.getMessage());
      }
    }
    if (t != null && (t.isEmpty() || t.chars().anyMatch(c -> c < 0x21 || c > 0x7e))) {
      throw UserException.usage("--token must be visible ASCII without spaces");
    }
    b.token(t);
    if (hashThreads != null) {
      if (hashThreads < 1 || hashThreads > 64) {
        throw UserException.usage("--hash-threads must be 1..64, got " + hashThreads);
      }
      b.hashThreads(hashThreads);
    }
    b.hashWait(hashWait);
    if (maxConnections < 1) {
      throw UserException.usage("--max-connections must be >= 1, got " + maxConnections);
    }
    b.maxConnections(maxConnections);
    if (maxConnectionsPerAddress < 1) {
      throw UserException.usage("--max-connections-per-address must be >= 1, got " + maxConnectionsPerAddress);
    }
    b.maxConnectionsPerAddress(maxConnectionsPerAddress);
    b.upstreamRevalidate(upstreamRevalidate);
    b.upstreamTrustAll(upstreamInsecure);
    if (uploadRate != null) {
      if (uploadRate.isZero()) {
        throw UserException.usage("--upload-rate: 0 is no cap; leave the flag out instead");
      }
      b.uploadBytesPerSecond(uploadRate.bytesPerSecond());
    }
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      throw UserException.usage(e.getMessage());
    }
  }

  private static Path readable(String option, Path p) {
    if (!Files.isReadable(p) || Files.isDirectory(p)) {
      throw UserException.usage(option + ": cannot read " + p);
    }
    return p;
  }
}
