package dev.edgelink.relay.dcutr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.ProtocolViolationException;
import dev.edgelink.libp2p.TransportException;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.host.Connection;
import dev.edgelink.libp2p.host.DialOptions;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.host.HostConfig;
import dev.edgelink.libp2p.host.HostListener;
import dev.edgelink.libp2p.host.Stream;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.relay.reachability.Reachability;
import dev.edgelink.relay.wire.FrameDecoder;
import dev.edgelink.relay.wire.MessageStream;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * DCUtR's mechanics between two hosts on loopback, over a direct coordination connection (standing in for a
 * relayed one). Without a NAT, whichever SYN comes first reaches the other's listening socket, so the punch ends
 * as an accepted connection at B (A's SYN) or at A (B's SYN): the roles hold either way (A leads the upgrade).
 * The NAT case is the lab test's.
 */
class DcutrLoopbackTest {

    private static final Multiaddr ANY = Multiaddr.fromString("/ip4/127.0.0.1/tcp/0");
    private static final DcutrConfig LAB = DcutrConfig.DEFAULT.withAllowPrivateAddresses(true)
            .withDialWindow(Duration.ofMillis(600));
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final List<Host> hosts = new ArrayList<>();
    private Host a;
    private Host b;

    /** A is the lower peer id, so the host keeps the punched connection (A led it) over B's coordination one. */
    @BeforeEach
    void hosts() {
        Host x = host();
        Host y = host();
        a = x.peerId().compareTo(y.peerId()) < 0 ? x : y;
        b = a == x ? y : x;
    }

    @AfterEach
    void close() {
        hosts.forEach(Host::close);
        scheduler.shutdownNow();
    }

    private Host host() {
        Host h = Host.start(HostConfig.builder(Keys.generateEd25519()).listen(List.of(ANY)).build());
        hosts.add(h);
        return h;
    }

