package dev.edgelink.discovery.internal.members;

import static dev.edgelink.discovery.TestRecords.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.discovery.MembershipStore;
import dev.edgelink.discovery.SignedRecord;
import dev.edgelink.discovery.StoreLimits;
import dev.edgelink.discovery.TestRecords;
import dev.edgelink.discovery.trust.Fingerprint;
import dev.edgelink.libp2p.LimitExceededException;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.crypto.PrivKey;
import dev.edgelink.libp2p.peer.PeerId;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The exchange state machine, two stores back to back through the codec, no sockets. */
class PushPullSessionTest {

    private static final MembersCodec.Limits LIMITS = new MembersCodec.Limits(1 << 20, 8192, 8192);
    private static final int FLEET = 5000;
    /** Signed records of a fleet, made once: {@code RECORDS[i]} is node i's at sequence 1. */
    private static final List<SignedRecord> RECORDS = new ArrayList<>();
    private static final List<PrivKey> KEYS = new ArrayList<>();

    @BeforeAll
    static void fleet() {
        for (int i = 0; i < FLEET; i++) {
            PrivKey k = Keys.generateEd25519();
            KEYS.add(k);
            RECORDS.add(TestRecords.signed(k, "node-" + i, "10." + (i >> 8) + "." + (i & 0xff) + ".0/24", 1));
        }
    }

    /** A store holding nodes {@code from..to-1} of the fleet. */
    private static MembershipStore store(int from, int to) {
        MembershipStore s = MembershipStore.inMemory(new StoreLimits(8192,
                StoreLimits.DEFAULT_MAX_RECORD_LIFETIME_MILLIS, StoreLimits.DEFAULT_REJECTION_LOG_MEMORY));
        for (int i = from; i < to; i++) {
            assertTrue(s.offer(RECORDS.get(i), T0).isAccepted());
        }
        return s;
    }

    private static SignedRecord newer(int node, long seq) {
        return TestRecords.signed(KEYS.get(node), "node-" + node, RECORDS.get(node).record().podCidrs().get(0)
                .toString(), seq);
    }

    /** The store as a session sees it; what other exchanges fetch is in {@code fetching}. */
    static final class StoreView implements PushPullSession.Local {
        final MembershipStore store;
        final Map<PeerId, Long> fetching = new HashMap<>();
        private ViewIndex index = ViewIndex.EMPTY;
        private long version = -1;

        StoreView(MembershipStore store) {
            this.store = store;
        }

        @Override
        public ViewIndex index() {
            if (store.version() != version) {
                version = store.version();
                index = ViewIndex.of(store.digest(), index);
            }
            return index;
        }

        @Override
        public Optional<SignedRecord> record(PeerId peer) {
            return store.record(peer);
        }

        @Override
        public Map<Fingerprint, Long> revocationDigest() {
            return store.trust().revocationDigest();
        }

        @Override
        public Optional<byte[]> revocation(Fingerprint ca) {
            return store.trust().revocation(ca).map(l -> l.encoded());
        }

        @Override
        public CompletableFuture<Void> offer(List<byte[]> revocations, List<byte[]> records) {
            revocations.forEach(l -> store.offerRevocation(l, T0));
            records.forEach(r -> store.offer(r, T0));
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public boolean claim(PeerId peer, long seq) {
            if (store.record(peer).map(r -> r.sequence() >= seq).orElse(false)
                    || fetching.getOrDefault(peer, -1L) >= seq) {
                return false;
            }
            fetching.put(peer, seq);
            return true;
        }
    }

    /** What a whole exchange took: messages and bytes each way, the largest message. */
    record Run(PushPullSession initiator, PushPullSession responder, int messages, long bytes, int largest) {
    }

    /** Runs an exchange through the codec until both sides are done. */
    private static Run run(PushPullSession i, PushPullSession r) {
        byte[] frame = MembersCodec.encode(i.start());
        PushPullSession[] sides = {r, i};
        int messages = 1;
        long bytes = frame.length;
        int largest = frame.length;
        for (int turn = 0;; turn++) {
            PushPullSession receiver = sides[turn % 2];
            PushPullSession.Step step = receiver.onMessage(MembersCodec.decode(Unpooled.wrappedBuffer(frame),
                    receiver.limits()));
            assertTrue(step.offered().isDone());
            if (step.reply().isEmpty()) {
                assertTrue(step.done());
                break;
            }
            frame = MembersCodec.encode(step.reply().get());
            messages++;
            bytes += frame.length;
            largest = Math.max(largest, frame.length);
            assertTrue(messages < 2000, "the exchange does not end");
        }
        assertEquals(PushPullSession.State.DONE, i.state());
        assertEquals(PushPullSession.State.DONE, r.state());
        return new Run(i, r, messages, bytes, largest);
    }

