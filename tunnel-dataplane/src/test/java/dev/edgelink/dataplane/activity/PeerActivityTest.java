package dev.edgelink.dataplane.activity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Counts in, traffic times out, with an injected clock: the idle timeout is checked at t - 1 and at t. */
class PeerActivityTest {
    private static final long IDLE = 1_000;

    private final PeerActivity activity = new PeerActivity(Duration.ofNanos(IDLE));
    private final List<String> woke = new ArrayList<>();

    PeerActivityTest() {
        activity.addListener(woke::add);
    }

    @Test
    void aFirstCountIsWhereAPeerStartsNotTraffic() {
        assertEquals(List.of(), activity.observe("nft", Map.of("node2", 500L), 10));

        assertEquals(OptionalLong.empty(), activity.lastTraffic("node2"));
        assertFalse(activity.active("node2", 10), "a restarted agent finds the kernel's counts where it left them");
        assertEquals(List.of(), woke);
    }

    @Test
    void aCountThatGrewIsTrafficAndThePeerIsActiveForIdleTimeout() {
        activity.observe("nft", Map.of("node2", 500L, "node3", 7L), 10);

        assertEquals(List.of("node2"), activity.observe("nft", Map.of("node2", 501L, "node3", 7L), 20));

        assertEquals(OptionalLong.of(20), activity.lastTraffic("node2"));
        assertTrue(activity.active("node2", 20 + IDLE - 1));
        assertFalse(activity.active("node2", 20 + IDLE));
        assertFalse(activity.active("node3", 20));
        assertEquals(Set.of("node2"), activity.activePeers(20));
        assertEquals(List.of("node2"), woke);
    }

    @Test
    void theListenerHearsOfAPeerWhenItBecomesActiveNotOnEveryPacket() {
        activity.observe("nft", Map.of("node2", 0L), 0);
        activity.observe("nft", Map.of("node2", 1L), 10);
        activity.observe("nft", Map.of("node2", 2L), 10 + IDLE - 1);
        assertEquals(List.of("node2"), woke, "still active: told once");

        activity.observe("nft", Map.of("node2", 3L), 10 + IDLE - 1 + IDLE);
        assertEquals(List.of("node2", "node2"), woke, "active again after a whole idle timeout without traffic");
    }

    @Test
    void eachSourceIsComparedWithItsOwnPreviousCounts() {
        activity.observe("nft", Map.of("node2", 900L), 0);
        activity.observe("tunnel", Map.of("node2", 3L), 0);

        assertEquals(List.of(), activity.observe("tunnel", Map.of("node2", 3L), 10), "900 is nft's, not tunnel's");
        assertEquals(List.of("node2"), activity.observe("tunnel", Map.of("node2", 4L), 20));
    }

    @Test
    void aCountThatWentDownWasResetAndStartsAgainThere() {
        activity.observe("tunnel", Map.of("node2", 900L), 0);

        assertEquals(List.of(), activity.observe("tunnel", Map.of("node2", 4L), 10), "a new device counts from 0");
        assertEquals(List.of("node2"), activity.observe("tunnel", Map.of("node2", 5L), 20));
    }

    @Test
    void aPeerMissingFromASourceStartsAgainWhenItComesBack() {
        activity.observe("tunnel", Map.of("node2", 10L), 0);
        activity.observe("tunnel", Map.of(), 10);

        assertEquals(List.of(), activity.observe("tunnel", Map.of("node2", 20L), 20));
    }

    @Test
    void directEvidenceCountsAsTraffic() {
        activity.traffic("node2", 50);

        assertEquals(OptionalLong.of(50), activity.lastTraffic("node2"));
        assertTrue(activity.active("node2", 50));
        assertEquals(List.of("node2"), woke);
    }

    @Test
    void olderEvidenceDoesNotMoveTheLastTrafficBack() {
        activity.traffic("node2", 50);
        activity.traffic("node2", 40);

        assertEquals(OptionalLong.of(50), activity.lastTraffic("node2"));
    }

    @Test
    void departedPeersAreForgotten() {
        activity.observe("nft", Map.of("node2", 1L, "node3", 1L), 0);
        activity.traffic("node2", 10);
        activity.traffic("node3", 10);

        activity.retain(List.of("node3"));

        assertEquals(OptionalLong.empty(), activity.lastTraffic("node2"));
        assertTrue(activity.active("node3", 10));
        assertEquals(List.of(), activity.observe("nft", Map.of("node2", 2L), 20), "node2's count starts again");
    }

    @Test
    void theIdleTimeoutMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new PeerActivity(Duration.ZERO));
    }
}
