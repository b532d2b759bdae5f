package dev.edgelink.libp2p.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.ConfigurationException;
import dev.edgelink.libp2p.TransportException;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.echo.EchoClient;
import dev.edgelink.libp2p.echo.EchoService;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Dial options: dialing from the listen port, forced dials, and the upgrade roles of a TCP simultaneous open. */
class HostDialOptionsTest {

    private static final Multiaddr ANY = Multiaddr.fromString("/ip4/127.0.0.1/tcp/0");
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    private Host host() {
        return host(HostConfig.DEFAULT_UPGRADE_TIMEOUT);
    }

    private Host host(Duration upgradeTimeout) {
        Host h = Host.start(HostConfig.builder(Keys.generateEd25519()).listen(List.of(ANY))
                .upgradeTimeout(upgradeTimeout).build());
        closeables.add(h);
        EchoService.register(h);
        return h;
    }

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(20, TimeUnit.SECONDS);
    }

    private static int port(Multiaddr address) {
        return address.toTcpSocketAddress().getPort();
    }

    private static Multiaddr addressOf(Host h) {
        return h.listenAddresses().get(0).withPeerId(h.peerId());
    }

    /**
     * The forced dial goes out although a connection exists; as the lower peer id dials it, the host's duplicate
     * rule keeps it on both sides and closes the older one (dialed by the higher id).
     */
    @Test
    void aDialFromTheListenPortLeavesFromThatPortAndIsForcedPastAnExistingConnection() throws Exception {
        Host x = host();
        Host y = host();
        Host low = x.peerId().compareTo(y.peerId()) < 0 ? x : y;
        Host high = low == x ? y : x;
        Connection ordinary = await(high.connect(addressOf(low)));
        DialOptions punch = DialOptions.holePunch(DialOptions.UpgradeRole.INITIATOR, Duration.ofSeconds(5));
        Connection fromListenPort = await(low.connect(addressOf(high), punch));
        assertEquals(port(low.listenAddresses().get(0)), port(fromListenPort.localAddress()));
        assertEquals(port(high.listenAddresses().get(0)), port(fromListenPort.remoteAddress()));
        assertTrue(fromListenPort.isInitiator());
        assertTrue(fromListenPort.isOpen());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (ordinary.isOpen() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertFalse(ordinary.isOpen(), "the duplicate dialed by the higher peer id is closed");
    }

    /**
     * Two connections from one dialer: a second one within {@link Host#REDIAL_AFTER} is a race and the older stays
     * on both sides; one dialed later replaces the older on both sides (a NAT'd node that lost its end of the old
     * connection must not be refused until the remote's watchdog notices).
     */
    @Test
    void aSecondConnectionFromOneDialerIsARaceSoonAfterTheFirstAndAReplacementLater() throws Exception {
        Host a = host();
        Host b = host();
        DialOptions force = new DialOptions(false, true, DialOptions.UpgradeRole.INITIATOR, Optional.empty());
        Connection first = await(b.connect(addressOf(a)));
        Connection race = await(b.connect(addressOf(a), force));
        assertSame(first, race, "the dial of a race gives the connection that stays");
        Thread.sleep(500);
        assertTrue(first.isOpen(), "the older stays after a race");
        assertEquals(port(first.localAddress()),
                port(a.directConnection(b.peerId()).orElseThrow().remoteAddress()), "a keeps the older too");
        Thread.sleep(Host.REDIAL_AFTER.toMillis() + 500);
        Connection redial = await(b.connect(addressOf(a), force));
        assertNotSame(first, redial);
        awaitClosed(first, "the old connection, replaced by the redial");
        assertTrue(redial.isOpen(), "the redial stays");
        // a's end of the upgrade may finish a moment after b's
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        int kept = -1;
        while (System.nanoTime() < deadline) {
            kept = a.directConnection(b.peerId()).map(c -> port(c.remoteAddress())).orElse(-1);
            if (kept == port(redial.localAddress())) {
                break;
            }
            Thread.sleep(20);
        }
        assertEquals(port(redial.localAddress()), kept, "a keeps the redial too");
    }

    private static void awaitClosed(Connection c, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (c.isOpen() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertFalse(c.isOpen(), what + " is closed");
    }

    @Test
    void reusingTheListenPortWithoutAListenerOfThatFamilyIsAConfigurationError() {
        Host a = host();
        Multiaddr v6 = Multiaddr.fromString("/ip6/::1/tcp/4001");
        DialOptions punch = DialOptions.holePunch(DialOptions.UpgradeRole.INITIATOR, Duration.ofSeconds(1));
        ExecutionException e = assertThrows(ExecutionException.class, () -> await(a.connect(v6, punch)));
        assertInstanceOf(ConfigurationException.class, e.getCause());
    }

    /**
     * Both hosts dial (as after a simultaneous open: neither accepted a socket); a splice in the middle joins the
     * two dialed sockets. With the roles DCUtR assigns, the upgrade completes and streams work; had both led,
     * multistream-select would never agree.
     */
    @Test
    void twoDialedSocketsUpgradeWhenOneSideTakesTheResponderRole() throws Exception {
        Host a = host();
        Host b = host();
        Splice splice = new Splice();
        closeables.add(splice);
        DialOptions lead = new DialOptions(false, true, DialOptions.UpgradeRole.INITIATOR,
                java.util.Optional.empty());
        DialOptions follow = new DialOptions(false, true, DialOptions.UpgradeRole.RESPONDER,
                java.util.Optional.empty());
        CompletableFuture<Connection> fromA = a.connect(splice.first().withPeerId(b.peerId()), lead);
        CompletableFuture<Connection> fromB = b.connect(splice.second().withPeerId(a.peerId()), follow);
        Connection ca = await(fromA);
        Connection cb = await(fromB);
        assertEquals(Connection.Direction.OUTBOUND, ca.direction());
        assertEquals(Connection.Direction.OUTBOUND, cb.direction());
        assertTrue(ca.isInitiator());
        assertFalse(cb.isInitiator());
        byte[] payload = new byte[64 * 1024];
        new Random(7).nextBytes(payload);
        assertEquals(Long.valueOf(payload.length),
                await(cb.newStream(EchoService.PROTOCOL).thenCompose(s -> EchoClient.run(s, payload))));
        assertEquals(Long.valueOf(payload.length),
                await(ca.newStream(EchoService.PROTOCOL).thenCompose(s -> EchoClient.run(s, payload))));
    }

    /**
     * A hole punch's dial in the responder role that reaches the peer's listener (no NAT in between, the peer's
     * own SYN not sent yet): the peer registered our listen address for the round, so it leads on the accepted
     * socket, and the connection is upgraded with the roles DCUtR assigns.
     */
    @Test
    void aResponderDialAcceptedFromARegisteredAddressIsLedByTheAcceptingSide() throws Exception {
        Host a = host();
        Host b = host();
        // b's side of the upgrade may finish before a's: wait for a to announce its connection, never poll
        CompletableFuture<Connection> openedAtA = new CompletableFuture<>();
        a.addListener(new HostListener() {
            @Override
            public void connectionOpened(Connection c) {
                if (c.remotePeer().equals(b.peerId())) {
                    openedAtA.complete(c);
                }
            }
        });
        try (Host.Registration ignored = a.leadInboundFrom(List.of(b.listenAddresses().get(0).toTcpSocketAddress()),
                Duration.ofSeconds(30))) {
            DialOptions follow = DialOptions.holePunch(DialOptions.UpgradeRole.RESPONDER, Duration.ofSeconds(5));
            Connection fromB = await(b.connect(addressOf(a), follow));
            assertEquals(Connection.Direction.OUTBOUND, fromB.direction());
            assertFalse(fromB.isInitiator());
            assertEquals(port(b.listenAddresses().get(0)), port(fromB.localAddress()));
            Connection atA = await(openedAtA);
            assertEquals(Connection.Direction.INBOUND, atA.direction());
            assertTrue(atA.isInitiator(), "the accepting side leads");
            byte[] payload = new byte[4096];
            new Random(11).nextBytes(payload);
            assertEquals(Long.valueOf(payload.length),
                    await(fromB.newStream(EchoService.PROTOCOL).thenCompose(s -> EchoClient.run(s, payload))));
            assertEquals(Long.valueOf(payload.length),
                    await(atA.newStream(EchoService.PROTOCOL).thenCompose(s -> EchoClient.run(s, payload))));
        }
    }

    /**
     * Without a registration (here: one closed before the dial) the accepted socket waits as responder like the
     * dialer, nothing is said, and the upgrade times out on both sides: the stall the registration prevents.
     */
    @Test
    void aResponderDialAcceptedWithoutARegistrationStallsUntilTheUpgradeTimeout() throws Exception {
        Host a = host(Duration.ofMillis(800));
        Host b = host(Duration.ofMillis(800));
        Host.Registration closed = a.leadInboundFrom(List.of(b.listenAddresses().get(0).toTcpSocketAddress()),
                Duration.ofSeconds(30));
        closed.close();
        DialOptions follow = DialOptions.holePunch(DialOptions.UpgradeRole.RESPONDER, Duration.ofSeconds(5));
        long t0 = System.nanoTime();
        ExecutionException e = assertThrows(ExecutionException.class, () -> await(b.connect(addressOf(a), follow)));
        long waitedMs = (System.nanoTime() - t0) / 1_000_000;
        assertInstanceOf(TransportException.class, e.getCause());
        // whichever side's 800 ms timer fires first ends it: b's own ("upgrade timed out"), or a's, whose close
        // reaches b first ("closed during upgrade"); either way only after the stall, never at once
        String why = e.getCause().getMessage();
        assertTrue(why.contains("upgrade timed out") || why.contains("closed during upgrade"), why);
        assertTrue(waitedMs >= 700, "the dial stalled until an upgrade timeout: " + waitedMs + " ms");
        assertTrue(a.directConnection(b.peerId()).isEmpty());
    }

    /** Accepts one socket on each of two ports and copies bytes between them both ways. */
    private static final class Splice implements AutoCloseable {
        private final ServerSocket one = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        private final ServerSocket two = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        private final List<Socket> sockets = new ArrayList<>();
        private final Thread acceptor;

        Splice() throws IOException {
            acceptor = new Thread(this::run, "splice");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        Multiaddr first() {
            return Multiaddr.tcp((InetSocketAddress) one.getLocalSocketAddress());
        }

        Multiaddr second() {
            return Multiaddr.tcp((InetSocketAddress) two.getLocalSocketAddress());
        }

        private void run() {
            try {
                Socket x = one.accept();
                Socket y = two.accept();
                synchronized (sockets) {
                    sockets.add(x);
                    sockets.add(y);
                }
                copy(x.getInputStream(), y.getOutputStream());
                copy(y.getInputStream(), x.getOutputStream());
            } catch (IOException ignored) {
                // closed by the test
            }
        }

        private static void copy(InputStream in, OutputStream out) {
            Thread t = new Thread(() -> {
                try {
                    in.transferTo(out);
                } catch (IOException ignored) {
                    // one side closed
                }
            }, "splice-copy");
            t.setDaemon(true);
            t.start();
        }

        @Override
        public void close() throws IOException {
            one.close();
            two.close();
            synchronized (sockets) {
                for (Socket s : sockets) {
                    s.close();
                }
            }
        }
    }
}
