package dev.edgelink.libp2p.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.TransportException;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.echo.EchoClient;
import dev.edgelink.libp2p.echo.EchoService;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.pnet.SwarmKey;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A connection carried by a stream ({@link Host#upgradeRelayed}): here the stream runs on a direct connection
 * between the same two hosts, which is what a circuit relay's stream looks like to the two ends.
 */
class RelayedConnectionTest {

    private static final Multiaddr ANY = Multiaddr.fromString("/ip4/127.0.0.1/tcp/0");
    private static final String CARRIER = "/test/carrier";
    private final List<Host> hosts = new ArrayList<>();

    @AfterEach
    void close() {
        hosts.forEach(Host::close);
    }

    private Host host(SwarmKey key) {
        HostConfig.Builder b = HostConfig.builder(Keys.generateEd25519()).listen(List.of(ANY));
        if (key != null) {
            b.swarmKey(key);
        }
        Host h = Host.start(b.build());
        hosts.add(h);
        EchoService.register(h);
        return h;
    }

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(60, TimeUnit.SECONDS);
    }

    private static Connection.Path circuitPath(Host via, Host remote) {
        Multiaddr relay = via.listenAddresses().get(0).withPeerId(via.peerId())
                .encapsulate(Multiaddr.fromString("/p2p-circuit"));
        return new Connection.Path(relay, relay, Connection.Transport.CIRCUIT, true);
    }

    /** Opens a carrier stream from a to b and upgrades both ends; returns a's relayed connection. */
    private static Connection relayedPair(Host a, Host b) throws Exception {
        CompletableFuture<Connection> inbound = new CompletableFuture<>();
        b.setHandler(CARRIER, s -> b.upgradeRelayed(s, Unpooled.EMPTY_BUFFER, a.peerId(),
                Connection.Direction.INBOUND, circuitPath(b, a)).whenComplete((c, e) -> {
                    if (e != null) {
                        inbound.completeExceptionally(e);
                    } else {
                        inbound.complete(c);
                    }
                }));
        Connection direct = await(a.connect(b.listenAddresses().get(0).withPeerId(b.peerId())));
        Stream carrier = await(direct.newStream(CARRIER));
        Connection outbound = await(a.upgradeRelayed(carrier, null, b.peerId(), Connection.Direction.OUTBOUND,
                circuitPath(b, b)));
        Connection in = await(inbound);
        assertEquals(a.peerId(), in.remotePeer());
        assertTrue(in.isRelayed());
        return outbound;
    }

    @Test
    void aStreamCarriesAFullConnectionNextToTheDirectOne() throws Exception {
        Host a = host(null);
        Host b = host(null);
        Connection relayed = relayedPair(a, b);
        assertTrue(relayed.isRelayed());
        assertTrue(relayed.isLimited());
        assertEquals(Connection.Transport.CIRCUIT, relayed.transport());
        assertEquals("/noise", relayed.security());
        assertEquals(b.peerId(), relayed.remotePeer());
        byte[] payload = new byte[1 << 20];
        new Random(7).nextBytes(payload);
        Long echoed = await(relayed.newStream(EchoService.PROTOCOL).thenCompose(s -> EchoClient.run(s, payload)));
        assertEquals(Long.valueOf(payload.length), echoed);
        Connection direct = a.directConnection(b.peerId()).orElseThrow();
        assertFalse(direct.isRelayed());
        assertSame(direct, a.connection(b.peerId()).orElseThrow());
        assertSame(relayed, a.relayedConnection(b.peerId()).orElseThrow());
        assertEquals(2, a.connections().size());
    }

    @Test
    void closingTheDirectConnectionEndsTheCarriedOneAndTheRelayedOneIsThenUsed() throws Exception {
        Host a = host(null);
        Host b = host(null);
        Connection relayed = relayedPair(a, b);
        Connection direct = a.directConnection(b.peerId()).orElseThrow();
        relayed.close();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while ((a.relayedConnection(b.peerId()).isPresent() || b.relayedConnection(a.peerId()).isPresent())
                && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertFalse(a.relayedConnection(b.peerId()).isPresent());
        assertFalse(b.relayedConnection(a.peerId()).isPresent());
        assertTrue(direct.isOpen());
        assertSame(direct, a.connection(b.peerId()).orElseThrow());
    }

    @Test
    void aCarriedConnectionUsesThePrivateNetworkToo() throws Exception {
        byte[] secret = new byte[SwarmKey.KEY_BYTES];
        new Random(3).nextBytes(secret);
        SwarmKey key = SwarmKey.of(secret);
        Host a = host(key);
        Host b = host(key);
        Connection relayed = relayedPair(a, b);
        byte[] payload = "through pnet".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Long echoed = await(relayed.newStream(EchoService.PROTOCOL).thenCompose(s -> EchoClient.run(s, payload)));
        assertEquals(Long.valueOf(payload.length), echoed);
    }

    @Test
    void thePeerGateIsAskedForRelayedConnectionsOnBothEnds() throws Exception {
        Host a = host(null);
        Host b = host(null);
        Connection direct = await(a.connect(b.listenAddresses().get(0).withPeerId(b.peerId())));
        CompletableFuture<Connection> inbound = new CompletableFuture<>();
        b.setHandler(CARRIER, s -> b.upgradeRelayed(s, Unpooled.EMPTY_BUFFER, a.peerId(),
                Connection.Direction.INBOUND, circuitPath(b, a)).whenComplete((c, e) -> {
                    if (e != null) {
                        inbound.completeExceptionally(e);
                    } else {
                        inbound.complete(c);
                    }
                }));

        // the gate is asked for new connections only: the direct one carrying the relayed ones stays
        a.setPeerGate(peer -> !peer.equals(b.peerId()));
        Stream carrier = await(direct.newStream(CARRIER));
        ExecutionException e = assertThrows(ExecutionException.class, () -> await(a.upgradeRelayed(carrier, null,
                b.peerId(), Connection.Direction.OUTBOUND, circuitPath(b, b))));
        assertInstanceOf(TransportException.class, e.getCause());
        assertEquals(1L, a.refusals().get(Refusal.PEER_GATE));
        assertFalse(a.relayedConnection(b.peerId()).isPresent());
        assertTrue(direct.isOpen());
    }

    @Test
    void anInboundRelayedConnectionOfARefusedPeerIsClosed() throws Exception {
        Host a = host(null);
        Host b = host(null);
        CompletableFuture<Connection> atB = new CompletableFuture<>();
        b.addListener(new HostListener() {
            @Override
            public void connectionOpened(Connection connection) {
                atB.complete(connection);
            }
        });
        Connection direct = await(a.connect(b.listenAddresses().get(0).withPeerId(b.peerId())));
        CompletableFuture<Connection> inbound = new CompletableFuture<>();
        b.setHandler(CARRIER, s -> b.upgradeRelayed(s, Unpooled.EMPTY_BUFFER, a.peerId(),
                Connection.Direction.INBOUND, circuitPath(b, a)).whenComplete((c, e) -> {
                    if (e != null) {
                        inbound.completeExceptionally(e);
                    } else {
                        inbound.complete(c);
                    }
                }));
        // a's dial completes before b has authenticated a (Noise lets the initiator finish first)
        await(atB);
        b.setPeerGate(peer -> !peer.equals(a.peerId()));

        Stream carrier = await(direct.newStream(CARRIER));
        a.upgradeRelayed(carrier, null, b.peerId(), Connection.Direction.OUTBOUND, circuitPath(b, b));
        ExecutionException e = assertThrows(ExecutionException.class, () -> await(inbound));
        assertTrue(e.getCause().getMessage().contains("peer gate"), e.getCause().getMessage());
        assertEquals(1L, b.refusals().get(Refusal.PEER_GATE));
        assertFalse(b.relayedConnection(a.peerId()).isPresent());
    }

    private static CountDownLatch closedTwice(Host h) {
        CountDownLatch closed = new CountDownLatch(2);
        h.addListener(new HostListener() {
            @Override
            public void connectionClosed(Connection connection) {
                closed.countDown();
            }
        });
        return closed;
    }

    @Test
    void disconnectClosesTheDirectAndTheRelayedConnection() throws Exception {
        Host a = host(null);
        Host b = host(null);
        relayedPair(a, b);
        CountDownLatch closedAtA = closedTwice(a);
        CountDownLatch closedAtB = closedTwice(b);

        assertEquals(2, a.disconnect(b.peerId()));

        assertTrue(closedAtA.await(20, TimeUnit.SECONDS), "a closed both connections");
        assertTrue(closedAtB.await(20, TimeUnit.SECONDS), "b saw both connections close");
        assertFalse(a.connection(b.peerId()).isPresent());
        assertEquals(0, a.establishedConnections());
    }
}
