package dev.edgelink.discovery;

import static dev.edgelink.discovery.TestRecords.T0;
import static dev.edgelink.discovery.TestRecords.TTL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.crypto.PrivKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every {@link MembershipStore} must do. Time is an argument: {@code T0} and offsets from it. */
public abstract class MembershipStoreContractTest {

    private static final PrivKey A = Keys.generateEd25519();
    private static final PrivKey B = Keys.generateEd25519();
    private static final PrivKey C = Keys.generateEd25519();

    protected MembershipStore store;
    protected final List<String> events = new ArrayList<>();

    /** A fresh, empty store with these limits. */
    protected abstract MembershipStore newStore(StoreLimits limits);

    @BeforeEach
    void setUp() {
        store = newStore(StoreLimits.DEFAULT);
        store.addListener(recorder(events));
    }

    static MembershipListener recorder(List<String> events) {
        return new MembershipListener() {
            @Override
            public void joined(SignedRecord r) {
                events.add("joined " + r.nodeName() + "@" + r.sequence());
            }

            @Override
            public void updated(SignedRecord previous, SignedRecord current) {
                events.add("updated " + previous.nodeName() + "@" + previous.sequence() + "->" + current.sequence());
            }

            @Override
            public void left(SignedRecord last, DepartureReason reason) {
                events.add("left " + last.nodeName() + "@" + last.sequence() + " " + reason);
            }
        };
    }

    private static SignedRecord rec(PrivKey key, String name, String cidr, long seq) {
        return TestRecords.signed(key, name, cidr, seq);
    }

    private static SignedRecord leaving(PrivKey key, String name, long seq) {
        return NodeRecords.sign(key, TestRecords.record(key, name, "10.244.1.0/24", seq).leaving(true).build());
    }

    private static void assertRejected(RejectReason reason, OfferResult result) {
        assertEquals(OfferResult.Status.REJECTED, result.status(), result.detail());
        assertEquals(Optional.of(reason), result.reason(), result.detail());
    }

    @Test
    void aNewRecordIsAcceptedAndJoins() {
        SignedRecord a = rec(A, "node-a", "10.244.1.0/24", 1);
        assertTrue(store.offer(a, T0).isAccepted());
        assertEquals(List.of(a), store.members());
        assertEquals(Optional.of(a), store.member(a.peerId()));
        assertEquals(Optional.of(a), store.memberByName("node-a"));
        assertEquals(Map.of(a.peerId(), 1L), store.digest());
        assertEquals(List.of("joined node-a@1"), events);
    }

    @Test
    void aHigherSequenceReplacesTheRecordAndReportsOldAndNew() {
        store.offer(rec(A, "node-a", "10.244.1.0/24", 1), T0);
        SignedRecord newer = rec(A, "node-a", "10.244.9.0/24", 5);
        assertTrue(store.offer(newer, T0).isAccepted());
        assertEquals(Optional.of(newer), store.member(newer.peerId()));
        assertEquals(List.of("joined node-a@1", "updated node-a@1->5"), events);
    }

    @Test
    void anEqualOrLowerSequenceIsStaleAndChangesNothing() {
        SignedRecord current = rec(A, "node-a", "10.244.1.0/24", 5);
        store.offer(current, T0);
        assertEquals(OfferResult.Status.STALE, store.offer(rec(A, "node-a", "10.244.1.0/24", 5), T0).status());
        assertEquals(OfferResult.Status.STALE, store.offer(rec(A, "node-a", "10.244.2.0/24", 4), T0).status());
        assertEquals(Optional.of(current), store.member(current.peerId()));
        assertEquals(List.of("joined node-a@5"), events);
    }

    @Test
    void theVersionChangesWithTheDigestAndOnlyThen() {
        long v0 = store.version();
        store.offer(rec(A, "node-a", "10.244.1.0/24", 1), T0);
        long v1 = store.version();
        assertTrue(v1 != v0, "a new record");
        store.offer(rec(A, "node-a", "10.244.1.0/24", 1), T0);
        store.offer(rec(B, "node-b", "10.244.1.0/24", 1), T0);
        store.sweep(T0 + TTL - 1);
        assertEquals(v1, store.version(), "a stale offer, a rejected one and a sweep that removes nothing");
        store.offer(rec(A, "node-a", "10.244.1.0/24", 2), T0);
        long v2 = store.version();
        assertTrue(v2 != v1, "a newer sequence");
        store.offer(leaving(A, "node-a", 3), T0);
        long v3 = store.version();
        assertTrue(v3 != v2, "a tombstone");
        store.sweep(T0 + TTL);
        assertTrue(store.version() != v3, "a sweep that removes the tombstone");
    }

