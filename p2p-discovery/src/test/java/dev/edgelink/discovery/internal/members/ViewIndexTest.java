package dev.edgelink.discovery.internal.members;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.discovery.TestRecords;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.peer.PeerId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The range hashes anti-entropy compares: keys and entry hashes as specified, sums that add up. */
class ViewIndexTest {

    private static final List<PeerId> PEERS = new ArrayList<>();

    @BeforeAll
    static void peers() {
        for (int i = 0; i < 600; i++) {
            PEERS.add(TestRecords.peerOf(Keys.generateEd25519()));
        }
    }

    private static Map<PeerId, Long> digest(int n) {
        Map<PeerId, Long> d = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            d.put(PEERS.get(i), 1000L + i);
        }
        return d;
    }

    @Test
    void keyAndEntryHashAreThoseOfTheSpecification() {
        // Computed with Python's hashlib and a transcription of SplitMix64's finaliser, not with this code.
        PeerId peer = TestRecords.peerOf(TestRecords.fixedKey());
        assertEquals(0x06567cf09231b705L, ViewIndex.key(peer));
        assertEquals(0xb2b8394ea86e1819L, ViewIndex.entryHash(ViewIndex.key(peer), 1));
        assertEquals(0xfef7188757ea69caL, ViewIndex.entryHash(ViewIndex.key(peer), 5));
        assertEquals(0x7101c895ef0be762L, ViewIndex.entryHash(ViewIndex.key(peer), 1_700_000_000_000L));
    }

    @Test
    void aRangeIsTheSumOfItsChildrenDownToSingleKeys() {
        ViewIndex index = ViewIndex.of(digest(600), ViewIndex.EMPTY);
        Exchange.Summary root = index.summary(KeyRange.ROOT);
        assertEquals(600, root.count());
        checkChildren(index, KeyRange.ROOT);
        // Follow one record all the way down: at every depth exactly one range of the 16 holds it.
        long key = ViewIndex.key(PEERS.get(7));
        KeyRange r = KeyRange.ROOT;
        while (r.depth() < KeyRange.MAX_DEPTH) {
            KeyRange next = null;
            for (int n = 0; n < KeyRange.FANOUT; n++) {
                if (r.child(n).contains(key)) {
                    assertEquals(null, next, "two children hold key " + Long.toHexString(key));
                    next = r.child(n);
                }
            }
            r = next;
            checkChildren(index, r.depth() < KeyRange.MAX_DEPTH ? r : KeyRange.ROOT);
        }
        assertEquals(key, r.prefix());
        assertEquals(List.of(new Exchange.Entry(PEERS.get(7), 1007L)), index.entries(r));
        assertEquals(ViewIndex.entryHash(key, 1007L), index.summary(r).hash());
    }

    private static void checkChildren(ViewIndex index, KeyRange parent) {
        Exchange.Summary whole = index.summary(parent);
        int count = 0;
        long hash = 0;
        for (int n = 0; n < KeyRange.FANOUT; n++) {
            KeyRange child = parent.child(n);
            Exchange.Summary s = index.summary(child);
            count += s.count();
            hash += s.hash();
            for (Exchange.Entry e : index.entries(child)) {
                assertTrue(child.contains(ViewIndex.key(e.peer())), e + " listed outside " + child);
            }
            assertEquals(s.count(), index.entries(child).size());
        }
        assertEquals(whole.count(), count, "counts of " + parent);
        assertEquals(whole.hash(), hash, "hashes of " + parent);
    }

    @Test
    void theSameRecordsGiveTheSameSummaryAndAnyDifferenceChangesIt() {
        Map<PeerId, Long> d = digest(300);
        Map<PeerId, Long> reversed = new LinkedHashMap<>();
        List<PeerId> order = new ArrayList<>(d.keySet());
        for (int i = order.size() - 1; i >= 0; i--) {
            reversed.put(order.get(i), d.get(order.get(i)));
        }
        ViewIndex a = ViewIndex.of(d, ViewIndex.EMPTY);
        ViewIndex b = ViewIndex.of(reversed, a);
        assertEquals(a.summary(KeyRange.ROOT), b.summary(KeyRange.ROOT));

        Map<PeerId, Long> newer = new HashMap<>(d);
        newer.put(PEERS.get(3), d.get(PEERS.get(3)) + 1);
        Exchange.Summary changed = ViewIndex.of(newer, a).summary(KeyRange.ROOT);
        assertEquals(300, changed.count());
        assertNotEquals(a.summary(KeyRange.ROOT).hash(), changed.hash());

        Map<PeerId, Long> fewer = new HashMap<>(d);
        fewer.remove(PEERS.get(3));
        assertEquals(299, ViewIndex.of(fewer, a).summary(KeyRange.ROOT).count());
        // Only the ranges that hold the changed record differ.
        long key = ViewIndex.key(PEERS.get(3));
        ViewIndex n = ViewIndex.of(newer, a);
        for (int i = 0; i < KeyRange.FANOUT; i++) {
            KeyRange child = KeyRange.ROOT.child(i);
            assertEquals(child.contains(key), !a.summary(child).equals(n.summary(child)), child.toString());
        }
    }

    @Test
    void theWayForKeysThatCollideSortsAsTheFastWay() {
        Map<PeerId, Long> d = digest(600);
        ViewIndex fast = ViewIndex.of(d, ViewIndex.EMPTY);
        ViewIndex slow = ViewIndex.sortedAsObjects(d, new HashMap<>());
        for (int n = 0; n < KeyRange.FANOUT; n++) {
            KeyRange r = KeyRange.ROOT.child(n).child(15 - n);
            assertEquals(fast.summary(r), slow.summary(r));
            assertEquals(fast.entries(r), slow.entries(r));
        }
        assertEquals(fast.entries(KeyRange.ROOT), slow.entries(KeyRange.ROOT));
    }

    @Test
    void anEmptyViewHasAnEmptyRoot() {
        assertEquals(new Exchange.Summary(KeyRange.ROOT, 0, 0), ViewIndex.EMPTY.summary(KeyRange.ROOT));
        assertTrue(ViewIndex.EMPTY.entries(KeyRange.ROOT.child(15)).isEmpty());
    }

    @Test
    void keyRangesCoverTheirPrefixOnly() {
        KeyRange f = KeyRange.ROOT.child(15);
        assertEquals(0xf000000000000000L, f.first());
        assertEquals(-1L, f.last());
        assertTrue(f.contains(-1L));
        assertFalse(f.contains(0x7fffffffffffffffL));
        KeyRange deep = f.child(0).child(3);
        assertEquals(0xf03L, deep.prefix());
        assertEquals(0xf030000000000000L, deep.first());
        assertEquals(0xf03fffffffffffffL, deep.last());
        assertTrue(KeyRange.isValid(16, -1L));
        assertFalse(KeyRange.isValid(17, 0));
        assertFalse(KeyRange.isValid(2, 0x100));
        assertFalse(KeyRange.isValid(0, 1));
    }
}