    private static Run sync(MembershipStore left, MembershipStore right, MembersCodec.Limits limits) {
        return run(PushPullSession.sync(PushPullSession.Role.INITIATOR, new StoreView(left), limits),
                PushPullSession.sync(PushPullSession.Role.RESPONDER, new StoreView(right), limits));
    }

    @Test
    void oneExchangeGivesBothSidesEverythingNewer() {
        MembershipStore left = store(0, 40);
        MembershipStore right = store(20, 60);
        left.offer(newer(25, 7), T0);
        right.offer(newer(30, 3), T0);
        Run run = sync(left, right, LIMITS);
        assertEquals(left.digest(), right.digest());
        assertEquals(60, left.digest().size());
        assertEquals(7L, right.digest().get(RECORDS.get(25).peerId()));
        assertEquals(3L, left.digest().get(RECORDS.get(30).peerId()));
        assertEquals(21, run.initiator().sent(), "left sent nodes 0..19 and the newer node 25");
        assertEquals(21, run.initiator().received(), "left got nodes 40..59 and the newer node 30");
    }

    @Test
    void viewsInStepCostOneSmallMessageEachWayWhateverTheirSize() {
        for (int n : new int[] {10, 1000, 5000}) {
            Run run = sync(store(0, n), store(0, n), LIMITS);
            System.out.printf("views of %d in step: %d messages, %d bytes%n", n, run.messages(), run.bytes());
            assertEquals(2, run.messages(), "n=" + n);
            assertTrue(run.bytes() < 64, "n=" + n + ": " + run.bytes() + " bytes");
            assertEquals(0, run.initiator().sent() + run.initiator().received());
        }
    }

    @Test
    void aFewDifferencesInALargeViewCostAFewTurnsAndTheirRecordsOnly() {
        MembershipStore left = store(0, 2000);
        MembershipStore right = store(0, 2000);
        left.offer(newer(17, 2), T0);
        right.offer(newer(1017, 2), T0);
        left.offer(RECORDS.get(2000), T0);
        Run run = sync(left, right, LIMITS);
        assertEquals(left.digest(), right.digest());
        assertEquals(2, run.initiator().sent(), "node 17 and node 2000");
        assertEquals(1, run.initiator().received(), "node 1017");
        System.out.printf("3 differences in 2000: %d messages, %d bytes%n", run.messages(), run.bytes());
        // log16(2000 / 16) is under 2 levels of sub-ranges: summaries, summaries, listings, wants and records.
        assertTrue(run.messages() <= 7, run.messages() + " messages");
        long records = 3L * RECORDS.get(0).envelopeSize();
        assertTrue(run.bytes() < records + 4 * 1024, run.bytes() + " bytes");
    }

    @Test
    void aFirstSyncOf5000RecordsIsPagedWithinOneExchange() {
        MembershipStore full = store(0, FLEET);
        MembershipStore fresh = store(0, 1);
        int page = 128 * 1024;
        MembersCodec.Limits small = new MembersCodec.Limits(page, 8192, 8192);
        Run run = run(PushPullSession.sync(PushPullSession.Role.INITIATOR, new StoreView(fresh), small),
                PushPullSession.sync(PushPullSession.Role.RESPONDER, new StoreView(full), LIMITS));
        assertEquals(full.digest(), fresh.digest());
        assertEquals(FLEET - 1, run.initiator().received());
        assertTrue(run.largest() <= page + 8, "a message of " + run.largest() + " bytes, over the page of " + page);
        long total = (long) FLEET * RECORDS.get(0).envelopeSize();
        System.out.printf("first sync of %d records (%d bytes) in pages of %d: %d messages, %d bytes%n", FLEET,
                total, page, run.messages(), run.bytes());
        assertTrue(run.messages() > 2 * total / page, "paged: " + run.messages());
    }

    @Test
    void whatDoesNotFitTheRecordLimitGoesInFurtherTurns() {
        MembershipStore left = store(0, 50);
        MembershipStore right = store(0, 0);
        Run run = sync(left, right, new MembersCodec.Limits(1 << 20, 8192, 3));
        assertEquals(left.digest(), right.digest());
        assertTrue(run.messages() >= 2 * 50 / 3, run.messages() + " messages");
    }