    private DcutrService dcutr(Host h, Supplier<List<Multiaddr>> candidates) {
        return new DcutrService(h, LAB, candidates, scheduler, System::nanoTime);
    }

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(60, TimeUnit.SECONDS);
    }

    private static int port(Multiaddr m) {
        return m.toTcpSocketAddress().getPort();
    }

    private static Multiaddr closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return Multiaddr.fromString("/ip4/127.0.0.1/tcp/" + s.getLocalPort());
        }
    }

    @Test
    void aPunchYieldsADirectConnectionBetweenTheListenPortsWithTheAssignedRoles() throws Exception {
        CompletableFuture<Connection> atA = new CompletableFuture<>();
        dcutr(a, a::listenAddresses).addPunchedListener(atA::complete);
        DcutrService atB = dcutr(b, b::listenAddresses);
        Connection coordination = await(b.connect(a.listenAddresses().get(0).withPeerId(a.peerId())));
        Connection direct = await(atB.punch(coordination));
        assertNotSame(coordination, direct);
        assertEquals(a.peerId(), direct.remotePeer());
        assertEquals(port(b.listenAddresses().get(0)), port(direct.localAddress()));
        assertEquals(port(a.listenAddresses().get(0)), port(direct.remoteAddress()));
        assertFalse(direct.isInitiator(), "B takes the responder role");
        Connection fromA = await(atA);
        assertTrue(fromA.isInitiator(), "A leads the upgrade");
        assertEquals(direct.localAddress(), fromA.remoteAddress());
        assertTrue(direct.isOpen());
    }

    /** Each round runs on a stream of its own (A, as js-libp2p's and go-libp2p's, serves one round per stream). */
    @Test
    void whenNoDialWorksThePunchFailsAfterThreeRoundsWithinItsWindows() throws Exception {
        Multiaddr deadA = closedPort();
        Multiaddr deadB = closedPort();
        dcutr(a, () -> List.of(deadA));
        AtomicInteger streams = new AtomicInteger();
        a.addListener(new HostListener() {
            @Override
            public void streamOpened(Stream stream) {
                if (stream.protocol().equals(DcutrService.PROTOCOL)) {
                    streams.incrementAndGet();
                }
            }
        });
        DcutrService atB = dcutr(b, () -> List.of(deadB));
        Connection coordination = await(b.connect(a.listenAddresses().get(0).withPeerId(a.peerId())));
        long start = System.nanoTime();
        ExecutionException e = assertThrows(ExecutionException.class, () -> await(atB.punch(coordination)));
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertInstanceOf(TransportException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains("after 3 rounds"), e.getCause().getMessage());
        assertTrue(tookMs >= 3 * 600 && tookMs < 3 * 600 + 3000, "took " + tookMs + " ms");
        assertTrue(coordination.isOpen(), "a failed punch leaves the coordination connection alone");
        assertEquals(3, streams.get(), "one stream per round");
    }

    @Test
    void aConnectWithoutDialableAddressesEndsThePunch() throws Exception {
        dcutr(a, () -> List.of(Multiaddr.fromString("/dns4/example.org/tcp/4001"),
                Multiaddr.fromString("/ip4/0.0.0.0/tcp/4001")));
        DcutrService atB = dcutr(b, b::listenAddresses);
        Connection coordination = await(b.connect(a.listenAddresses().get(0).withPeerId(a.peerId())));
        ExecutionException e = assertThrows(ExecutionException.class, () -> await(atB.punch(coordination)));
        assertInstanceOf(ProtocolViolationException.class, e.getCause());
    }

    /**
     * A slow relay path and a fast direct one, as js-libp2p's A shows when it dials the moment SYNC arrives: A
     * answers CONNECT late (B measures a long round trip and holds its dials for half of it) and dials B at once on
     * SYNC. Its connection is up before B dials and is the round's result (a dial of B's into A's listener could
     * not be upgraded: both sides would wait as responders).
     */
    @Test
    void aConnectionFromAThatComesBeforeOurDialsIsThePunchedOne() throws Exception {
        Duration slowRelay = Duration.ofMillis(1500);
        a.setHandler(DcutrService.PROTOCOL, stream -> {
            MessageStream messages = MessageStream.attach(stream, HolePunchCodec.MAX_MESSAGE, scheduler);
            messages.read(Duration.ofSeconds(5))
                    .thenCompose(connect -> later(slowRelay).thenApply(v -> connect))
                    .thenCompose(connect -> {
                        messages.write(HolePunchCodec.encode(HolePunchMessage.Type.CONNECT, a.listenAddresses()));
                        return messages.read(Duration.ofSeconds(5));
                    })
                    .thenCompose(sync -> a.connect(b.listenAddresses().get(0).withPeerId(b.peerId()),
                            DialOptions.holePunch(DialOptions.UpgradeRole.INITIATOR, Duration.ofSeconds(5))))
                    .whenComplete((c, e) -> messages.closeWrite());
        });
        DcutrService atB = dcutr(b, b::listenAddresses);
        Connection coordination = await(b.connect(a.listenAddresses().get(0).withPeerId(a.peerId())));
        Connection direct = await(atB.punch(coordination));
        assertFalse(direct.isInitiator(), "A led the upgrade of the connection it dialed");
        assertEquals(Connection.Direction.INBOUND, direct.direction());
        assertEquals(port(b.listenAddresses().get(0)), port(direct.localAddress()));
    }

    /**
     * The third way a punch's socket comes about: B's SYN reaches A's listener (no NAT in between, A's own SYN not
     * sent yet). B here dials right after A's CONNECT, before sending SYNC, so A cannot have dialed and B's dial can
     * only be accepted by A's listener. B dials as responder, as always; A has registered the addresses of B's
     * CONNECT for the round, so it leads on the accepted socket. (Before that, both sides waited as responders
     * until the upgrade timed out, and the round was lost.)
     */
    @Test
    void aDialOfBsAcceptedByAsListenerIsUpgradedWithALeading() throws Exception {
        dcutr(a, a::listenAddresses);
        CompletableFuture<Connection> atA = new CompletableFuture<>();
        a.addListener(new HostListener() {
            @Override
            public void connectionOpened(Connection c) {
                if (c.direction() == Connection.Direction.INBOUND
                        && port(c.remoteAddress()) == port(b.listenAddresses().get(0))) {
                    atA.complete(c);
                }
            }
        });
        Connection coordination = await(b.connect(a.listenAddresses().get(0).withPeerId(a.peerId())));
        MessageStream messages = MessageStream.attach(await(coordination.newStream(DcutrService.PROTOCOL)),
                HolePunchCodec.MAX_MESSAGE, scheduler);
        messages.write(HolePunchCodec.encode(HolePunchMessage.Type.CONNECT, b.listenAddresses()));
        HolePunchMessage connect = HolePunchCodec.decode(await(messages.read(Duration.ofSeconds(5))));
        assertEquals(HolePunchMessage.Type.CONNECT, connect.type());
        Connection direct = await(b.connect(connect.addresses().get(0).withPeerId(a.peerId()),
                DialOptions.holePunch(DialOptions.UpgradeRole.RESPONDER, Duration.ofSeconds(5))));
        assertEquals(Connection.Direction.OUTBOUND, direct.direction());
        assertFalse(direct.isInitiator(), "B responds");
        assertEquals(port(b.listenAddresses().get(0)), port(direct.localAddress()));
        assertEquals(port(a.listenAddresses().get(0)), port(direct.remoteAddress()));
        Connection fromA = await(atA);
        assertTrue(fromA.isInitiator(), "A leads on the socket its listener accepted");
        assertEquals(direct.localAddress(), fromA.remoteAddress());
        assertTrue(direct.isOpen());
    }

    private CompletableFuture<Void> later(Duration delay) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        scheduler.schedule(() -> f.complete(null), delay.toMillis(), TimeUnit.MILLISECONDS);
        return f;
    }

    @Test
    void aPeerThatAnswersOutOfOrderEndsThePunchWithAProtocolViolation() throws Exception {
        a.setHandler(DcutrService.PROTOCOL, stream -> {
            stream.setListener((s, data) -> data.release());
            stream.write(FrameDecoder.frame(HolePunchCodec.encode(HolePunchMessage.Type.SYNC, List.of())));
        });
        DcutrService atB = dcutr(b, b::listenAddresses);
        Connection coordination = await(b.connect(a.listenAddresses().get(0).withPeerId(a.peerId())));
        ExecutionException e = assertThrows(ExecutionException.class, () -> await(atB.punch(coordination)));
        assertInstanceOf(ProtocolViolationException.class, e.getCause());
    }

    @Test
    void aSecondConcurrentPunchFromOnePeerIsRefused() throws Exception {
        dcutr(a, a::listenAddresses);
        Connection coordination = await(b.connect(a.listenAddresses().get(0).withPeerId(a.peerId())));
        Stream first = await(coordination.newStream(DcutrService.PROTOCOL));
        CompletableFuture<byte[]> reply = coordination.newStream(DcutrService.PROTOCOL).thenCompose(second ->
                dev.edgelink.relay.wire.MessageStream.attach(second, HolePunchCodec.MAX_MESSAGE, scheduler)
                        .read(Duration.ofSeconds(5)));
        ExecutionException e = assertThrows(ExecutionException.class, () -> await(reply));
        assertTrue(e.getCause().getMessage().contains("reset"), "reset, not a timeout: " + e.getCause());
        assertFalse(first.isClosed(), "the first stream goes on");
    }

    @Test
    void thePolicyKeepsUsFromPunchingThroughASymmetricNatAndBacksOffAfterAFailure() throws Exception {
        dcutr(a, () -> List.of(Multiaddr.fromString("/dns4/example.org/tcp/4001")));
        DcutrService atB = dcutr(b, b::listenAddresses);
        Connection coordination = await(b.connect(a.listenAddresses().get(0).withPeerId(a.peerId())));
        PunchPolicy policy = PunchPolicy.standard();
        ExecutionException symmetric = assertThrows(ExecutionException.class, () -> await(atB.punch(coordination,
                policy, Reachability.NAT_PORT_PRESERVING, Reachability.NAT_SYMMETRIC)));
        assertInstanceOf(PunchNotAttemptedException.class, symmetric.getCause());
        ExecutionException failed = assertThrows(ExecutionException.class, () -> await(atB.punch(coordination,
                policy, Reachability.UNKNOWN, Reachability.UNKNOWN)));
        assertInstanceOf(ProtocolViolationException.class, failed.getCause());
        ExecutionException backoff = assertThrows(ExecutionException.class, () -> await(atB.punch(coordination,
                policy, Reachability.UNKNOWN, Reachability.UNKNOWN)));
        assertInstanceOf(PunchNotAttemptedException.class, backoff.getCause());
        assertTrue(backoff.getCause().getMessage().contains("backing off"), backoff.getCause().getMessage());
    }
}
