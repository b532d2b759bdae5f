package dev.edgelink.dataplane.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TunnelConfigTest {

    @Test
    void theShippedDirectMemoryGivesEightMibInAllAndOneMibPerPeer() {
        TunnelConfig c = TunnelConfig.forDirectMemory(1414, 32L << 20);
        assertEquals(8L << 20, c.totalQueueBytes());
        assertEquals(1 << 20, c.peerQueueBytes());
    }

    @Test
    void derivedLimitsStayBetweenOnePacketAndFourMibPerPeer() {
        TunnelConfig tiny = TunnelConfig.forDirectMemory(1414, 1 << 20);
        assertEquals(TunnelConfig.MIN_PEER_BYTES, tiny.peerQueueBytes(), "one 64 KiB packet at least");
        assertTrue(tiny.totalQueueBytes() >= tiny.peerQueueBytes());
        TunnelConfig big = TunnelConfig.forDirectMemory(1414, 4L << 30);
        assertEquals(1L << 30, big.totalQueueBytes());
        assertEquals(4 << 20, big.peerQueueBytes(), "a deeper queue only adds delay");
    }

    @Test
    void limitsThatCannotHoldOnePacketOrAPeerAboveTheTotalAreRefused() {
        TunnelConfig d = TunnelConfig.forDirectMemory(1414, 32L << 20);
        IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
                () -> d.withMemory(4096, 8L << 20));
        assertTrue(small.getMessage().contains("peerQueueBytes"), small.getMessage());
        IllegalArgumentException inverted = assertThrows(IllegalArgumentException.class,
                () -> d.withMemory(2 << 20, 1 << 20));
        assertTrue(inverted.getMessage().contains("totalQueueBytes"), inverted.getMessage());
    }
}
