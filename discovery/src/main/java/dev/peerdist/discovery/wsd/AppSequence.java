package dev.peerdist.discovery.wsd;

/**
 * {@code wsd:AppSequence} of a ProbeMatches header (PROTOCOL.md §3.4): {@code InstanceId} is set
 * at service start and grows on restart, {@code MessageNumber} counts messages from 1.
 */
public record AppSequence(long instanceId, long messageNumber) {
  public AppSequence {
    if (instanceId < 0 || messageNumber < 0) {
      throw new IllegalArgumentException("AppSequence values must be unsigned, got " + instanceId + "/" + messageNumber);
    }
  }
}
