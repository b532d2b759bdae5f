package dev.edgelink.libp2p.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.ping.PingService;
import dev.edgelink.libp2p.pnet.SwarmKey;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Floods of connections that never say a word, on loopback (which is not special to the host): from one address,
 * from two, past the per-address and the total limit on handshakes, against a host with room for one established
 * connection. A member still gets in and pings; the host closes the oldest idle sockets at once and the rest at the
 * handshake deadline, and counts what it refused.
 */
class HostFloodTest {

    private static final Multiaddr LISTEN = Multiaddr.fromString("/ip4/127.0.0.1/tcp/0");
    private static final int PER_IP = 8;
    private final List<Host> hosts = new ArrayList<>();
    private final List<Socket> sockets = new ArrayList<>();

    @AfterEach
    void close() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        hosts.forEach(Host::close);
    }

    /**
     * A host with room for 1 established connection; one event loop, so that it takes handshakes in the order the
     * sockets connected and "the oldest" is the socket opened first.
     */
    private Host server(SwarmKey key, int maxPending, Duration handshakeTimeout) {
        HostConfig.Builder b = HostConfig.builder(Keys.generateEd25519()).listen(List.of(LISTEN))
                .eventLoopThreads(1).maxConnections(1).maxPendingPerIp(PER_IP).maxPendingHandshakes(maxPending)
                .handshakeTimeout(handshakeTimeout).upgradeTimeout(handshakeTimeout.plusSeconds(5));
        Host h = start(b, key);
        new PingService(h);
        return h;
    }

    private Host start(HostConfig.Builder b, SwarmKey key) {
        if (key != null) {
            b.swarmKey(key);
        }
        Host h = Host.start(b.build());
        hosts.add(h);
        return h;
    }

    private Host member(SwarmKey key) {
        return start(HostConfig.builder(Keys.generateEd25519()), key);
    }

    private static Connection connect(Host member, Host server) throws Exception {
        return await(member.connect(server.listenAddresses().get(0).withPeerId(server.peerId())));
    }

    /** Opens {@code n} TCP connections from {@code from} that send nothing. */
    private List<Socket> idleSockets(Host server, String from, int n) throws IOException {
        InetSocketAddress to = server.listenAddresses().get(0).toTcpSocketAddress();
        List<Socket> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Socket s = new Socket();
            sockets.add(s);
            s.bind(new InetSocketAddress(from, 0));
            s.connect(to, 10_000);
            out.add(s);
        }
        return out;
    }

    /**
     * Reads whatever the host sent (a pnet nonce, a multistream header) until the stream ends; false if it has not
     * ended within {@code within}.
     */
    private static boolean closedByHost(Socket s, Duration within) throws IOException {
        s.setSoTimeout((int) within.toMillis());
        InputStream in = s.getInputStream();
        byte[] buf = new byte[256];
        try {
            while (in.read(buf) >= 0) {
                // what the host said before closing
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    private static void awaitRefusals(Host h, Refusal reason, long expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (h.refusals().get(reason) < expected && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(expected, h.refusals().get(reason), reason + ": " + h.refusals());
    }

    private static void awaitNoPendingHandshakes(Host h) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (h.pendingHandshakes() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(0, h.pendingHandshakes());
    }

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(30, TimeUnit.SECONDS);
    }

    private static SwarmKey swarmKey(boolean with) {
        byte[] key = new byte[SwarmKey.KEY_BYTES];
        Arrays.fill(key, (byte) 7);
        return with ? SwarmKey.of(key) : null;
    }

    @ParameterizedTest(name = "swarm key {0}")
    @ValueSource(booleans = {true, false})
    void idleSocketsFromOneAddressCannotKeepAMemberOutAndAreClosedAtTheDeadline(boolean withKey) throws Exception {
        SwarmKey key = swarmKey(withKey);
        Duration deadline = Duration.ofSeconds(8);
        Host server = server(key, 64, deadline);
        List<Socket> idle = idleSockets(server, "127.0.0.1", 39);
        long lastOpened = System.nanoTime();
        idle.addAll(idleSockets(server, "127.0.0.1", 1));

        awaitRefusals(server, Refusal.PENDING_PER_IP, 32);
        assertEquals(PER_IP, server.pendingHandshakes());
        for (Socket s : idle.subList(0, 32)) {
            assertTrue(closedByHost(s, Duration.ofSeconds(20)), "the oldest handshakes are closed at once");
        }

        Host member = member(key);
        Connection connection = connect(member, server);
        PingService ping = new PingService(member);
        assertEquals(2, await(ping.ping(connection, 2)).size());
        // the member's handshake was the ninth from 127.0.0.1: it closed the oldest idle one, so 8 were held
        assertEquals(33L, server.refusals().get(Refusal.PENDING_PER_IP));
        assertEquals(1, server.establishedConnections());

        for (Socket s : idle.subList(33, 40)) {
            assertTrue(closedByHost(s, Duration.ofSeconds(30)), "closed at the handshake deadline");
        }
        long heldMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastOpened);
        assertTrue(heldMs >= deadline.toMillis() - 100, "held until the deadline, not closed early: " + heldMs);
        awaitRefusals(server, Refusal.HANDSHAKE_DEADLINE, 7);
        // a slot is free once the channel's close has completed, just after the socket's FIN went out
        awaitNoPendingHandshakes(server);
        assertEquals(0L, server.refusals().get(Refusal.PENDING_TOTAL));
        assertEquals(0L, server.refusals().get(Refusal.CONNECTIONS));
        assertEquals(1, await(ping.ping(connection, 1)).size(), "the member's connection outlives the deadline");
    }

    @Test
    void aFloodFromASecondAddressIsCappedOnItsOwn() throws Exception {
        Host server = server(null, 64, Duration.ofSeconds(30));
        List<Socket> one = idleSockets(server, "127.0.0.1", 20);
        awaitRefusals(server, Refusal.PENDING_PER_IP, 12);
        List<Socket> two = idleSockets(server, "127.0.0.2", 20);
        awaitRefusals(server, Refusal.PENDING_PER_IP, 24);

        assertEquals(2 * PER_IP, server.pendingHandshakes());
        assertEquals(0L, server.refusals().get(Refusal.PENDING_TOTAL));
        for (Socket s : one.subList(0, 12)) {
            assertTrue(closedByHost(s, Duration.ofSeconds(20)));
        }
        for (Socket s : two.subList(0, 12)) {
            assertTrue(closedByHost(s, Duration.ofSeconds(20)));
        }
    }

    @Test
    void pastTheTotalTheOldestHandshakesOfAnyAddressAreClosedAndAMemberStillGetsIn() throws Exception {
        Host server = server(null, 12, Duration.ofSeconds(30));
        List<Socket> one = idleSockets(server, "127.0.0.1", PER_IP);
        idleSockets(server, "127.0.0.2", PER_IP);
        awaitRefusals(server, Refusal.PENDING_TOTAL, 4);
        assertEquals(12, server.pendingHandshakes());
        for (Socket s : one.subList(0, 4)) {
            assertTrue(closedByHost(s, Duration.ofSeconds(20)));
        }

        Host member = member(null);
        Connection connection = connect(member, server);
        assertEquals(1, await(new PingService(member).ping(connection, 1)).size());
        assertEquals(5L, server.refusals().get(Refusal.PENDING_TOTAL));
        assertEquals(0L, server.refusals().get(Refusal.PENDING_PER_IP));
    }
}
