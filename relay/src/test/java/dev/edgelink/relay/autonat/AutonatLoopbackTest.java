package dev.edgelink.relay.autonat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.edgelink.libp2p.Libp2pException;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.encoding.Varint;
import dev.edgelink.libp2p.host.Connection;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.host.HostConfig;
import dev.edgelink.libp2p.host.Stream;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.relay.autonat.AutonatMessage.DialResponse;
import dev.edgelink.relay.autonat.AutonatMessage.ResponseStatus;
import dev.edgelink.relay.wire.MessageStream;
import io.netty.buffer.Unpooled;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** AutoNAT client and server between real hosts on loopback (private addresses allowed, as in a lab). */
class AutonatLoopbackTest {

    private static final Multiaddr ANY = Multiaddr.fromString("/ip4/127.0.0.1/tcp/0");
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final List<Host> hosts = new ArrayList<>();

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

    private Host server(AutonatServerConfig config) {
        Host s = host();
        Host dialer = DialBack.separateHost(s.config());
        hosts.add(dialer);
        new AutonatServer(config, DialBack.through(dialer), scheduler, System::nanoTime).register(s);
        return s;
    }

    private static AutonatServerConfig lab() {
        return AutonatServerConfig.DEFAULT.withAllowPrivateAddresses(true).withDialTimeout(Duration.ofSeconds(3));
    }

    private AutonatClient client(PeerId self, Supplier<List<Multiaddr>> candidates) {
        return new AutonatClient(self, candidates, new NatStatusTracker(2, Long.MAX_VALUE / 2, 16), scheduler,
                System::nanoTime, Duration.ofSeconds(10));
    }

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(20, TimeUnit.SECONDS);
    }

    private static Multiaddr addressOf(Host h) {
        return h.listenAddresses().get(0).withPeerId(h.peerId());
    }

    @Test
    void aListeningClientIsDialedBackAtItsAddress() throws Exception {
        Host server = server(lab());
        Host c = host();
        Connection conn = await(c.connect(addressOf(server)));
        DialResponse r = await(client(c.peerId(), c::listenAddresses).ask(conn));
        assertEquals(ResponseStatus.OK, r.status());
        assertEquals(c.listenAddresses().get(0), r.address().orElseThrow());
    }

    @Test
    void aClosedPortIsADialError() throws Exception {
        Host server = server(lab());
        Host c = host();
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        Multiaddr nobody = Multiaddr.fromString("/ip4/127.0.0.1/tcp/" + closedPort);
        Connection conn = await(c.connect(addressOf(server)));
        assertEquals(ResponseStatus.E_DIAL_ERROR, await(client(c.peerId(), () -> List.of(nobody)).ask(conn))
                .status());
    }

    @Test
    void addressesOnAnotherIpThanTheObservedOneAreRefused() throws Exception {
        Host server = server(lab());
        Host c = host();
        int port = c.listenAddresses().get(0).toTcpSocketAddress().getPort();
        Multiaddr elsewhere = Multiaddr.fromString("/ip4/127.0.0.2/tcp/" + port);
        Connection conn = await(c.connect(addressOf(server)));
        DialResponse r = await(client(c.peerId(), () -> List.of(elsewhere)).ask(conn));
        assertEquals(ResponseStatus.E_DIAL_REFUSED, r.status());
    }

    @Test
    void privateAddressesAreRefusedUnlessConfigured() throws Exception {
        Host server = server(AutonatServerConfig.DEFAULT);
        Host c = host();
        Connection conn = await(c.connect(addressOf(server)));
        assertEquals(ResponseStatus.E_DIAL_REFUSED, await(client(c.peerId(), c::listenAddresses).ask(conn))
                .status());
    }

    @Test
    void aRequestForAnotherPeerIsABadRequest() throws Exception {
        Host server = server(lab());
        Host c = host();
        PeerId someoneElse = PeerId.fromPublicKey(Keys.generateEd25519().publicKey());
        Connection conn = await(c.connect(addressOf(server)));
        assertEquals(ResponseStatus.E_BAD_REQUEST, await(client(someoneElse, c::listenAddresses).ask(conn))
                .status());
    }

    @Test
    void thePerPeerRateLimitRefusesTheNextRequest() throws Exception {
        Host server = server(lab().withRates(1, 10, Duration.ofMinutes(1)));
        Host c = host();
        Connection conn = await(c.connect(addressOf(server)));
        AutonatClient client = client(c.peerId(), c::listenAddresses);
        assertEquals(ResponseStatus.OK, await(client.ask(conn)).status());
        DialResponse second = await(client.ask(conn));
        assertEquals(ResponseStatus.E_DIAL_REFUSED, second.status());
        assertEquals("per-peer limit of 1 requests reached", second.text());
    }

    @Test
    void anOversizeMessageResetsTheStreamAndTheServerKeepsServing() throws Exception {
        Host server = server(lab());
        Host c = host();
        Connection conn = await(c.connect(addressOf(server)));
        Stream raw = await(conn.newStream(AutonatServer.PROTOCOL));
        byte[] prefix = Varint.encode(1 << 20);
        raw.write(Unpooled.wrappedBuffer(prefix));
        raw.write(Unpooled.wrappedBuffer(new byte[8192]));
        MessageStream replies = MessageStream.attach(raw, AutonatCodec.MAX_MESSAGE, scheduler);
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> await(replies.read(Duration.ofSeconds(10))));
        assertInstanceOf(Libp2pException.class, e.getCause());
        assertEquals(ResponseStatus.OK, await(client(c.peerId(), c::listenAddresses).ask(conn)).status());
    }

    @Test
    void theClientConcludesPublicFromTwoServers() throws Exception {
        Host c = host();
        List<Connection> conns = List.of(await(c.connect(addressOf(server(lab())))),
                await(c.connect(addressOf(server(lab())))));
        assertEquals(NatStatus.PUBLIC, await(client(c.peerId(), c::listenAddresses).check(conns)));
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        Multiaddr nobody = Multiaddr.fromString("/ip4/127.0.0.1/tcp/" + closedPort);
        assertEquals(NatStatus.PRIVATE, await(client(c.peerId(), () -> List.of(nobody)).check(conns)));
    }
}