    @Test
    void aRecordIsAcceptedOneMillisecondBeforeItsExpiryAndRejectedAtIt() {
        SignedRecord a = rec(A, "node-a", "10.244.1.0/24", 1);
        assertRejected(RejectReason.EXPIRED, store.offer(a, T0 + TTL));
        assertTrue(store.members().isEmpty());
        assertTrue(store.offer(a, T0 + TTL - 1).isAccepted());
    }

    @Test
    void aSweepOneMillisecondBeforeExpiryKeepsTheMemberAndOneAtExpiryRemovesIt() {
        store.offer(rec(A, "node-a", "10.244.1.0/24", 1), T0);
        assertEquals(0, store.sweep(T0 + TTL - 1));
        assertEquals(1, store.members().size());
        assertEquals(1, store.sweep(T0 + TTL));
        assertTrue(store.members().isEmpty());
        assertTrue(store.digest().isEmpty());
        assertEquals(List.of("joined node-a@1", "left node-a@1 EXPIRED"), events);
    }

    @Test
    void aLeavingRecordTurnsTheMemberIntoATombstoneThatBlocksOlderCopies() {
        SignedRecord a = rec(A, "node-a", "10.244.1.0/24", 1);
        store.offer(a, T0);
        SignedRecord gone = leaving(A, "node-a", 2);
        assertTrue(store.offer(gone, T0 + 10).isAccepted());
        assertTrue(store.members().isEmpty());
        assertEquals(Optional.empty(), store.member(a.peerId()));
        assertEquals(Optional.empty(), store.memberByName("node-a"));
        assertEquals(Optional.of(gone), store.record(a.peerId()));
        assertEquals(Map.of(a.peerId(), 2L), store.digest());
        assertEquals(OfferResult.Status.STALE, store.offer(a, T0 + 20).status());
        assertEquals(List.of("joined node-a@1", "left node-a@1 LEFT"), events);
        assertEquals(1, store.sweep(T0 + TTL));
        assertTrue(store.digest().isEmpty());
        assertEquals(2, events.size(), "a tombstone expires silently");
    }

    @Test
    void aNodeRejoinsWithAHigherSequenceAfterLeaving() {
        store.offer(rec(A, "node-a", "10.244.1.0/24", 1), T0);
        store.offer(leaving(A, "node-a", 2), T0);
        assertTrue(store.offer(rec(A, "node-a", "10.244.1.0/24", 3), T0).isAccepted());
        assertEquals(List.of("joined node-a@1", "left node-a@1 LEFT", "joined node-a@3"), events);
    }

    @Test
    void aLeavingRecordOfAnUnknownNodeIsKeptSilentlyAsATombstone() {
        assertTrue(store.offer(leaving(A, "node-a", 9), T0).isAccepted());
        assertTrue(store.members().isEmpty());
        assertEquals(OfferResult.Status.STALE, store.offer(rec(A, "node-a", "10.244.1.0/24", 8), T0).status());
        assertTrue(events.isEmpty());
    }

    @Test
    void aPodCidrOverlappingAnotherLiveNodesIsRejected() {
        store.offer(rec(A, "node-a", "10.244.0.0/16", 1), T0);
        assertRejected(RejectReason.POD_CIDR_OVERLAP, store.offer(rec(B, "node-b", "10.244.7.0/24", 1), T0));
        assertRejected(RejectReason.POD_CIDR_OVERLAP, store.offer(rec(B, "node-b", "10.0.0.0/8", 1), T0));
        assertTrue(store.offer(rec(B, "node-b", "10.245.0.0/16", 1), T0).isAccepted());
        assertEquals(2, store.members().size());
    }

    @Test
    void ipv6PodCidrsAreCheckedForOverlapToo() {
        store.offer(NodeRecords.sign(A, TestRecords.record(A, "node-a", "fd00:10:244:1::/64", 1).build()), T0);
        assertRejected(RejectReason.POD_CIDR_OVERLAP, store.offer(
                NodeRecords.sign(B, TestRecords.record(B, "node-b", "fd00:10:244::/48", 1).build()), T0));
    }

    @Test
    void aNodeMayChangeItsOwnPodCidrWithinWhatItHeld() {
        store.offer(rec(A, "node-a", "10.244.0.0/16", 1), T0);
        assertTrue(store.offer(rec(A, "node-a", "10.244.1.0/24", 2), T0).isAccepted());
    }

