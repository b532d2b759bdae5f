package dev.edgelink.agent.internal.nat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.relay.circuit.RelayConfig;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CrossNatRelayHeapTest {

    @Test
    void theDefaultRelayLimitsFitHalfTheShippedHeap() {
        long relayHeap = RelayConfig.defaults(p -> true).heapAtFullUse();
        assertEquals(Optional.empty(), CrossNat.heapWarning(relayHeap, 32L << 20));
    }

    @Test
    void limitsThatNeedMoreThanHalfTheHeapAreWarnedAboutWithTheHeapTheyNeed() {
        RelayConfig big = RelayConfig.defaults(p -> true).withLimits(8192, 1024, 32768, 512);
        String w = CrossNat.heapWarning(big.heapAtFullUse(), 32L << 20).orElseThrow();
        assertTrue(w.contains("need up to 104 MiB") && w.contains("at least 209 MiB"), w);
    }
}
