package dev.peerdist.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing (Jazzer) of every decoder that reads the network or the disk (issue
 * 11): content information (PCCRC), WS-Discovery/PCCRD XML, PCCRR requests and responses, the
 * PCCRTP headers and the store's segment records. What is asserted is in {@link FuzzTargets}: no
 * crash (only the decoder's declared exception), no allocation proportional to a length the input
 * merely claims, no hang (Jazzer stops a slow input).
 *
 * <p>One fuzz test drives all decoders: the first byte of an input picks the decoder
 * ({@link FuzzTargets#TARGETS}, modulo their number), the rest is the decoder's input. libFuzzer
 * runs one session per process, and a JVM with Jazzer's agent costs far more to start than a few
 * seconds of fuzzing, so one session shared by every decoder keeps the CI run short while the
 * coverage feedback still steers each decoder's inputs.
 *
 * <p>Seeds ({@code DecoderFuzzTestInputs/allDecoders/}) are the test vectors, each prefixed with
 * its decoder's byte: TEST-VECTORS.md TV-2 (content information), TV-4 (WS-Discovery), TV-5
 * (PCCRR), TV-7 (PCCRTP headers), and segment records made from TV-2.
 *
 * <p>Runs: the {@code fuzz} failsafe execution of {@code mvn verify} replays the seeds and fuzzes
 * for {@value #CI_SECONDS} s ({@code JAZZER_FUZZ=1}); surefire skips this class. A longer run:
 * docs/DEVELOPING.md.
 */
class DecoderFuzzTest {
  static final int CI_SECONDS = 15;

  /**
   * {@code @Timeout} also becomes libFuzzer's per-input timeout, so an input that runs this long
   * is a hang finding; JUnit applies it to the whole 15 s fuzzing run as well, hence the margin.
   */
  @FuzzTest(maxDuration = "15s")
  @org.junit.jupiter.api.Timeout(60)
  void allDecoders(FuzzedDataProvider data) {
    FuzzTargets.run(data.consumeByte(), data);
  }
}
