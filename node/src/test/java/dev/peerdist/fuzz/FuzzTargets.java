package dev.peerdist.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.SegmentRecordCodec;
import dev.peerdist.chunkstore.content.ContentInformation;
import dev.peerdist.chunkstore.content.ContentInformationCodec;
import dev.peerdist.chunkstore.content.ContentInformationFormatException;
import dev.peerdist.discovery.pccrd.PccrdProfile;
import dev.peerdist.discovery.wsd.Probe;
import dev.peerdist.discovery.wsd.ProbeMatches;
import dev.peerdist.discovery.wsd.WsdCodec;
import dev.peerdist.discovery.wsd.WsdDecodeException;
import dev.peerdist.discovery.wsd.WsdMessage;
import dev.peerdist.node.pccrr.PccrrCodec;
import dev.peerdist.node.pccrr.PccrrDecodeException;
import dev.peerdist.node.pccrr.PccrrMessage;
import dev.peerdist.node.pccrtp.PeerDistHeaderCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.lang.management.ManagementFactory;
import java.util.List;

/**
 * The bodies of {@link DecoderFuzzTest}'s targets. They live apart from the test class so that
 * no decoder class is loaded before Jazzer's agent is in place (classes loaded earlier are not
 * instrumented, and coverage guidance would be blind to them).
 *
 * <p>Coverage-guided fuzzing (Jazzer) of every decoder that reads the network or the disk (issue
 * 11): content information (PCCRC), WS-Discovery/PCCRD XML, PCCRR requests and responses, the
 * PCCRTP headers and the store's segment records. Each target asserts:
 *
 * <ul>
 *   <li>no crash: the decoder returns a value, says "need more", or throws its declared
 *       exception; anything else (an index or arithmetic exception, a NullPointerException) is a
 *       finding;
 *   <li>no allocation proportional to a length the input merely claims: the bytes allocated while
 *       decoding stay within {@link #ALLOCATION_PER_INPUT_BYTE} × the input's size plus
 *       {@link #ALLOCATION_SLACK};
 *   <li>no hang: Jazzer stops an input that runs too long.
 * </ul>
 *
 * Seeds are the test vectors ({@code DecoderFuzzTestInputs/<target>/}: TEST-VECTORS.md TV-2,
 * TV-4, TV-5, TV-7, and records made from the TV-2 content information).
 *
 * <p>Modes: {@code mvn verify} runs every seed (regression mode, surefire) and fuzzes each target
 * for a few seconds (the {@code fuzz-*} failsafe executions, {@code JAZZER_FUZZ=1}). A longer run
 * of one target is documented in docs/DEVELOPING.md.
 */
final class FuzzTargets {
  private FuzzTargets() {}

  static final long ALLOCATION_PER_INPUT_BYTE = 512;
  static final long ALLOCATION_SLACK = 8L << 20;
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
  private static final ContentInformationCodec PCCRC = ContentInformationCodec.standard();
  private static final WsdCodec WSD = new WsdCodec();

  private static final java.util.Set<String> WARM = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * Runs {@code decode}, failing when it allocates more than the input's size allows. The first
   * input of each target runs once unmeasured first: loading and initialising classes allocates
   * too, and only the decoder's own allocations count.
   */
  private static void bounded(String target, int inputLength, Runnable decode) {
    if (WARM.add(target)) {
      try {
        decode.run();
      } catch (RuntimeException | AssertionError e) {
        // Reported by the measured run below.
      }
    }
    long used = allocatedBy(decode);
    long allowed = ALLOCATION_PER_INPUT_BYTE * inputLength + ALLOCATION_SLACK;
    if (used > allowed) {
      // A path seen for the first time loads (and Jazzer instruments) classes on this thread;
      // that is not the decoder's doing. The same input again allocates only what decoding does.
      used = allocatedBy(decode);
    }
    if (used > allowed) {
      throw new AssertionError("decoding " + inputLength + " bytes allocated " + used + " bytes (allowed "
          + allowed + "): an allocation follows a claimed length");
    }
  }

  private static long allocatedBy(Runnable decode) {
    long tid = Thread.currentThread().getId();
    long before = THREADS.getThreadAllocatedBytes(tid);
    decode.run();
    return THREADS.getThreadAllocatedBytes(tid) - before;
  }

  /** The decoders, in the order the selector byte picks them. */
  static final java.util.List<String> TARGETS =
      java.util.List.of("contentInformation", "wsDiscovery", "pccrrRequest", "pccrrResponse", "pccrtpHeaders",
          "segmentRecord");

