package dev.edgelink.relay.circuit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.peer.PeerId;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The reservations' limits, in all and per source address, with time as an argument. */
class ReservationTableTest {
    private static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");
    private static final Instant EXPIRES = T0.plusSeconds(3600);

    private static PeerId peer() {
        return PeerId.fromPublicKey(Keys.generateEd25519().publicKey());
    }

    @Test
    void hundredsOfNodesBehindOneAddressFitUntilItsLimitAndOtherAddressesStillDo() {
        ReservationTable t = new ReservationTable(1000, 300);
        for (int i = 0; i < 300; i++) {
            assertEquals(Optional.empty(), t.admit(peer(), "198.51.100.7", EXPIRES, T0));
        }
        Optional<String> full = t.admit(peer(), "198.51.100.7", EXPIRES, T0);
        assertTrue(full.orElseThrow().contains("relay.maxReservationsPerIp=300 from 198.51.100.7"), full.get());
        assertEquals(Optional.empty(), t.admit(peer(), "203.0.113.9", EXPIRES, T0));
        assertEquals(301, t.live(T0));
    }

    @Test
    void theTotalIsLimitedButARenewalAlwaysKeepsItsSlot() {
        ReservationTable t = new ReservationTable(2, 2);
        PeerId a = peer();
        t.admit(a, "10.0.0.1", EXPIRES, T0);
        t.admit(peer(), "10.0.0.2", EXPIRES, T0);
        Optional<String> full = t.admit(peer(), "10.0.0.3", EXPIRES, T0);
        assertTrue(full.orElseThrow().contains("relay.maxReservations=2"), full.get());
        assertEquals(Optional.empty(), t.admit(a, "10.0.0.1", EXPIRES.plusSeconds(60), T0.plusSeconds(60)),
                "a renewal from the same address while full");
        assertTrue(t.has(a, EXPIRES));
    }

    @Test
    void anExpiredReservationGivesItsSlotToTheNextOneAtTheExpiryAndNotBefore() {
        ReservationTable t = new ReservationTable(1, 1);
        PeerId a = peer();
        t.admit(a, "10.0.0.1", EXPIRES, T0);
        PeerId b = peer();
        assertTrue(t.admit(b, "10.0.0.1", EXPIRES.plusSeconds(3600), EXPIRES.minusSeconds(1)).isPresent(),
                "a second before the expiry the slot is still taken");
        assertEquals(Optional.empty(), t.admit(b, "10.0.0.1", EXPIRES.plusSeconds(3600), EXPIRES));
        assertFalse(t.has(a, EXPIRES));
        assertTrue(t.has(b, EXPIRES));
        assertEquals(1, t.live(EXPIRES));
    }

    @Test
    void aPeerThatMovesToAnotherAddressTakesThatAddressesSlotAndFreesItsOld() {
        ReservationTable t = new ReservationTable(10, 1);
        PeerId a = peer();
        t.admit(a, "10.0.0.1", EXPIRES, T0);
        assertEquals(Optional.empty(), t.admit(a, "10.0.0.2", EXPIRES, T0));
        assertEquals(Optional.empty(), t.admit(peer(), "10.0.0.1", EXPIRES, T0), "the old address is free again");
        assertTrue(t.admit(peer(), "10.0.0.2", EXPIRES, T0).isPresent());
    }

    @Test
    void aRemovedReservationFreesItsAddressesSlot() {
        ReservationTable t = new ReservationTable(10, 1);
        PeerId a = peer();
        t.admit(a, "10.0.0.1", EXPIRES, T0);
        assertTrue(t.remove(a));
        assertFalse(t.remove(a));
        assertFalse(t.has(a, T0));
        assertEquals(Optional.empty(), t.admit(peer(), "10.0.0.1", EXPIRES, T0));
    }
}
