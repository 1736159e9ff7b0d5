package dev.peerdist.node.cli;

import dev.peerdist.chunkstore.content.ServerSecret;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The server-secret options shared by every command that makes content information
 * ({@code content-info create}, the publishing server): exactly one of {@code --secret-hex},
 * {@code --secret-file}, {@code --secret-text} or {@code --secret-export} (with
 * {@code --passphrase}). Use it as a picocli {@code @Mixin} and call {@link #resolve()}.
 *
 * <p>{@code --secret-text} takes the text's UTF-16LE bytes as key material, exactly as
 * {@code netsh branchcache set key "TEXT"} does on Windows, so a peerdist publisher and a Windows
 * server configured with the same text produce the same segment IDs (PROTOCOL.md §2.2).
 */
public final class SecretOptions {
  @Option(names = "--secret-hex", paramLabel = "HEX", description = "Server secret key material as hex digits.")
  String hex;

  @Option(names = "--secret-file", paramLabel = "FILE", description = "File whose raw bytes are the key material.")
  Path file;

  @Option(names = "--secret-text", paramLabel = "TEXT",
      description = "Text whose UTF-16LE bytes are the key material (like netsh branchcache set key).")
  String text;

  @Option(names = "--secret-export", paramLabel = "FILE",
      description = "A 'netsh branchcache exportkey' file; needs --passphrase.")
  Path export;

  @Option(names = "--passphrase", paramLabel = "PASSPHRASE", description = "Passphrase of --secret-export.")
  String passphrase;

  /**
   * The secret the options name.
   *
   * @throws UserException (usage) naming the problem: none or several sources given, a passphrase
   *     missing or given without an export, bad hex, a missing or unreadable file, a wrong passphrase
   */
  public ServerSecret resolve() {
    List<String> given = new ArrayList<>();
    if (hex != null) {
      given.add("--secret-hex");
    }
    if (file != null) {
      given.add("--secret-file");
    }
    if (text != null) {
      given.add("--secret-text");
    }
    if (export != null) {
      given.add("--secret-export");
    }
    if (given.size() != 1) {
      throw UserException.usage("give exactly one of --secret-hex, --secret-file, --secret-text, --secret-export"
          + (given.isEmpty() ? " (none given)" : " (got " + String.join(" and ", given) + ")"));
    }
    if (passphrase != null && export == null) {
      throw UserException.usage("--passphrase applies only to --secret-export");
    }
    try {
      if (hex != null) {
        return ServerSecret.fromHex(hex);
      }
      if (text != null) {
        return ServerSecret.fromText(text);
      }
      if (file != null) {
        return ServerSecret.fromFile(readable("--secret-file", file));
      }
      if (passphrase == null) {
        throw UserException.usage("--secret-export needs --passphrase");
      }
      return ServerSecret.fromExportFile(readable("--secret-export", export), passphrase);
    } catch (IllegalArgumentException e) {
      throw UserException.usage(given.get(0) + ": " + e.getMessage());
    } catch (IOException e) {
      throw UserException.usage(given.get(0) + ": cannot read " + e.getMessage());
    }
  }

  private static Path readable(String option, Path p) {
    if (!Files.isRegularFile(p)) {
      throw UserException.usage(option + ": no such file: " + p);
    }
    return p;
  }
}
