package dev.peerdist.discovery;

/**
 * Counters of a PCCRD directory since start, for {@code peerdist status} and tests. Every field
 * only grows.
 *
 * @param probesSent probe datagrams multicast (copies and interfaces counted)
 * @param matchesReceived usable ProbeMatch elements received
 * @param repliesSent ProbeMatches datagrams this node sent
 * @param malformed datagrams dropped as malformed (bad XML, bad PCCRD data)
 * @param ignored well-formed datagrams that are not PeerDist traffic (other WS-Discovery actions and types)
 * @param duplicates probes dropped because their MessageID was handled before
 * @param rateLimited probes dropped by the responder's global ceiling
 * @param sourceRateLimited probes dropped because their source was over its own rate
 * @param offSubnetProbes probes dropped because their source is outside the local subnets of the
 *     interface they arrived on
 * @param suppressed probes left unanswered by reply suppression
 * @param offSubnet matches dropped because they came from outside the local subnet
 * @param unsolicited matches relating to no probe in flight
 * @param noAddress matches without a usable {@code ip:port} in XAddrs
 * @param trimmedIds held ids left out of replies to keep the reply/probe byte bound
 */
public record DiscoveryStats(
    long probesSent,
    long matchesReceived,
    long repliesSent,
    long malformed,
    long ignored,
    long duplicates,
    long rateLimited,
    long sourceRateLimited,
    long offSubnetProbes,
    long suppressed,
    long offSubnet,
    long unsolicited,
    long noAddress,
    long trimmedIds) {}
