package dev.edgelink.relay.circuit;

import static dev.edgelink.relay.circuit.RelayFixture.addressOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.crypto.PrivKey;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.threads.TaskGuard;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Reservations kept over time: renewed before they expire, made again after the relay restarts. */
class ReservationsTest {

    private final RelayFixture fx = new RelayFixture();
    private final BlockingQueue<String> events = new LinkedBlockingQueue<>();

    @AfterEach
    void close() {
        fx.close();
    }

    private Reservations keep(Host client, Multiaddr relay) {
        Reservations r = fx.add(Reservations.start(RelayClient.install(client), List.of(relay), new TaskGuard()));
        r.addListener(new ReservationListener() {
            @Override
            public void reservationMade(RelayReservation reservation, boolean renewed) {
                events.add(renewed ? "renewed" : "made");
            }

            @Override
            public void reservationLost(Multiaddr relayAddress, String reason) {
                events.add("lost");
            }
        });
        return r;
    }

    private String next() throws InterruptedException {
        String e = events.poll(20, TimeUnit.SECONDS);
        return e == null ? "nothing within 20 s" : e;
    }

    @Test
    void aReservationIsRenewedBeforeItExpires() throws Exception {
        Host relay = fx.host();
        RelayServer server = fx.add(RelayServer.start(relay,
                RelayConfig.defaults(p -> true).withReservationTtl(Duration.ofSeconds(2))));
        Host client = fx.host();
        Reservations kept = keep(client, addressOf(relay));
        assertEquals("made", next());
        assertEquals(List.of(addressOf(relay).encapsulate(Multiaddr.fromString("/p2p-circuit"))),
                kept.circuitAddresses());
        assertEquals("renewed", next());
        assertEquals("renewed", next());
        assertTrue(server.hasReservation(client.peerId()));
        assertEquals(1, server.reservationCount());
    }

    @Test
    void aReservationIsMadeAgainAfterTheRelayRestarts() throws Exception {
        PrivKey relayKey = Keys.generateEd25519();
        Host relay = fx.host(relayKey, RelayFixture.ANY);
        Multiaddr listen = relay.listenAddresses().get(0);
        fx.add(RelayServer.start(relay, RelayConfig.defaults(p -> true)));
        Host client = fx.host();
        Reservations kept = keep(client, addressOf(relay));
        assertEquals("made", next());

        relay.close();
        assertEquals("lost", next());
        assertTrue(kept.circuitAddresses().isEmpty());
        Host restarted = fx.host(relayKey, listen);
        RelayServer server = fx.add(RelayServer.start(restarted, RelayConfig.defaults(p -> true)));
        assertEquals("made", next());
        assertTrue(server.hasReservation(client.peerId()));
        assertFalse(kept.circuitAddresses().isEmpty());
    }
}
