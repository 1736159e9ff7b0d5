package dev.peerdist.chunkstore;

/**
 * A snapshot of a store's accounting. Byte figures count peerdist's own stored data (block
 * ciphertexts, IVs and segment records), not the database's overhead files.
 */
public record StoreStats(
    long usedBytes, long capacityBytes, long pinnedBytes, int segments, long blocks, long evictedSegments) {}
