package dev.edgelink.relay.circuit;

import static dev.edgelink.relay.circuit.RelayFixture.addressOf;
import static dev.edgelink.relay.circuit.RelayFixture.await;
import static dev.edgelink.relay.circuit.RelayFixture.circuit;
import static dev.edgelink.relay.circuit.RelayFixture.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.echo.EchoClient;
import dev.edgelink.libp2p.echo.EchoService;
import dev.edgelink.libp2p.host.Connection;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.relay.circuit.pb.CircuitProto.Status;
import java.time.Duration;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Java to Java through a Java relay on loopback: circuits, the allow-list, limits and release of resources. */
class RelayTest {

    private final RelayFixture fx = new RelayFixture();

    @AfterEach
    void close() {
        fx.close();
    }

    private RelayServer relay(Host h, RelayConfig config) {
        return fx.add(RelayServer.start(h, config));
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static void assertEchoes(Connection c, byte[] payload) throws Exception {
        Long echoed = await(c.newStream(EchoService.PROTOCOL).thenCompose(s -> EchoClient.run(s, payload)));
        assertEquals(Long.valueOf(payload.length), echoed);
    }

    private static Status statusOf(ExecutionException e) {
        Throwable cause = e.getCause();
        while (cause instanceof java.util.concurrent.CompletionException) {
            cause = cause.getCause();
        }
        return assertInstanceOf(RelayStatusException.class, cause).status();
    }

    @Test
    void javaReachesJavaThroughAJavaRelay() throws Exception {
        Host r = fx.host();
        RelayServer server = relay(r, RelayConfig.defaults(p -> true));
        Host a = fx.host();
        Host b = fx.host();
        RelayReservation reservation = await(RelayClient.install(a).reserve(addressOf(r)));
        RelayClient.install(b);
        assertTrue(reservation.voucher().isPresent());
        assertEquals(a.peerId(), reservation.voucher().get().peer());
        assertTrue(reservation.limit().isEmpty());
        assertEquals(addressOf(r) + "/p2p-circuit", reservation.circuitAddress().toString());

        Connection c = await(b.connect(circuit(r, a)));
        assertTrue(c.isRelayed());
        assertFalse(c.isLimited());
        assertEquals(a.peerId(), c.remotePeer());
        assertEchoes(c, random(2 << 20, 1));
        assertTrue(eventually(() -> a.relayedConnection(b.peerId()).isPresent(), Duration.ofSeconds(5)));
        Connection inbound = a.relayedConnection(b.peerId()).orElseThrow();
        assertEquals(Connection.Direction.INBOUND, inbound.direction());
        assertEchoes(inbound, random(1000, 2));
        assertEquals(1, server.circuitCount());
        assertEquals(1, server.reservationCount());
    }

    @Test
    void aDirectConnectionNextToTheRelayedOneIsPreferredAndBothStayUp() throws Exception {
        Host r = fx.host();
        relay(r, RelayConfig.defaults(p -> true));
        Host a = fx.host();
        Host b = fx.host();
        await(RelayClient.install(a).reserve(addressOf(r)));
        RelayClient.install(b);
        Connection relayed = await(b.connect(circuit(r, a)));
        assertSame(relayed, b.connection(a.peerId()).orElseThrow());
        Connection direct = await(b.connect(addressOf(a)));
        assertNotSame(relayed, direct);
        assertFalse(direct.isRelayed());
        assertSame(direct, b.connection(a.peerId()).orElseThrow());
        assertTrue(relayed.isOpen());
        assertEchoes(relayed, random(5000, 3));
        assertSame(direct, await(b.connect(circuit(r, a))), "an existing connection is reused, the direct one first");
    }

    @Test
    void nonMembersAreRefusedReservationsAndCircuits() throws Exception {
        Host r = fx.host();
        Host a = fx.host();
        Host b = fx.host();
        Set<PeerId> members = Set.of(a.peerId());
        relay(r, RelayConfig.defaults(members::contains));
        await(RelayClient.install(a).reserve(addressOf(r)));
        RelayClient bClient = RelayClient.install(b);
        ExecutionException reserve = assertThrows(ExecutionException.class, () -> await(bClient.reserve(addressOf(r))));
        assertEquals(Status.RESERVATION_REFUSED, statusOf(reserve));
        ExecutionException connect = assertThrows(ExecutionException.class, () -> await(b.connect(circuit(r, a))));
        assertEquals(Status.PERMISSION_DENIED, statusOf(connect));
    }

    @Test
    void aTargetWithoutAReservationCannotBeReached() throws Exception {
        Host r = fx.host();
        relay(r, RelayConfig.defaults(p -> true));
        Host a = fx.host();
        Host b = fx.host();
        RelayClient.install(a);
        RelayClient.install(b);
        await(a.connect(addressOf(r)));
        ExecutionException e = assertThrows(ExecutionException.class, () -> await(b.connect(circuit(r, a))));
        assertEquals(Status.NO_RESERVATION, statusOf(e));
    }

    @Test
    void reservationsPerSourceAddressAreLimited() throws Exception {
        Host r = fx.host();
        RelayServer server = relay(r, RelayConfig.defaults(p -> true).withLimits(100, 2, 100, 10));
        for (int i = 0; i < 2; i++) {
            await(RelayClient.install(fx.host()).reserve(addressOf(r)));
        }
        RelayClient third = RelayClient.install(fx.host());
        ExecutionException e = assertThrows(ExecutionException.class, () -> await(third.reserve(addressOf(r))));
        assertEquals(Status.RESOURCE_LIMIT_EXCEEDED, statusOf(e));
        assertEquals(2, server.reservationCount());
    }

    @Test
    void limitedModeMarksTheConnectionAndEndsItAtTheDataLimit() throws Exception {
        Host r = fx.host();
        RelayServer server = relay(r, RelayConfig.defaults(p -> false)
                .withNonMemberLimit(new CircuitLimit(Duration.ofMinutes(2), 256 * 1024)));
        Host a = fx.host();
        Host b = fx.host();
        RelayReservation reservation = await(RelayClient.install(a).reserve(addressOf(r)));
        assertEquals(256 * 1024, reservation.limit().orElseThrow().dataBytes());
        RelayClient.install(b);
        Connection c = await(b.connect(circuit(r, a)));
        assertTrue(c.isLimited());
        assertEchoes(c, random(1000, 4));
        assertThrows(ExecutionException.class, () -> assertEchoes(c, random(4 << 20, 5)));
        assertTrue(eventually(() -> server.circuitCount() == 0, Duration.ofSeconds(10)));
        assertTrue(eventually(() -> !c.isOpen(), Duration.ofSeconds(10)));
    }

    @Test
    void circuitsAndReservationsAreReleasedWhenEitherSideDrops() throws Exception {
        Host r = fx.host();
        RelayServer server = relay(r, RelayConfig.defaults(p -> true));
        Host a = fx.host();
        Host b = fx.host();
        Host c = fx.host();
        await(RelayClient.install(a).reserve(addressOf(r)));
        RelayClient.install(b);
        RelayClient.install(c);
        assertEchoes(await(b.connect(circuit(r, a))), random(1000, 6));
        assertEchoes(await(c.connect(circuit(r, a))), random(1000, 7));
        assertEquals(2, server.circuitCount());
        b.close(); // the source drops
        assertTrue(eventually(() -> server.circuitCount() == 1, Duration.ofSeconds(10)));
        a.close(); // the target drops: its circuit and its reservation go
        assertTrue(eventually(() -> server.circuitCount() == 0, Duration.ofSeconds(10)));
        assertTrue(eventually(() -> server.reservationCount() == 0, Duration.ofSeconds(10)));
        assertTrue(eventually(() -> c.relayedConnection(a.peerId()).isEmpty(), Duration.ofSeconds(10)));
    }
}
