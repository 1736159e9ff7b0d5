package dev.peerdist.node.publish;

import dev.peerdist.chunkstore.content.ByteRange;
import dev.peerdist.chunkstore.content.ContentInformation;
import dev.peerdist.chunkstore.content.ContentInformationCodec;
import dev.peerdist.chunkstore.content.ContentInformationGenerator;
import dev.peerdist.chunkstore.content.ContentVersion;
import dev.peerdist.chunkstore.content.HashAlgorithm;
import dev.peerdist.chunkstore.content.ServerSecret;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Content information from {@link ContentInformationGenerator} and {@link
 * ContentInformationCodec}: V1 with SHA-256 (the only V1 hash Windows clients accept,
 * PROTOCOL.md §2.2) and V2 with truncated SHA-512. Each job hashes on its calling thread; the
 * publisher runs several jobs side by side on its bounded hashing pool.
 */
public final class PccrcContentInformationSource implements ContentInformationSource {
  private final ContentInformationCodec codec = ContentInformationCodec.standard();

  @Override
  public byte[] generate(Path file, ContentVersion version, byte[] secretKeyMaterial) throws IOException {
    ContentInformationGenerator g =
        ContentInformationGenerator.builder(ServerSecret.ofKeyMaterial(secretKeyMaterial))
            .version(version)
            .hashAlgorithm(version == ContentVersion.V1 ? HashAlgorithm.SHA_256 : HashAlgorithm.TRUNCATED_SHA_512)
            .threads(1)
            .build();
    return codec.encode(g.generate(file));
  }

  @Override
  public byte[] restrict(byte[] full, long start, long end) {
    ContentInformation info = codec.decode(full);
    return codec.encode(info.forRange(new ByteRange(start, end)));
  }

  @Override
  public boolean describes(byte[] contentInformation, long contentLength) {
    try {
      ContentInformation info = codec.decode(contentInformation);
      return info.contentRange().start() == 0 && info.contentRange().end() == contentLength;
    } catch (RuntimeException e) {
      return false;
    }
  }
}
