package dev.edgelink.libp2p.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.TransportException;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.echo.EchoClient;
import dev.edgelink.libp2p.echo.EchoService;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.peer.PeerId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The peer gate on TCP connections in both directions, and {@link Host#disconnect}. */
class PeerGateTest {

    private static final Multiaddr ANY = Multiaddr.fromString("/ip4/127.0.0.1/tcp/0");
    private final List<Host> hosts = new ArrayList<>();

    @AfterEach
    void close() {
        hosts.forEach(Host::close);
    }

    private Host host(HostConfig.Builder b) {
        Host h = Host.start(b.listen(List.of(ANY)).build());
        hosts.add(h);
        EchoService.register(h);
        return h;
    }

    private Host host() {
        return host(HostConfig.builder(Keys.generateEd25519()));
    }

    private static Multiaddr addressOf(Host h) {
        return h.listenAddresses().get(0).withPeerId(h.peerId());
    }

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(20, TimeUnit.SECONDS);
    }

    /** Completes with the first connection {@code h} sees closed. */
    private static CompletableFuture<Connection> firstClosed(Host h) {
        CompletableFuture<Connection> closed = new CompletableFuture<>();
        h.addListener(new HostListener() {
            @Override
            public void connectionClosed(Connection connection) {
                closed.complete(connection);
            }
        });
        return closed;
    }

    /**
     * Dials and expects the remote to refuse us once we are authenticated: Noise lets the dialer finish first, so
     * the dial may complete with a connection closed right after, or fail when the close comes first.
     */
    private static void dialRefusedByTheRemote(Host from, Host to) throws Exception {
        CompletableFuture<Connection> closed = firstClosed(from);
        try {
            await(from.connect(addressOf(to)));
            assertEquals(to.peerId(), await(closed).remotePeer());
        } catch (ExecutionException e) {
            assertInstanceOf(TransportException.class, e.getCause());
        }
    }

    private static long echo(Host from, Host to) throws Exception {
        byte[] payload = {1, 2, 3, 4};
        return await(from.connect(addressOf(to)).thenCompose(c -> c.newStream(EchoService.PROTOCOL))
                .thenCompose(s -> EchoClient.run(s, payload)));
    }

    @Test
    void aRefusedPeerIsClosedWhetherItDialsOrIsDialedAndOthersGetIn() throws Exception {
        Host server = host();
        Host refused = host();
        Host member = host();
        server.setPeerGate(peer -> !peer.equals(refused.peerId()));

        dialRefusedByTheRemote(refused, server);
        ExecutionException e = assertThrows(ExecutionException.class, () -> await(server.connect(addressOf(refused))));
        assertInstanceOf(TransportException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains("peer gate"), e.getCause().getMessage());

        assertEquals(4, echo(member, server));
        assertTrue(server.connection(refused.peerId()).isEmpty());
        assertEquals(2L, server.refusals().get(Refusal.PEER_GATE));
        assertEquals(1, server.establishedConnections());
    }

    @Test
    void theGateFromTheConfigIsUsedAndAGateThatThrowsRefuses() throws Exception {
        Host allowed = host();
        Host server = host(HostConfig.builder(Keys.generateEd25519()).peerGate(peer -> {
            if (peer.equals(allowed.peerId())) {
                return true;
            }
            throw new IllegalStateException("a bug in the gate");
        }));
        Host other = host();

        dialRefusedByTheRemote(other, server);
        assertEquals(4, echo(allowed, server));
        assertEquals(1L, server.refusals().get(Refusal.PEER_GATE));
    }

    @Test
    void disconnectClosesAnOpenConnectionAndTheGateKeepsThePeerOut() throws Exception {
        Host server = host();
        Host peer = host();
        PeerId id = peer.peerId();
        assertEquals(4, echo(peer, server));
        CompletableFuture<Connection> closedAtPeer = firstClosed(peer);

        server.setPeerGate(p -> !p.equals(id));
        assertTrue(server.connection(id).isPresent(), "the gate is not asked again for open connections");
        assertEquals(1, server.disconnect(id));

        assertEquals(server.peerId(), await(closedAtPeer).remotePeer());
        assertTrue(server.connection(id).isEmpty());
        assertEquals(0, server.disconnect(id));
        dialRefusedByTheRemote(peer, server);
    }
}
