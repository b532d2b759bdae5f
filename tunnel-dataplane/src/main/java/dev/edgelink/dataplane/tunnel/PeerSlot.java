package dev.edgelink.dataplane.tunnel;

import java.util.concurrent.atomic.LongAdder;

/**
 * One peer's entry in the prefix table: its current session (null while it has no stream that said HELLO) and the
 * counters that outlive sessions. The TUN reader reads {@link #session} once per packet.
 */
final class PeerSlot {
    final String nodeName;
    volatile TunnelSession session;
    final LongAdder txPackets = new LongAdder();
    final LongAdder txBytes = new LongAdder();
    final LongAdder rxPackets = new LongAdder();
    final LongAdder rxBytes = new LongAdder();
    final LongAdder queueDrops = new LongAdder();
    final LongAdder budgetDrops = new LongAdder();
    final LongAdder spoofDrops = new LongAdder();
    final LongAdder otherDrops = new LongAdder();
    final LongAdder resets = new LongAdder();
    /** Whether, and when, the demand listener was last told of this peer (read and written by the reader only). */
    boolean demanded;
    long demandedAt;

    PeerSlot(String nodeName) {
        this.nodeName = nodeName;
    }

    PeerStats stats() {
        return new PeerStats(txPackets.sum(), txBytes.sum(), rxPackets.sum(), rxBytes.sum(), queueDrops.sum(),
                budgetDrops.sum(), spoofDrops.sum(), otherDrops.sum(), resets.sum());
    }
}
