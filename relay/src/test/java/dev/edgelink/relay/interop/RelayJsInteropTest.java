package dev.edgelink.relay.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.echo.EchoClient;
import dev.edgelink.libp2p.echo.EchoService;
import dev.edgelink.libp2p.interop.JsPeer;
import dev.edgelink.libp2p.host.Connection;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.host.HostConfig;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.relay.circuit.RelayClient;
import dev.edgelink.relay.circuit.RelayConfig;
import dev.edgelink.relay.circuit.RelayReservation;
import dev.edgelink.relay.circuit.RelayServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Circuit relay v2 between our implementation and js-libp2p (interop/js-peer), both as relay and as client. */
@Tag("interop")
class RelayJsInteropTest {

    private static final Duration ACTION = Duration.ofSeconds(60);
    private final List<AutoCloseable> started = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).close();
        }
    }

    private Host host() {
        Host h = Host.start(HostConfig.builder(Keys.generateEd25519())
                .listen(List.of(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0"))).build());
        started.add(h);
        EchoService.register(h);
        return h;
    }

    private JsPeer js(List<String> args, boolean waitListening) {
        JsPeer peer = waitListening ? JsPeer.start(args) : JsPeer.launch(args);
        started.add(peer);
        return peer;
    }

    @Test
    void javaReservesOnAJsRelayAndIsReachedByJsAndByJava() throws Exception {
        JsPeer relay = js(List.of("--relay-server", "--relay-unlimited"), true);
        Multiaddr relayAddress = Multiaddr.fromString(relay.tcpMultiaddr());
        Host a = host();
        RelayReservation reservation = RelayClient.install(a).reserve(relayAddress).get(30, TimeUnit.SECONDS);
        assertTrue(reservation.voucher().isPresent(), "js relays send a voucher; ours checked it");
        String circuit = reservation.circuitAddress() + "/p2p/" + a.peerId();

        JsPeer dialer = js(List.of("--exit-after-actions", "--echo-dial", circuit, "--echo-bytes", "1048576"),
                false);
        assertEquals(0, dialer.runToExit(ACTION), dialer.dump());
        JsonNode echo = dialer.events("echo").get(0);
        assertTrue(echo.path("ok").asBoolean(), dialer.dump());
        assertEquals(1048576, echo.path("bytesReceived").asLong());
        assertFalse(echo.path("limited").asBoolean());

        Host b = host();
        RelayClient.install(b);
        Connection c = b.connect(Multiaddr.fromString(circuit)).get(30, TimeUnit.SECONDS);
        assertTrue(c.isRelayed());
        byte[] payload = new byte[1 << 20];
        new Random(11).nextBytes(payload);
        long echoed = c.newStream(EchoService.PROTOCOL).thenCompose(s -> EchoClient.run(s, payload))
                .get(30, TimeUnit.SECONDS);
        assertEquals(payload.length, echoed);
    }

    @Test
    void jsPeersReserveOnAJavaRelayAndReachEachOther() throws Exception {
        Host r = host();
        RelayServer server = RelayServer.start(r, RelayConfig.defaults(p -> true));
        started.add(server);
        String relayAddress = r.listenAddresses().get(0).withPeerId(r.peerId()).toString();
        JsPeer target = js(List.of("--listen", "/ip4/127.0.0.1/tcp/0", "--listen", relayAddress + "/p2p-circuit",
                "--echo"), true);
        assertTrue(target.multiaddrs().stream().anyMatch(m -> m.contains("/p2p-circuit")), target.dump());
        assertTrue(server.hasReservation(dev.edgelink.libp2p.peer.PeerId.fromString(target.peerId())));
        String circuit = relayAddress + "/p2p-circuit/p2p/" + target.peerId();

        JsPeer dialer = js(List.of("--exit-after-actions", "--echo-dial", circuit, "--echo-bytes", "4194304",
                "--echo-streams", "2"), false);
        assertEquals(0, dialer.runToExit(ACTION), dialer.dump());
        JsonNode echo = dialer.events("echo").get(0);
        assertTrue(echo.path("ok").asBoolean(), dialer.dump());
        assertEquals(2 * 4194304L, echo.path("bytesReceived").asLong());
        assertFalse(echo.path("limited").asBoolean(), "members' circuits carry no Limit");
        target.awaitEvent("echo:served", e -> e.path("bytes").asLong() == 4194304L, ACTION);
    }
}
