package dev.edgelink.discovery.internal.members;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.discovery.TestRecords;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.peer.PeerId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Rumour mongering's bookkeeping: who hears of a record, how often, and in which pushes. */
class RumoursTest {

    private static List<PeerId> peers(int n) {
        List<PeerId> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(TestRecords.peerOf(Keys.generateEd25519()));
        }
        return out;
    }

    @Test
    void aNewRecordGoesToAtMostFanoutTargetsNeverToItsSenderOrItsNodeAndOnlyOnce() {
        List<PeerId> connected = peers(10);
        List<PeerId> records = peers(200);
        Rumours rumours = new Rumours(3, 1000, 1000, new Random(7));
        Map<PeerId, Integer> chosen = new HashMap<>();
        for (PeerId r : records) {
            PeerId from = connected.get(Math.floorMod(r.hashCode(), 10));
            Set<PeerId> exclude = Set.of(from, r);
            List<PeerId> targets = rumours.spread(new Exchange.Entry(r, 5), connected, exclude);
            assertEquals(3, targets.size());
            assertEquals(3, new HashSet<>(targets).size(), "distinct targets");
            assertFalse(targets.contains(from));
            targets.forEach(t -> chosen.merge(t, 1, Integer::sum));
            // The same record again, from anyone, in the same or an older sequence: never spread twice.
            assertTrue(rumours.spread(new Exchange.Entry(r, 5), connected, Set.of()).isEmpty());
            assertTrue(rumours.spread(new Exchange.Entry(r, 4), connected, Set.of()).isEmpty());
        }
        assertEquals(600, rumours.announcements(), "3 per record, no more");
        // Chosen at random: over 200 records every one of the 10 peers is picked, none always.
        assertEquals(10, chosen.size());
        chosen.values().forEach(n -> assertTrue(n > 20 && n < 120, chosen.toString()));
        // A newer sequence is news again.
        assertEquals(3, rumours.spread(new Exchange.Entry(records.get(0), 6), connected, Set.of()).size());
    }

    @Test
    void fewerCandidatesThanTheFanoutAreAllTakenAndNoneIsNothing() {
        List<PeerId> two = peers(2);
        PeerId record = peers(1).get(0);
        Rumours rumours = new Rumours(4, 10, 10, new Random(1));
        assertEquals(Set.copyOf(two), Set.copyOf(rumours.spread(new Exchange.Entry(record, 1),
                List.of(two.get(0), two.get(1), two.get(0)), Set.of())));
        assertTrue(rumours.spread(new Exchange.Entry(peers(1).get(0), 1), List.of(two.get(0)), Set.of(two.get(0)))
                .isEmpty());
        assertTrue(new Rumours(0, 10, 10, new Random(1)).spread(new Exchange.Entry(record, 1), two, Set.of())
                .isEmpty(), "fanout 0 pushes nothing");
    }

    @Test
    void announcementsForOneTargetWaitForItsRunningPushAndThenGoTogether() {
        PeerId target = peers(1).get(0);
        List<PeerId> records = peers(5);
        Rumours rumours = new Rumours(1, 100, 100, new Random(3));
        rumours.spread(new Exchange.Entry(records.get(0), 1), List.of(target), Set.of());
        assertEquals(List.of(target), rumours.ready());
        assertEquals(List.of(new Exchange.Entry(records.get(0), 1)), rumours.take(target, 100));
        for (int i = 1; i < 5; i++) {
            rumours.spread(new Exchange.Entry(records.get(i), 1), List.of(target), Set.of());
        }
        assertTrue(rumours.ready().isEmpty(), "a push to the target is running");
        assertTrue(rumours.take(target, 100).isEmpty());
        assertTrue(rumours.finished(target), "more waits");
        assertEquals(List.of(target), rumours.ready());
        assertEquals(2, rumours.take(target, 2).size(), "at most what one push may announce");
        assertTrue(rumours.finished(target));
        assertEquals(2, rumours.take(target, 100).size());
        assertFalse(rumours.finished(target));
        assertTrue(rumours.ready().isEmpty());
    }

    @Test
    void whatWaitsForOneTargetIsBoundedAndALostTargetIsForgotten() {
        PeerId target = peers(1).get(0);
        List<PeerId> records = peers(8);
        Rumours rumours = new Rumours(1, 5, 100, new Random(3));
        for (PeerId r : records) {
            rumours.spread(new Exchange.Entry(r, 1), List.of(target), Set.of());
        }
        assertEquals(3, rumours.dropped(), "the three oldest");
        List<Exchange.Entry> taken = rumours.take(target, 100);
        assertEquals(5, taken.size());
        assertEquals(records.get(3), taken.get(0).peer());
        rumours.finished(target);
        rumours.spread(new Exchange.Entry(records.get(0), 2), List.of(target), Set.of());
        rumours.drop(target);
        assertEquals(4, rumours.dropped());
        assertTrue(rumours.ready().isEmpty());
    }
}
