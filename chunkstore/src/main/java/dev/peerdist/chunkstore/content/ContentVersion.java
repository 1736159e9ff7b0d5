package dev.peerdist.chunkstore.content;

/**
 * The two content-information formats of [MS-PCCRC] (PROTOCOL.md §2.1).
 *
 * <p>V1: 32 MiB segments of 64 KiB blocks, little-endian structure. V2: content-defined segments
 * of at most 128 KiB that are each a single block (index 0) in PCCRR, big-endian structure.
 */
public enum ContentVersion {
  V1,
  V2
}
