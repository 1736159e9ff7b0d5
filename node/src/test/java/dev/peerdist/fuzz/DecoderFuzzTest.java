package dev.peerdist.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing (Jazzer) of every decoder that reads the network or the disk (issue
 * 11): content information (PCCRC), WS-Discovery/PCCRD XML, PCCRR requests and responses, the
 * PCCRTP headers and the store's segment records. What each target asserts is in {@link
 * FuzzTargets}: no crash (only the decoder's declared exception), no allocation proportional to a
 * length the input merely claims, no hang (Jazzer stops a slow input).
 *
 * <p>Seeds are the test vectors ({@code DecoderFuzzTestInputs/<target>/}: TEST-VECTORS.md TV-2,
 * TV-4, TV-5, TV-7, and records made from the TV-2 content information).
 *
 * <p>Modes: surefire runs every seed (regression mode); the {@code fuzz-*} failsafe executions
 * of {@code mvn verify} fuzz each target for a few seconds ({@code JAZZER_FUZZ=1}, one target per
 * JVM). A longer run of one target: docs/DEVELOPING.md.
 */
class DecoderFuzzTest {
  @FuzzTest(maxDuration = "3s")
  void contentInformation(byte[] data) {
    FuzzTargets.contentInformation(data);
  }

  @FuzzTest(maxDuration = "3s")
  void wsDiscovery(byte[] data) {
    FuzzTargets.wsDiscovery(data);
  }

  /** PCCRR requests and responses; the first byte's low bit picks which decoder reads the rest. */
  @FuzzTest(maxDuration = "3s")
  void pccrr(byte[] data) {
    if (data.length > 0) {
      FuzzTargets.pccrr(java.util.Arrays.copyOfRange(data, 1, data.length), (data[0] & 1) == 1);
    }
  }

  @FuzzTest(maxDuration = "3s")
  void pccrtpHeaders(FuzzedDataProvider data) {
    FuzzTargets.pccrtpHeaders(data);
  }

  @FuzzTest(maxDuration = "3s")
  void segmentRecord(byte[] data) {
    FuzzTargets.segmentRecord(data);
  }
}
