package dev.edgelink.libp2p.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.echo.EchoClient;
import dev.edgelink.libp2p.echo.EchoService;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.multistream.UnsupportedProtocolException;
import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.libp2p.threads.TaskGuard;
import io.netty.buffer.Unpooled;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Two or more of our hosts on loopback: the upgrade, streams, connection rules and hostile input. */
class HostTest {

    private static final Multiaddr ANY = Multiaddr.fromString("/ip4/127.0.0.1/tcp/0");
    private final List<Host> hosts = new ArrayList<>();

    @AfterEach
    void close() {
        hosts.forEach(Host::close);
    }

    private Host host(HostConfig.Builder b) {
        Host h = Host.start(b.build());
        hosts.add(h);
        EchoService.register(h);
        return h;
    }

    private Host host() {
        return host(HostConfig.builder(Keys.generateEd25519()).listen(List.of(ANY)));
    }

    private static Multiaddr addressOf(Host h) {
        return h.listenAddresses().get(0).withPeerId(h.peerId());
    }

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(20, TimeUnit.SECONDS);
    }

    @Test
    void dialUpgradesToNoiseAndYamuxAndAuthenticatesThePeer() throws Exception {
        Host a = host();
        Host b = host();
        Connection c = await(a.connect(addressOf(b)));
        assertEquals(b.peerId(), c.remotePeer());
        assertEquals("/noise", c.security());
        assertEquals("/yamux/1.0.0", c.muxerProtocol());
        assertEquals(Connection.Direction.OUTBOUND, c.direction());
        byte[] payload = new byte[1 << 20];
        new Random(1).nextBytes(payload);
        Long echoed = await(c.newStream(EchoService.PROTOCOL).thenCompose(s -> EchoClient.run(s, payload)));
        assertEquals(Long.valueOf(payload.length), echoed);
    }

    @Test
    void dialingTheWrongPeerIdFails() {
        Host a = host();
        Host b = host();
        PeerId someoneElse = PeerId.fromPublicKey(Keys.generateEd25519().publicKey());
        Multiaddr wrong = b.listenAddresses().get(0).withPeerId(someoneElse);
        ExecutionException e = assertThrows(ExecutionException.class, () -> await(a.connect(wrong)));
        assertInstanceOf(ProtocolViolationException.class, e.getCause());
        assertTrue(a.connections().isEmpty());
    }

    @Test
    void aSecondDialReusesTheConnection() throws Exception {
        Host a = host();
        Host b = host();
        Connection first = await(a.connect(addressOf(b)));
        assertSame(first, await(a.connect(addressOf(b))));
    }

    @Test
    void simultaneousDialsEndWithTheSameSingleConnectionOnBothSides() throws Exception {
        Host a = host();
        Host b = host();
        CompletableFuture<Connection> ab = a.connect(addressOf(b));
        CompletableFuture<Connection> ba = b.connect(addressOf(a));
        Connection fromA = await(ab);
        Connection fromB = await(ba);
        PeerId lower = a.peerId().compareTo(b.peerId()) < 0 ? a.peerId() : b.peerId();
        Connection kept = lower.equals(a.peerId()) ? fromA : fromB;
        assertEquals(Connection.Direction.OUTBOUND, kept.direction());
        // Each side decides when the second connection's upgrade completes there, so agreement is eventual.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!sameSingleConnection(a, b) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(sameSingleConnection(a, b), a.connections() + " vs " + b.connections());
        assertEquals(kept.localAddress(), (kept == fromA ? b : a).connections().get(0).remoteAddress());
    }

    private static boolean sameSingleConnection(Host a, Host b) {
        List<Connection> ca = a.connections();
        List<Connection> cb = b.connections();
        return ca.size() == 1 && cb.size() == 1 && ca.get(0).isOpen() && cb.get(0).isOpen()
                && ca.get(0).localAddress().equals(cb.get(0).remoteAddress());
    }

    @Test
    void anUnsupportedProtocolIsRefusedWithATypedError() throws Exception {
        Host a = host();
        Host b = host();
        Connection c = await(a.connect(addressOf(b)));
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> await(c.newStream("/does-not-exist/1.0.0")));
        assertInstanceOf(UnsupportedProtocolException.class, e.getCause());
        assertTrue(c.isOpen(), "a refused stream must not take the connection down");
    }

    /**
     * Netty catches an Error of a handler and fires it at the connection's last handler: that connection closes, the
     * error is counted where the host's owner looks, and the event loop serves the next connection.
     */
    @Test
    void anErrorInAHandlerClosesThatConnectionOnlyAndIsCounted() throws Exception {
        TaskGuard tasks = new TaskGuard();
        Host server = host(HostConfig.builder(Keys.generateEd25519()).listen(List.of(ANY)).eventLoopThreads(1)
                .tasks(tasks));
        server.setHandler("/test/dies/1.0.0", stream -> {
            stream.setListener((s, data) -> {
                data.release();
                throw new OutOfMemoryError("Cannot reserve 1048576 bytes of direct buffer memory");
            });
            stream.write(Unpooled.wrappedBuffer(new byte[] {0})); // listening now
        });
        CompletableFuture<Connection> closed = new CompletableFuture<>();
        server.addListener(new HostListener() {
            @Override
            public void connectionClosed(Connection connection) {
                closed.complete(connection);
            }
        });
        Host client = host();
        Stream stream = await(await(client.connect(addressOf(server))).newStream("/test/dies/1.0.0"));
        CompletableFuture<Void> listening = new CompletableFuture<>();
        stream.setListener((s, data) -> {
            data.release();
            listening.complete(null);
        });
        await(listening);
        stream.write(Unpooled.wrappedBuffer(new byte[] {1}));

        assertEquals(client.peerId(), await(closed).remotePeer());
        assertEquals(1, tasks.failures("connection-handler"));
        Host another = host();
        byte[] payload = {1, 2, 3};
        assertEquals(Long.valueOf(3), await(another.connect(addressOf(server))
                .thenCompose(d -> d.newStream(EchoService.PROTOCOL)).thenCompose(s -> EchoClient.run(s, payload))));
    }

    @Test
    void authenticatedConnectionsBeyondTheLimitAreClosed() throws Exception {
        Host server = host(HostConfig.builder(Keys.generateEd25519()).listen(List.of(ANY)).maxConnections(1));
        CompletableFuture<Connection> first = new CompletableFuture<>();
        server.addListener(new HostListener() {
            @Override
            public void connectionOpened(Connection connection) {
                first.complete(connection);
            }
        });
        await(host().connect(addressOf(server)));
        await(first);
        Host second = host();
        CompletableFuture<Connection> closed = new CompletableFuture<>();
        second.addListener(new HostListener() {
            @Override
            public void connectionClosed(Connection connection) {
                closed.complete(connection);
            }
        });
        // the server decides once the dialer is authenticated, and Noise lets the dialer finish first: its dial
        // may complete with a connection the server closes right after, or fail if the close comes first
        try {
            await(second.connect(addressOf(server)));
            assertEquals(server.peerId(), await(closed).remotePeer());
        } catch (ExecutionException e) {
            assertInstanceOf(dev.edgelink.libp2p.TransportException.class, e.getCause());
        }
        assertEquals(1, server.connections().size());
        assertEquals(1, server.establishedConnections());
        assertEquals(1L, server.refusals().get(Refusal.CONNECTIONS));
    }

    @Test
    void garbageAndOverlongLinesAreClosedAndLeaveNothingBehind() throws Exception {
        Host server = host();
        Multiaddr tcp = server.listenAddresses().get(0);
        byte[] garbage = "\u0012GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
        byte[] overlong = {(byte) 0xff, (byte) 0xff, 0x03};
        for (int i = 0; i < 100; i++) {
            assertClosedByServer(tcp, i % 2 == 0 ? garbage : overlong);
        }
        assertEquals(0, server.connections().size());
    }

    private static void assertClosedByServer(Multiaddr tcp, byte[] bytes) throws Exception {
        try (Socket s = new Socket(tcp.toTcpSocketAddress().getAddress(), tcp.toTcpSocketAddress().getPort())) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(bytes);
            out.flush();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[256];
            int n;
            do {
                n = in.read(buf);
            } while (n > 0);
            assertEquals(-1, n);
        }
    }
}