    @Test
    void aPushIsWantedOnlyWhereItIsNewAndOnlyOnceAtATime() {
        MembershipStore pusher = store(0, 10);
        pusher.offer(newer(3, 5), T0);
        MembershipStore receiver = store(0, 10);
        StoreView receiving = new StoreView(receiver);
        List<Exchange.Entry> announce = List.of(new Exchange.Entry(RECORDS.get(3).peerId(), 5),
                new Exchange.Entry(RECORDS.get(4).peerId(), 1));
        Run run = run(PushPullSession.pusher(new StoreView(pusher), LIMITS, announce),
                PushPullSession.pushed(receiving, LIMITS));
        assertEquals(3, run.messages(), "announce, want, record");
        assertEquals(1, run.initiator().sent(), "node 3 only: node 4's record was no news");
        assertEquals(5L, receiver.digest().get(RECORDS.get(3).peerId()));

        // Another pusher of the same record while a fetch of it runs elsewhere: announced, not wanted.
        MembershipStore late = store(0, 10);
        late.offer(newer(6, 9), T0);
        StoreView busy = new StoreView(store(0, 10));
        busy.fetching.put(RECORDS.get(6).peerId(), 9L);
        Run second = run(PushPullSession.pusher(new StoreView(late), LIMITS,
                List.of(new Exchange.Entry(RECORDS.get(6).peerId(), 9))), PushPullSession.pushed(busy, LIMITS));
        assertEquals(2, second.messages(), "announce, and a reply that wants nothing");
        assertEquals(0, second.initiator().sent());
    }

    @Test
    void messagesOutOfTurnOrPlaceAreProtocolViolations() {
        StoreView view = new StoreView(store(0, 3));
        byte[] some = RECORDS.get(0).envelope();
        Exchange root = Exchange.builder().range(new Exchange.Summary(KeyRange.ROOT, 0, 0)).build();
        // The initiator's first message carries records, or nothing to compare.
        assertThrows(ProtocolViolationException.class, () -> PushPullSession.sync(PushPullSession.Role.RESPONDER,
                view, LIMITS).onMessage(Exchange.builder().range(new Exchange.Summary(KeyRange.ROOT, 0, 0))
                .record(some).build()));
        assertThrows(ProtocolViolationException.class, () -> PushPullSession.sync(PushPullSession.Role.RESPONDER,
                view, LIMITS).onMessage(Exchange.builder().build()));
        // An announcement in a sync; ranges in a push.
        assertThrows(ProtocolViolationException.class, () -> PushPullSession.sync(PushPullSession.Role.RESPONDER,
                view, LIMITS).onMessage(Exchange.builder().range(new Exchange.Summary(KeyRange.ROOT, 0, 0))
                .announce(new Exchange.Entry(RECORDS.get(0).peerId(), 1)).build()));
        assertThrows(ProtocolViolationException.class, () -> PushPullSession.pushed(view, LIMITS).onMessage(root));
        // A message before start, or after the end.
        PushPullSession i = PushPullSession.sync(PushPullSession.Role.INITIATOR, view, LIMITS);
        assertThrows(ProtocolViolationException.class, () -> i.onMessage(Exchange.builder().build()));
        i.start();
        assertTrue(i.onMessage(Exchange.builder().build()).done());
        assertThrows(ProtocolViolationException.class, () -> i.onMessage(Exchange.builder().build()));
        // A remote that says it accepts less than any member must.
        assertThrows(ProtocolViolationException.class, () -> PushPullSession.sync(PushPullSession.Role.RESPONDER,
                view, LIMITS).onMessage(Exchange.builder().range(new Exchange.Summary(KeyRange.ROOT, 0, 0))
                .maxReplyBytes(1000).build()));
        assertEquals(3, view.store.members().size(), "nothing from these messages was offered");
    }

    @Test
    void aListingOutsideItsRangeOrWithAPeerTwiceIsAProtocolViolation() {
        StoreView view = new StoreView(store(0, 40));
        PeerId peer = RECORDS.get(0).peerId();
        long key = ViewIndex.key(peer);
        KeyRange other = KeyRange.ROOT.child((int) (key >>> 60) ^ 1);
        PushPullSession i = PushPullSession.sync(PushPullSession.Role.INITIATOR, view, LIMITS);
        i.start();
        assertThrows(ProtocolViolationException.class, () -> i.onMessage(Exchange.builder()
                .items(new Exchange.Items(other, List.of(new Exchange.Entry(peer, 1)))).build()));
        PushPullSession j = PushPullSession.sync(PushPullSession.Role.INITIATOR, view, LIMITS);
        j.start();
        KeyRange own = KeyRange.ROOT.child((int) (key >>> 60));
        assertThrows(ProtocolViolationException.class, () -> j.onMessage(Exchange.builder()
                .items(new Exchange.Items(own, List.of(new Exchange.Entry(peer, 1), new Exchange.Entry(peer, 2))))
                .build()));
    }

    @Test
    void aRemoteThatNeverStopsIsCutAtTheMessageLimit() {
        StoreView view = new StoreView(store(0, 3));
        PushPullSession i = PushPullSession.sync(PushPullSession.Role.INITIATOR, view, LIMITS);
        i.start();
        Exchange again = Exchange.builder().more(true).build();
        for (int n = 1; n <= i.maxMessages(); n++) {
            PushPullSession.Step step = i.onMessage(again);
            assertFalse(step.done(), "turn " + n);
        }
        assertThrows(LimitExceededException.class, () -> i.onMessage(again));
    }
}
