package dev.peerdist.node.cli;

import dev.peerdist.chunkstore.content.ByteRange;
import dev.peerdist.chunkstore.content.ContentInformation;
import dev.peerdist.chunkstore.content.ContentInformationCodec;
import dev.peerdist.chunkstore.content.ContentInformationFormatException;
import dev.peerdist.chunkstore.content.ContentInformationGenerator;
import dev.peerdist.chunkstore.content.ContentVersion;
import dev.peerdist.chunkstore.content.HashAlgorithm;
import dev.peerdist.chunkstore.content.SegmentDescription;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code peerdist content-info}: make and inspect MS-PCCRC content information (PROTOCOL.md §2).
 */
@Command(
    name = "content-info",
    mixinStandardHelpOptions = true,
    description = "Create or show MS-PCCRC content information (BranchCache hashes).",
    subcommands = {ContentInfoCommand.Create.class, ContentInfoCommand.Show.class})
public final class ContentInfoCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  private static Path existingFile(Path p) {
    if (!Files.isRegularFile(p)) {
      throw UserException.usage("no such file: " + p);
    }
    return p;
  }

  /** {@code content-info create}: hash a file and write the exact wire bytes. */
  @Command(name = "create", mixinStandardHelpOptions = true,
      description = "Hash FILE and write its content information (exact wire bytes) to OUT.")
  public static final class Create implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "The content to describe.")
    Path file;

    @Option(names = "--version", paramLabel = "1|2", defaultValue = "1",
        description = "Content information version: 1 (32 MiB segments, 64 KiB blocks) or 2 "
            + "(content-defined segments up to 128 KiB). Default: ${DEFAULT-VALUE}.")
    int version;

    @Option(names = "--hash", paramLabel = "ALG",
        description = "V1 hash: sha-256 (default; the only one Windows clients accept), sha-384, sha-512.")
    String hash;

    @Mixin SecretOptions secret;

    @Option(names = "--range", paramLabel = "OFFSET:LENGTH",
        description = "Describe only the segments that intersect this byte range (a range response).")
    String range;

    @Option(names = {"-o", "--output"}, paramLabel = "OUT", required = true, description = "Where to write.")
    Path output;

    @Option(names = "--threads", paramLabel = "N", description = "Hashing threads (default: all cores).")
    Integer threads;

    @Override
    public Integer call() throws IOException {
      HashAlgorithm algorithm = algorithm();
      ByteRange byteRange = range == null ? null : parseRange(range);
      existingFile(file);
      var builder = ContentInformationGenerator.builder(secret.resolve()).hashAlgorithm(algorithm);
      if (threads != null) {
        if (threads < 1 || threads > 256) {
          throw UserException.usage("--threads " + threads + " is outside 1..256");
        }
        builder.threads(threads);
      }
      long size = Files.size(file);
      if (size == 0) {
        throw UserException.usage(file + " is empty: there is nothing to describe");
      }
      if (byteRange != null && byteRange.end() > size) {
        throw UserException.usage("--range " + range + " runs past the end of " + file + " (" + size + " bytes)");
      }
      long t0 = System.nanoTime();
      ContentInformation info = builder.build().generate(file);
      if (byteRange != null) {
        info = info.forRange(byteRange);
      }
      byte[] wire = ContentInformationCodec.standard().encode(info);
      double seconds = (System.nanoTime() - t0) / 1e9;
      writeAtomically(output, wire);
      spec.commandLine().getOut().printf(Locale.ROOT,
          "wrote %s: V%d %s, %d segments, %d content bytes hashed, %d bytes, %.3f s, %.1f MB/s%n",
          output, info.version() == ContentVersion.V1 ? 1 : 2, algorithm.digestName()
              + (algorithm == HashAlgorithm.TRUNCATED_SHA_512 ? " (truncated)" : ""),
          info.segmentCount(), size, wire.length, seconds, size / 1e6 / Math.max(seconds, 1e-9));
      spec.commandLine().getOut().flush();
      return ExitCodes.OK;
    }

    private HashAlgorithm algorithm() {
      if (version == 2) {
        if (hash != null) {
          throw UserException.usage("--hash applies to version 1 only; version 2 always uses truncated SHA-512");
        }
        return HashAlgorithm.TRUNCATED_SHA_512;
      }
      if (version != 1) {
        throw UserException.usage("--version " + version + ": expected 1 or 2");
      }
      if (hash == null) {
        return HashAlgorithm.SHA_256;
      }
      return switch (hash.toLowerCase(Locale.ROOT)) {
        case "sha-256", "sha256" -> HashAlgorithm.SHA_256;
        case "sha-384", "sha384" -> HashAlgorithm.SHA_384;
        case "sha-512", "sha512" -> HashAlgorithm.SHA_512;
        default -> throw UserException.usage("--hash " + hash + ": expected sha-256, sha-384 or sha-512");
      };
    }

    static ByteRange parseRange(String text) {
      int colon = text.indexOf(':');
      try {
        if (colon < 0) {
          throw new NumberFormatException();
        }
        long offset = Long.parseLong(text.substring(0, colon));
        long length = Long.parseLong(text.substring(colon + 1));
        if (offset < 0 || length <= 0) {
          throw UserException.usage("--range " + text + ": offset must be >= 0 and length > 0");
        }
        return ByteRange.ofLength(offset, length);
      } catch (NumberFormatException e) {
        throw UserException.usage("--range " + text + ": expected OFFSET:LENGTH in bytes, e.g. 102400:25600");
      } catch (IllegalArgumentException e) {
        throw UserException.usage("--range " + text + ": " + e.getMessage());
      }
    }

    private static void writeAtomically(Path out, byte[] bytes) throws IOException {
      Path abs = out.toAbsolutePath();
      Path dir = abs.getParent();
      if (dir == null || !Files.isDirectory(dir)) {
        throw UserException.usage("-o " + out + ": no such directory: " + dir);
      }
      Path tmp = Files.createTempFile(dir, ".content-info", ".tmp");
      try {
        Files.write(tmp, bytes);
        Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(tmp);
      }
    }
  }

  /** {@code content-info show}: print every field of a content-information file. */
  @Command(name = "show", mixinStandardHelpOptions = true,
      description = "Print every field of a content-information file and each segment ID (upper-case hex).")
  public static final class Show implements Callable<Integer> {
    private static final HexFormat HEX = HexFormat.of();

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "Content information (wire bytes).")
    Path file;

    @Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;

    @Option(names = "--no-blocks", description = "Leave out the V1 block-hash lists.")
    boolean noBlocks;

    @Override
    public Integer call() throws IOException {
      existingFile(file);
      ContentInformationCodec codec = ContentInformationCodec.standard();
      long size = Files.size(file);
      if (size > codec.maxEncodedBytes()) {
        throw new UserException(file + ": " + size + " bytes exceed the content-information limit of "
            + codec.maxEncodedBytes());
      }
      ContentInformation info;
      try {
        info = codec.decode(Files.readAllBytes(file));
      } catch (ContentInformationFormatException e) {
        throw new UserException(file + ": " + e.getMessage(), ExitCodes.SOFTWARE, e);
      }
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        printJson(info, out);
      } else {
        printText(info, out);
      }
      out.flush();
      return ExitCodes.OK;
    }

    private void printText(ContentInformation info, PrintWriter out) {
      boolean v1 = info.version() == ContentVersion.V1;
      HashAlgorithm a = info.hashAlgorithm();
      out.printf("version                   %s%n", v1 ? "1.0" : "2.0");
      out.printf("hash algorithm            %s (%s 0x%s)%n", a, v1 ? "dwHashAlgo" : "bHashAlgo",
          v1 ? String.format("%08X", a.wireId()) : String.format("%02X", a.wireId()));
      if (v1) {
        out.printf("dwOffsetInFirstSegment    %d%n", info.offsetInFirstSegment());
        out.printf("dwReadBytesInLastSegment  %d%n", info.readBytesInLastSegment());
      } else {
        out.printf("ullStartInContent         %d%n", info.startInContent());
        out.printf("ullIndexOfFirstSegment    %d%n", info.indexOfFirstSegment());
        out.printf("dwOffsetInFirstSegment    %d%n", info.offsetInFirstSegment());
        out.printf("ullLengthOfRange          %d%n", info.lengthOfRange());
        out.printf("chunks                    %d (segments per chunk: %s)%n", info.chunkSegmentCounts().size(),
            info.chunkSegmentCounts());
      }
      out.printf("content range             %s (%d bytes)%n", info.contentRange(), info.contentRange().length());
      out.printf("segments                  %d%n", info.segmentCount());
      for (int i = 0; i < info.segmentCount(); i++) {
        SegmentDescription s = info.segment(i);
        out.printf("segment %d%n", i);
        out.printf("  segment id              %s%n", s.segmentId().toHex());
        out.printf("  ullOffsetInContent      %d%n", s.offsetInContent());
        out.printf("  cbSegment               %d%n", s.segmentLength());
        if (v1) {
          out.printf("  cbBlockSize             %d%n", SegmentDescription.V1_BLOCK_SIZE);
        }
        out.printf("  SegmentHashOfData       %s%n", HEX.formatHex(s.hashOfData()));
        out.printf("  SegmentSecret           %s%n", HEX.formatHex(s.segmentSecret()));
        if (v1) {
          out.printf("  cBlocks                 %d of %d%s%n", s.listedBlockHashCount(), s.blockCount(),
              s.hasAllBlockHashes() ? (s.blockHashesMatchHashOfData() ? " (hash to HoD)" : " (DO NOT hash to HoD)")
                  : " (partial list)");
          if (!noBlocks) {
            for (int b = 0; b < s.listedBlockHashCount(); b++) {
              out.printf("  block %-5d             %s%n", b, HEX.formatHex(s.blockHash(b)));
            }
          }
        }
      }
    }

    private void printJson(ContentInformation info, PrintWriter out) {
      boolean v1 = info.version() == ContentVersion.V1;
      StringBuilder j = new StringBuilder(256);
      j.append("{\"version\":\"").append(v1 ? "1.0" : "2.0").append('"');
      j.append(",\"hashAlgorithm\":\"").append(info.hashAlgorithm()).append('"');
      j.append(",\"hashAlgorithmId\":").append(info.hashAlgorithm().wireId());
      if (v1) {
        j.append(",\"dwOffsetInFirstSegment\":").append(info.offsetInFirstSegment());
        j.append(",\"dwReadBytesInLastSegment\":").append(info.readBytesInLastSegment());
      } else {
        j.append(",\"ullStartInContent\":").append(info.startInContent());
        j.append(",\"ullIndexOfFirstSegment\":").append(info.indexOfFirstSegment());
        j.append(",\"dwOffsetInFirstSegment\":").append(info.offsetInFirstSegment());
        j.append(",\"ullLengthOfRange\":").append(info.lengthOfRange());
        j.append(",\"chunkSegmentCounts\":").append(info.chunkSegmentCounts().toString().replace(" ", ""));
      }
      j.append(",\"contentRange\":{\"start\":").append(info.contentRange().start())
          .append(",\"end\":").append(info.contentRange().end()).append('}');
      j.append(",\"segments\":[");
      for (int i = 0; i < info.segmentCount(); i++) {
        SegmentDescription s = info.segment(i);
        if (i > 0) {
          j.append(',');
        }
        j.append("{\"segmentId\":\"").append(s.segmentId().toHex()).append('"');
        j.append(",\"ullOffsetInContent\":").append(s.offsetInContent());
        j.append(",\"cbSegment\":").append(s.segmentLength());
        j.append(",\"blockCount\":").append(s.blockCount());
        j.append(",\"segmentHashOfData\":\"").append(HEX.formatHex(s.hashOfData())).append('"');
        j.append(",\"segmentSecret\":\"").append(HEX.formatHex(s.segmentSecret())).append('"');
        if (v1) {
          j.append(",\"cbBlockSize\":").append(SegmentDescription.V1_BLOCK_SIZE);
          j.append(",\"cBlocks\":").append(s.listedBlockHashCount());
          if (!noBlocks) {
            j.append(",\"blockHashes\":[");
            for (int b = 0; b < s.listedBlockHashCount(); b++) {
              j.append(b > 0 ? ",\"" : "\"").append(HEX.formatHex(s.blockHash(b))).append('"');
            }
            j.append(']');
          }
        }
        j.append('}');
      }
      j.append("]}");
      out.println(j);
    }
  }
}