  /** Runs the decoder {@code selector} picks on the rest of {@code data}. */
  static void run(byte selector, FuzzedDataProvider data) {
    switch (TARGETS.get(Math.floorMod(selector, TARGETS.size()))) {
      case "contentInformation" -> contentInformation(data.consumeRemainingAsBytes());
      case "wsDiscovery" -> wsDiscovery(data.consumeRemainingAsBytes());
      case "pccrrRequest" -> pccrr(data.consumeRemainingAsBytes(), false);
      case "pccrrResponse" -> pccrr(data.consumeRemainingAsBytes(), true);
      case "pccrtpHeaders" -> pccrtpHeaders(data);
      default -> segmentRecord(data.consumeRemainingAsBytes());
    }
  }

  static void contentInformation(byte[] data) {
    bounded("contentInformation", data.length, () -> {
      try {
        ContentInformation info = PCCRC.decode(data);
        // What decodes must encode back to the same bytes' structure without failing.
        PCCRC.encode(info);
      } catch (ContentInformationFormatException expected) {
        // Declared: malformed input.
      }
    });
  }

  static void wsDiscovery(byte[] data) {
    bounded("wsDiscovery", data.length, () -> {
      try {
        WsdMessage m = WSD.decode(data);
        // The PCCRD layer reads what the XML layer accepted; it answers empty for what is not PCCRD.
        if (m instanceof Probe p) {
          PccrdProfile.readProbe(p);
        } else if (m instanceof ProbeMatches pm) {
          pm.matches().size();
        }
      } catch (WsdDecodeException expected) {
        // Declared (UnsupportedActionException is one of them).
      }
    });
  }

  static void pccrr(byte[] data, boolean response) {
    bounded(response ? "pccrrResponse" : "pccrrRequest", data.length, () -> {
      ByteBuf in = Unpooled.wrappedBuffer(data);
      try {
        int before = in.readerIndex();
        PccrrMessage m;
        try {
          m = response ? PccrrCodec.decodeResponse(in) : PccrrCodec.decodeRequest(in);
        } catch (PccrrDecodeException expected) {
          if (in.readerIndex() != before) {
            throw new AssertionError("an invalid message consumed bytes");
          }
          return;
        }
        if (m == null && in.readerIndex() != before) {
          throw new AssertionError("'need more' consumed bytes");
        }
        if (m != null && !response) {
          // A decoded request encodes again (the responder echoes parts of it).
          PccrrCodec.encodeToArray(m);
        }
      } finally {
        in.release();
      }
    });
  }

  static void pccrtpHeaders(FuzzedDataProvider data) {
    String acceptEncoding = data.consumeString(512);
    String peerDist = data.consumeString(512);
    String peerDistEx = data.consumeRemainingAsString();
    bounded("pccrtpHeaders", acceptEncoding.length() + peerDist.length() + peerDistEx.length(), () -> {
      // Declared: nothing is thrown; malformed values are absent.
      PeerDistHeaderCodec.acceptsPeerDist(List.of(acceptEncoding));
      PeerDistHeaderCodec.isPeerDistEncoded(List.of(acceptEncoding));
      PeerDistHeaderCodec.PeerDist pd = PeerDistHeaderCodec.peerDist(List.of(peerDist));
      PeerDistHeaderCodec.PeerDistEx ex = PeerDistHeaderCodec.peerDistEx(List.of(peerDistEx, peerDist));
      pd.contentLength().ifPresent(n -> {
        if (n < 0) {
          throw new AssertionError("negative ContentLength " + n + " from '" + peerDist + "'");
        }
      });
      ex.min();
      ex.max();
      if (PeerDistHeaderCodec.parameters(List.of(peerDist, peerDistEx)).size() > PeerDistHeaderCodec.MAX_PARAMETERS) {
        throw new AssertionError("more parameters than the limit");
      }
    });
  }

  static void segmentRecord(byte[] data) {
    bounded("segmentRecord", data.length, () -> {
      try {
        SegmentRecord r = SegmentRecordCodec.decode(data);
        byte[] again = SegmentRecordCodec.encode(r);
        if (!java.util.Arrays.equals(again, data)) {
          throw new AssertionError("a decoded record does not encode to the same bytes");
        }
      } catch (IllegalArgumentException expected) {
        // Declared: names the field and offset.
      }
    });
  }
}
