package dev.edgelink.discovery.internal.members;

import static dev.edgelink.discovery.TestRecords.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.discovery.MembershipStore;
import dev.edgelink.discovery.SignedRecord;
import dev.edgelink.discovery.TestRecords;
import dev.edgelink.discovery.trust.Fingerprint;
import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.crypto.PrivKey;
import dev.edgelink.libp2p.peer.PeerId;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The exchange state machine, two stores back to back, no sockets. */
class PushPullSessionTest {

    private static final MembersCodec.Limits LIMITS = new MembersCodec.Limits(1 << 20, 4096, 4096);
    private static final PrivKey A = Keys.generateEd25519();
    private static final PrivKey B = Keys.generateEd25519();
    private static final PrivKey C = Keys.generateEd25519();

    private static PushPullSession.Local view(MembershipStore store) {
        return new PushPullSession.Local() {
            @Override
            public Map<PeerId, Long> digest() {
                return store.digest();
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
            public void offer(List<byte[]> revocations, List<byte[]> records) {
                revocations.forEach(l -> store.offerRevocation(l, T0));
                records.forEach(r -> store.offer(r, T0));
            }

            @Override
            public int acceptBytes() {
                return LIMITS.maxMessageBytes();
            }
        };
    }

    /** Runs a whole exchange through the codec; returns {initiator, responder}. */
    private static PushPullSession[] run(MembershipStore initiatorStore, MembershipStore responderStore,
            MembersCodec.Limits limits) {
        PushPullSession i = new PushPullSession(PushPullSession.Role.INITIATOR, view(initiatorStore), limits);
        PushPullSession r = new PushPullSession(PushPullSession.Role.RESPONDER, view(responderStore), limits);
        PushPullSession.Step two = r.onMessage(roundTrip(i.start(), limits));
        assertTrue(two.closeWrite());
        assertEquals(PushPullSession.State.AWAIT_RECORDS, r.state());
        PushPullSession.Step three = i.onMessage(roundTrip(two.reply().orElseThrow(), limits));
        assertEquals(PushPullSession.State.DONE, i.state());
        PushPullSession.Step end = r.onMessage(roundTrip(three.reply().orElseThrow(), limits));
        assertTrue(end.reply().isEmpty());
        assertEquals(PushPullSession.State.DONE, r.state());
        return new PushPullSession[] {i, r};
    }

    private static Exchange roundTrip(Exchange m, MembersCodec.Limits limits) {
        return MembersCodec.decode(io.netty.buffer.Unpooled.wrappedBuffer(MembersCodec.encode(m)), limits);
    }

    @Test
    void oneExchangeGivesBothSidesEverythingNewer() {
        MembershipStore left = MembershipStore.inMemory();
        MembershipStore right = MembershipStore.inMemory();
        left.offer(TestRecords.signed(A, "node-a", "10.244.1.0/24", 1), T0);
        left.offer(TestRecords.signed(C, "node-c", "10.244.3.0/24", 7), T0);
        right.offer(TestRecords.signed(B, "node-b", "10.244.2.0/24", 1), T0);
        right.offer(TestRecords.signed(C, "node-c", "10.244.3.0/24", 3), T0);
        PushPullSession[] s = run(left, right, LIMITS);
        assertEquals(left.digest(), right.digest());
        assertEquals(7L, right.digest().get(TestRecords.peerOf(C)));
        assertEquals(1, s[0].received(), "left got node-b only");
        assertEquals(2, s[0].sent(), "left sent node-a and the newer node-c");
    }

    @Test
    void equalViewsExchangeNoRecords() {
        MembershipStore left = MembershipStore.inMemory();
        MembershipStore right = MembershipStore.inMemory();
        SignedRecord a = TestRecords.signed(A, "node-a", "10.244.1.0/24", 1);
        left.offer(a, T0);
        right.offer(a, T0);
        PushPullSession[] s = run(left, right, LIMITS);
        assertEquals(0, s[0].sent() + s[0].received() + s[1].sent() + s[1].received());
    }

    @Test
    void whatDoesNotFitTheRecordLimitWaitsForTheNextRound() {
        MembershipStore left = MembershipStore.inMemory();
        MembershipStore right = MembershipStore.inMemory();
        left.offer(TestRecords.signed(A, "node-a", "10.244.1.0/24", 1), T0);
        left.offer(TestRecords.signed(B, "node-b", "10.244.2.0/24", 1), T0);
        left.offer(TestRecords.signed(C, "node-c", "10.244.3.0/24", 1), T0);
        MembersCodec.Limits one = new MembersCodec.Limits(1 << 20, 4096, 1);
        run(left, right, one);
        assertEquals(1, right.digest().size());
        run(left, right, one);
        run(left, right, one);
        assertEquals(left.digest(), right.digest());
    }

    @Test
    void messagesOutOfOrderAreProtocolViolations() {
        MembershipStore store = MembershipStore.inMemory();
        byte[] some = TestRecords.signed(A, "node-a", "10.244.1.0/24", 1).envelope();
        PushPullSession r = new PushPullSession(PushPullSession.Role.RESPONDER, view(store), LIMITS);
        assertThrows(ProtocolViolationException.class, () -> r.onMessage(Exchange.recordsOnly(List.of(some))));
        PushPullSession r2 = new PushPullSession(PushPullSession.Role.RESPONDER, view(store), LIMITS);
        r2.onMessage(Exchange.digestOnly(Map.of()));
        assertThrows(ProtocolViolationException.class,
                () -> r2.onMessage(Exchange.digestOnly(Map.of(TestRecords.peerOf(A), 1L))));
        PushPullSession i = new PushPullSession(PushPullSession.Role.INITIATOR, view(store), LIMITS);
        assertThrows(ProtocolViolationException.class, () -> i.onMessage(Exchange.digestOnly(Map.of())));
        i.start();
        i.onMessage(Exchange.digestOnly(Map.of()));
        assertThrows(ProtocolViolationException.class, () -> i.onMessage(Exchange.digestOnly(Map.of())));
        assertTrue(store.members().isEmpty(), "nothing from out-of-order messages was offered");
    }
}
