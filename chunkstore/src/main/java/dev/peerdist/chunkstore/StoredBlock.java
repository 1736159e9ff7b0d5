package dev.peerdist.chunkstore;

/**
 * A block as it rests in the store and goes out in a PCCRR MSG_BLK: the CryptoAlgoId label, the
 * CBC IV and the ciphertext (PROTOCOL.md §4.4, §4.5). Arrays are owned by the receiver.
 */
public record StoredBlock(int cryptoAlgoId, byte[] iv, byte[] cipherText) {}
