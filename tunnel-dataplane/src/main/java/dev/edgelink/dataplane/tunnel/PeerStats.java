package dev.edgelink.dataplane.tunnel;

/**
 * Counters of one peer on the userspace path, kept across its streams.
 *
 * @param txPackets packets written to the peer's stream
 * @param txBytes their bytes (IP packets, without framing)
 * @param rxPackets packets received from the peer and handed to the TUN device
 * @param rxBytes their bytes
 * @param queueDrops packets dropped because the peer's send queue was full (its packets or its bytes)
 * @param budgetDrops packets dropped because all peers together held the userspace path's memory budget
 * @param spoofDrops packets from the peer whose source is not in its pod CIDRs
 * @param otherDrops packets lost for other reasons (refused by the TUN device, larger than the MTU the peer
 *     announced, a GSO segment for a peer without GSO)
 * @param resets streams of this peer reset for a protocol error or silence
 */
public record PeerStats(long txPackets, long txBytes, long rxPackets, long rxBytes, long queueDrops, long budgetDrops,
                        long spoofDrops, long otherDrops, long resets) {
}
