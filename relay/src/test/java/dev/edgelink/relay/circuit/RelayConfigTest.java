package dev.edgelink.relay.circuit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.ConfigurationException;
import org.junit.jupiter.api.Test;

class RelayConfigTest {

    @Test
    void theDefaultsServeAThousandNatdNodesWithHundredsBehindOneAddressAndThousandsOfCircuits() {
        RelayConfig d = RelayConfig.defaults(p -> true);
        assertEquals(2048, d.maxReservations());
        assertEquals(1024, d.maxReservationsPerIp());
        assertEquals(4096, d.maxCircuits());
        assertEquals(512, d.maxCircuitsPerPeer());
        assertTrue(d.heapAtFullUse() <= 16L << 20, "every slot in use fits half the shipped 32 MiB heap: "
                + d.heapAtFullUse());
    }

    @Test
    void onlyTheBytesAreDerivedFromDirectMemoryNotTheCircuitCount() {
        RelayConfig shipped = RelayConfig.forDirectMemory(p -> true, 32L << 20);
        assertEquals(8L << 20, shipped.bufferBytes(), "a quarter of 32 MiB");
        assertEquals(RelayConfig.DEFAULT_MAX_CIRCUITS, shipped.maxCircuits(), "not 16 as when each circuit was "
                + "charged its two initial windows");
        assertEquals(RelayConfig.MIN_DERIVED_BUFFER_BYTES, RelayConfig.forDirectMemory(p -> true, 1 << 20)
                .bufferBytes());
        RelayConfig big = RelayConfig.forDirectMemory(p -> true, 4L << 30);
        assertEquals(1L << 30, big.bufferBytes());
        assertEquals(shipped.maxCircuits(), big.maxCircuits());
    }

    @Test
    void aPerSourceLimitAboveItsTotalIsAConfigurationError() {
        RelayConfig d = RelayConfig.defaults(p -> true);
        assertThrows(ConfigurationException.class, () -> d.withLimits(10, 11, 10, 10));
        assertThrows(ConfigurationException.class, () -> d.withLimits(10, 10, 10, 11));
        assertThrows(ConfigurationException.class, () -> d.withLimits(10, 10, 0, 0));
        assertEquals(10, d.withLimits(10, 10, 10, 10).maxCircuitsPerPeer(), "equal is fine");
    }

    @Test
    void heapAtFullUseCountsEveryReservationAndCircuit() {
        RelayConfig c = RelayConfig.defaults(p -> true).withLimits(1000, 10, 3000, 10);
        assertEquals(1000 * RelayConfig.RESERVATION_HEAP_BYTES + 3000 * RelayConfig.CIRCUIT_HEAP_BYTES,
                c.heapAtFullUse());
    }
}
