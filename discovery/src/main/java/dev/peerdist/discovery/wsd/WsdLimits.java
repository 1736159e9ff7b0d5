package dev.peerdist.discovery.wsd;

/**
 * Bounds the decoder enforces on received messages. A message over any bound is rejected with a
 * {@link WsdDecodeException} naming the bound.
 *
 * <table>
 *   <caption>Defaults</caption>
 *   <tr><th>Limit</th><th>Default</th><th>Why</th></tr>
 *   <tr><td>maxMessageBytes</td><td>32768</td><td>Windows' WSD stack caps envelopes at 32 KiB (PROTOCOL.md §3.1)</td></tr>
 *   <tr><td>maxDepth</td><td>16</td><td>the deepest PCCRD element is 6 levels down</td></tr>
 *   <tr><td>maxElements</td><td>1024</td><td>a full ProbeMatches has about 15 elements per match</td></tr>
 *   <tr><td>maxListItems</td><td>256</td><td>items in one Types, Scopes or XAddrs list; a V2 probe carries at most 255 ids</td></tr>
 *   <tr><td>maxMatches</td><td>64</td><td>ProbeMatch elements in one ProbeMatches</td></tr>
 * </table>
 */
public record WsdLimits(int maxMessageBytes, int maxDepth, int maxElements, int maxListItems, int maxMatches) {
  /** The defaults of the table above. */
  public static final WsdLimits DEFAULT = new WsdLimits(32 * 1024, 16, 1024, 256, 64);

  public WsdLimits {
    checkPositive("maxMessageBytes", maxMessageBytes);
    checkPositive("maxDepth", maxDepth);
    checkPositive("maxElements", maxElements);
    checkPositive("maxListItems", maxListItems);
    checkPositive("maxMatches", maxMatches);
  }

  private static void checkPositive(String name, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be positive, got " + value);
    }
  }
}
