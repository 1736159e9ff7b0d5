package dev.peerdist.chunkstore.content;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerSecretTest {
  @Test
  void textHexAndFileGiveTheSameMaterial(@TempDir Path dir) throws Exception {
    ServerSecret text = ServerSecret.fromText("server secret");
    assertArrayEquals(Vectors.TV3_KEY, text.keyMaterial());
    assertEquals(text, ServerSecret.fromHex("73:00:65 00 7200760065007200200073006500630072006500 7400"));
    Path f = dir.resolve("key.bin");
    Files.write(f, Vectors.TV3_KEY);
    assertEquals(text, ServerSecret.fromFile(f));
    assertEquals("e8b893c11d8bc46a647198c0f45c786bb92fd88c6737588c751a02b775227a0b",
        Vectors.hex(text.serverSecret(HashAlgorithm.SHA_256)));
    assertFalse(text.toString().contains("7300"), text.toString());
  }

  @Test
  void badInputs(@TempDir Path dir) throws Exception {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> ServerSecret.fromHex("abc")).getMessage()
        .contains("not hex"));
    assertThrows(IllegalArgumentException.class, () -> ServerSecret.fromHex("zz"));
    assertThrows(IllegalArgumentException.class, () -> ServerSecret.fromHex(""));
    assertThrows(IllegalArgumentException.class, () -> ServerSecret.fromText(""));
    Path empty = Files.createFile(dir.resolve("empty"));
    assertThrows(IllegalArgumentException.class, () -> ServerSecret.fromFile(empty));
  }

  @Test
  void exportRoundTripsAndMatchesTheDocumentedFormat() throws Exception {
    ServerSecret real = ServerSecret.ofKeyMaterial(Vectors.TV2_KEY);
    byte[] export = real.export("pass phrase");
    assertEquals(real, ServerSecret.fromExport(export, "pass phrase"));
    // Independently decrypt as PROTOCOL.md §2.5 describes it.
    byte[] key = MessageDigest.getInstance("SHA-256").digest("pass phrase".getBytes(StandardCharsets.UTF_16LE));
    Cipher c = Cipher.getInstance("AES/CBC/PKCS5Padding");
    c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(new byte[16]));
    byte[] plain = c.doFinal(export);
    assertEquals(64, plain.length);
    // The embedded hash is the V1 Ks of the real TV-2 key (iPXE's note in PROTOCOL.md §2.5).
    assertEquals("7e7808bc36d0dd67f344928421614399497f0e85149f6f2bc4dd7b7856acc1a1",
        Vectors.hex(java.util.Arrays.copyOf(plain, 32)));
  }

  @Test
  void wrongPassphraseOrDamagedExportIsRefused() {
    byte[] export = ServerSecret.fromText("k").export("right");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ServerSecret.fromExport(export, "wrong"));
    assertTrue(e.getMessage().contains("passphrase"), e.getMessage());
    byte[] damaged = export.clone();
    damaged[0] ^= 1; // CBC: corrupts the first plaintext block = the embedded hash
    assertThrows(IllegalArgumentException.class, () -> ServerSecret.fromExport(damaged, "right"));
    assertThrows(IllegalArgumentException.class, () -> ServerSecret.fromExport(new byte[15], "right"));
  }
}