    @Test
    void thePodCidrOfANodeThatLeftOrExpiredIsFreeAgain() {
        store.offer(rec(A, "node-a", "10.244.1.0/24", 1), T0);
        store.offer(leaving(A, "node-a", 2), T0);
        assertTrue(store.offer(rec(B, "node-b", "10.244.1.0/24", 1), T0).isAccepted());
        SignedRecord c = NodeRecords.sign(C, TestRecords.record(C, "node-c", "10.244.1.0/24", 1)
                .issuedAtMillis(T0 + TTL).expiresAtMillis(T0 + 2 * TTL).build());
        assertRejected(RejectReason.POD_CIDR_OVERLAP, store.offer(c, T0 + TTL - 1));
        assertTrue(store.offer(c, T0 + TTL).isAccepted(), "node-b's record is dead at its expiry, swept or not");
    }

    @Test
    void aNodeNameUsedByAnotherLivePeerIsRejected() {
        store.offer(rec(A, "node-a", "10.244.1.0/24", 1), T0);
        assertRejected(RejectReason.NODE_NAME_TAKEN, store.offer(rec(B, "node-a", "10.244.2.0/24", 1), T0));
        assertEquals(Optional.of(TestRecords.peerOf(A)), store.memberByName("node-a").map(SignedRecord::peerId));
    }

    @Test
    void aRecordLivingLongerThanTheLimitIsRejected() {
        long limit = StoreLimits.DEFAULT_MAX_RECORD_LIFETIME_MILLIS;
        NodeRecord.Builder b = TestRecords.record(A, "node-a", "10.244.1.0/24", 1);
        assertRejected(RejectReason.LIFETIME_TOO_LONG,
                store.offer(NodeRecords.sign(A, b.expiresAtMillis(T0 + limit + 1).build()), T0));
        assertTrue(store.offer(NodeRecords.sign(A, b.expiresAtMillis(T0 + limit).build()), T0).isAccepted());
    }

    @Test
    void aFullStoreRejectsNewPeersButStillTakesUpdates() {
        store = newStore(new StoreLimits(2, StoreLimits.DEFAULT_MAX_RECORD_LIFETIME_MILLIS, 16));
        store.offer(rec(A, "node-a", "10.244.1.0/24", 1), T0);
        store.offer(rec(B, "node-b", "10.244.2.0/24", 1), T0);
        assertRejected(RejectReason.CAPACITY, store.offer(rec(C, "node-c", "10.244.3.0/24", 1), T0));
        assertTrue(store.offer(rec(A, "node-a", "10.244.1.0/24", 2), T0).isAccepted());
    }

    @Test
    void envelopesThatFailVerificationAreRejectedWithTheirReason() {
        SignedRecord a = rec(A, "node-a", "10.244.1.0/24", 1);
        byte[] flipped = a.envelope();
        flipped[flipped.length - 1] ^= 1;
        assertRejected(RejectReason.BAD_SIGNATURE, store.offer(flipped, T0));
        byte[] record = TestRecords.rawRecord(A).build().toByteArray();
        assertRejected(RejectReason.PEER_ID_MISMATCH,
                store.offer(TestRecords.envelope(B.publicKey().marshal(), record, B), T0));
        assertRejected(RejectReason.MALFORMED, store.offer(new byte[] {1, 2, 3}, T0));
        assertTrue(store.members().isEmpty());
        assertTrue(store.offer(a.envelope(), T0).isAccepted());
    }

    @Test
    void aFailingListenerDoesNotStopTheStoreOrOtherListeners() {
        MembershipStore s = newStore(StoreLimits.DEFAULT);
        List<String> seen = new ArrayList<>();
        s.addListener(new MembershipListener() {
            @Override
            public void joined(SignedRecord record) {
                throw new IllegalStateException("listener bug");
            }
        });
        s.addListener(recorder(seen));
        assertTrue(s.offer(rec(A, "node-a", "10.244.1.0/24", 1), T0).isAccepted());
        assertEquals(List.of("joined node-a@1"), seen);
    }

    @Test
    void aRemovedListenerHearsNothingMore() {
        MembershipStore s = newStore(StoreLimits.DEFAULT);
        List<String> seen = new ArrayList<>();
        MembershipListener l = recorder(seen);
        s.addListener(l);
        s.removeListener(l);
        s.offer(rec(A, "node-a", "10.244.1.0/24", 1), T0);
        assertFalse(seen.contains("joined node-a@1"));
    }
}
