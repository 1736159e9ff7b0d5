package dev.peerdist.node.publish;

import dev.peerdist.chunkstore.content.ContentVersion;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Where the publisher gets content information from: the PCCRC generator and codec of {@code
 * dev.peerdist.chunkstore.content}, behind a seam so that the HTTP side can be tested with a
 * counting wrapper.
 */
public interface ContentInformationSource {
  /**
   * Hashes a whole file and returns its content information in wire form (PROTOCOL.md §2.3 for
   * V1 with SHA-256, §2.4 for V2).
   *
   * @param secretKeyMaterial the server secret key material (Ks = H(material), PROTOCOL.md §2.2)
   */
  byte[] generate(Path file, ContentVersion version, byte[] secretKeyMaterial) throws IOException;

  /**
   * The content information of the byte range {@code [start, end)} of the same content, derived
   * from the whole-content information {@code full} without hashing again: the intersecting
   * segments with the range fields set (PROTOCOL.md §2.3, §2.4; [MS-PCCRC] 3.3, 3.5, 3.7).
   */
  byte[] restrict(byte[] full, long start, long end);

  /**
   * Whether stored bytes are a well-formed structure describing all {@code contentLength} bytes;
   * used when a cached entry is read back from disk, so a damaged file is made again instead of
   * being served.
   */
  default boolean describes(byte[] contentInformation, long contentLength) {
    return contentInformation.length > 0;
  }
}
