package dev.edgelink.libp2p.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.peer.PeerId;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The slot bookkeeping without sockets: handshake limits per source and in total, established slots. */
class ConnectionSlotsTest {

    private final List<String> closed = new ArrayList<>();
    private final List<Refusal> refused = new ArrayList<>();

    private ConnectionSlots slots(int perSource, int pending, int established) {
        return new ConnectionSlots(perSource, pending, established, (reason, detail) -> refused.add(reason));
    }

    private ConnectionSlots.Slot inbound(ConnectionSlots slots, String ip, String name) throws Exception {
        return slots.inbound(ConnectionSlots.Source.ip(InetAddress.getByName(ip)), name, () -> closed.add(name));
    }

    private static PeerId peer() {
        return PeerId.fromPublicKey(Keys.generateEd25519().publicKey());
    }

    @Test
    void aSourcePastItsLimitLosesItsOldestHandshakeNotTheNewOne() throws Exception {
        ConnectionSlots slots = slots(2, 100, 100);
        ConnectionSlots.Slot first = inbound(slots, "10.0.0.1", "a1");
        inbound(slots, "10.0.0.1", "a2");
        inbound(slots, "10.0.0.2", "b1");
        assertEquals(List.of(), closed);

        ConnectionSlots.Slot third = inbound(slots, "10.0.0.1", "a3");

        assertEquals(List.of("a1"), closed);
        assertEquals(List.of(Refusal.PENDING_PER_IP), refused);
        assertTrue(first.wasEvicted());
        assertEquals(ConnectionSlots.State.CLOSED, first.state());
        assertEquals(ConnectionSlots.State.HANDSHAKE, third.state());
        assertEquals(3, slots.pendingCount());
    }

    @Test
    void pastTheTotalTheOldestHandshakeOfAllIsClosed() throws Exception {
        ConnectionSlots slots = slots(8, 3, 100);
        inbound(slots, "10.0.0.1", "a1");
        inbound(slots, "10.0.0.2", "b1");
        inbound(slots, "10.0.0.1", "a2");
        inbound(slots, "10.0.0.3", "c1");
        inbound(slots, "10.0.0.3", "c2");

        assertEquals(List.of("a1", "b1"), closed);
        assertEquals(List.of(Refusal.PENDING_TOTAL, Refusal.PENDING_TOTAL), refused);
        assertEquals(3, slots.pendingCount());
    }

    @Test
    void handshakesTakeNoEstablishedSlotUntilAuthenticated() throws Exception {
        ConnectionSlots slots = slots(8, 100, 1);
        List<ConnectionSlots.Slot> strangers = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            strangers.add(inbound(slots, "10.0.0." + (i + 1), "s" + i));
        }
        assertEquals(0, slots.establishedCount());
        ConnectionSlots.Slot member = inbound(slots, "10.0.1.1", "member");

        assertEquals(ConnectionSlots.Outcome.ESTABLISHED, slots.authenticate(member, peer()));
        assertEquals(1, slots.establishedCount());
        assertEquals(20, slots.pendingCount());
        assertEquals(ConnectionSlots.Outcome.FULL, slots.authenticate(strangers.get(0), peer()));
        assertEquals(ConnectionSlots.State.CLOSED, strangers.get(0).state());
        assertEquals(19, slots.pendingCount());

        slots.release(member);
        slots.release(member);
        assertEquals(0, slots.establishedCount());
        assertEquals(ConnectionSlots.Outcome.ESTABLISHED, slots.authenticate(strangers.get(1), peer()));
        assertEquals(List.of(), closed);
    }

    @Test
    void anEvictedHandshakeCannotAuthenticateAfterwards() throws Exception {
        ConnectionSlots slots = slots(1, 100, 100);
        ConnectionSlots.Slot old = inbound(slots, "10.0.0.1", "old");
        inbound(slots, "10.0.0.1", "new");

        assertEquals(ConnectionSlots.Outcome.CLOSED, slots.authenticate(old, peer()));
        assertEquals(0, slots.establishedCount());
    }

    @Test
    void dialsAreNotCountedAsHandshakesButTakeEstablishedSlots() throws Exception {
        ConnectionSlots slots = slots(1, 1, 2);
        ConnectionSlots.Slot stranger = inbound(slots, "10.0.0.1", "stranger");
        ConnectionSlots.Slot dial1 = slots.outbound("d1", () -> closed.add("d1"));
        ConnectionSlots.Slot dial2 = slots.outbound("d2", () -> closed.add("d2"));

        assertEquals(1, slots.pendingCount());
        assertFalse(dial1.isInbound());
        assertEquals(ConnectionSlots.Outcome.ESTABLISHED, slots.authenticate(dial1, peer()));
        assertEquals(ConnectionSlots.Outcome.ESTABLISHED, slots.authenticate(dial2, peer()));
        assertEquals(ConnectionSlots.Outcome.FULL, slots.authenticate(stranger, peer()));
        assertEquals(List.of(), closed);
    }

    @Test
    void anIpv6SourceIsItsSlash64AndARelayedOneItsRemotePeer() throws Exception {
        ConnectionSlots.Source a = ConnectionSlots.Source.ip(InetAddress.getByName("2001:db8:1:2::1"));
        ConnectionSlots.Source b = ConnectionSlots.Source.ip(InetAddress.getByName("2001:db8:1:2:ffff::9"));
        ConnectionSlots.Source c = ConnectionSlots.Source.ip(InetAddress.getByName("2001:db8:1:3::1"));
        assertEquals(a, b);
        assertNotEquals(a, c);
        assertEquals("2001:db8:1:2:0:0:0:0/64", a.toString());
        assertEquals("10.0.0.1", ConnectionSlots.Source.ip(InetAddress.getByName("10.0.0.1")).toString());

        ConnectionSlots slots = slots(1, 100, 100);
        PeerId x = peer();
        slots.inbound(ConnectionSlots.Source.relayed(x), "x1", () -> closed.add("x1"));
        slots.inbound(ConnectionSlots.Source.relayed(peer()), "y1", () -> closed.add("y1"));
        slots.inbound(ConnectionSlots.Source.relayed(x), "x2", () -> closed.add("x2"));
        assertEquals(List.of("x1"), closed);
    }

    @Test
    void closeAllClosesEveryAuthenticatedConnectionOfThatPeerOnly() throws Exception {
        ConnectionSlots slots = slots(8, 100, 100);
        PeerId x = peer();
        slots.authenticate(inbound(slots, "10.0.0.1", "x-in"), x);
        slots.authenticate(slots.outbound("x-out", () -> closed.add("x-out")), x);
        slots.authenticate(inbound(slots, "10.0.0.2", "y"), peer());
        inbound(slots, "10.0.0.1", "pending");

        assertEquals(2, slots.closeAll(x));
        assertEquals(List.of("x-in", "x-out"), closed);
    }
}
