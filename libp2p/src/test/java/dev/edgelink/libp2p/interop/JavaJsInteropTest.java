package dev.edgelink.libp2p.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.echo.EchoClient;
import dev.edgelink.libp2p.echo.EchoService;
import dev.edgelink.libp2p.host.Connection;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.host.HostConfig;
import dev.edgelink.libp2p.identify.IdentifyInfo;
import dev.edgelink.libp2p.identify.IdentifyService;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.ping.PingService;
import dev.edgelink.libp2p.pnet.SwarmKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our libp2p against js-libp2p (the pinned harness in interop/js-peer), both directions: noise + yamux, identify
 * with the right observed address, ping, byte-exact echo on one big and many concurrent streams, and pnet.
 */
@Tag("interop")
class JavaJsInteropTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final int BIG = 8 * 1024 * 1024;
    private static final int SMALL = 256 * 1024;
    private static final int STREAMS = 64;

    @TempDir
    Path dir;

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private Host javaHost(List<Multiaddr> listen, SwarmKey psk) {
        HostConfig.Builder b = HostConfig.builder(Keys.generateEd25519()).listen(listen);
        if (psk != null) {
            b.swarmKey(psk);
        }
        Host host = Host.start(b.build());
        toClose.add(host);
        return host;
    }

    private JsPeer js(List<String> args) {
        JsPeer peer = JsPeer.start(args);
        toClose.add(peer);
        return peer;
    }

    private Path swarmKeyFile(String name, byte seed) throws Exception {
        byte[] key = new byte[32];
        new Random(seed).nextBytes(key);
        StringBuilder hex = new StringBuilder();
        for (byte b : key) {
            hex.append(String.format("%02x", b));
        }
        Path file = dir.resolve(name);
        Files.writeString(file, "/key/swarm/psk/1.0.0/\n/base16/\n" + hex + "\n");
        return file;
    }

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void javaDialsJsAndEverythingWorks() throws Exception {
        javaDialsJs(null, List.of());
    }

    @Test
    void javaDialsJsInAPrivateNetwork() throws Exception {
        Path psk = swarmKeyFile("swarm.key", (byte) 1);
        javaDialsJs(SwarmKey.fromFile(psk), List.of("--psk", psk.toString()));
    }

    private void javaDialsJs(SwarmKey psk, List<String> jsPsk) throws Exception {
        List<String> args = new ArrayList<>(List.of("--listen", "/ip4/127.0.0.1/tcp/0", "--echo"));
        args.addAll(jsPsk);
        JsPeer peer = js(args);
        Host host = javaHost(List.of(), psk);
        IdentifyService identify = new IdentifyService(host);
        PingService ping = new PingService(host);
        Multiaddr target = Multiaddr.fromString(peer.tcpMultiaddr());

        Connection c = await(host.connect(target));
        assertEquals(peer.peerId(), c.remotePeer().toString());
        assertEquals("/noise", c.security());
        assertEquals("/yamux/1.0.0", c.muxerProtocol());

        IdentifyInfo info = await(identify.identify(c));
        assertTrue(info.agentVersion().startsWith("js-libp2p/"), info.agentVersion());
        assertTrue(info.protocols().contains(EchoService.PROTOCOL), info.protocols().toString());
        assertEquals(c.localAddress(), info.observedAddress().orElseThrow().withoutPeerId(), "js saw us elsewhere");
        JsonNode jsSawUs = peer.awaitEvent(e -> "identify".equals(e.path("event").asText())
                && host.peerId().toString().equals(e.path("remotePeer").asText()), WAIT);
        assertEquals(c.remoteAddress().toString(), jsSawUs.path("observedAddr").asText());
        assertTrue(jsSawUs.path("protocols").toString().contains(PingService.PROTOCOL));

        List<Duration> rtts = await(ping.ping(c, 3));
        assertEquals(3, rtts.size());

        byte[] big = random(BIG, 7);
        Long echoed = await(c.newStream(EchoService.PROTOCOL).thenCompose(s -> EchoClient.run(s, big)));
        assertEquals(Long.valueOf(BIG), echoed);
        List<CompletableFuture<Long>> many = new ArrayList<>();
        for (int i = 0; i < STREAMS; i++) {
            byte[] payload = random(SMALL, i);
            many.add(c.newStream(EchoService.PROTOCOL).thenCompose(s -> EchoClient.run(s, payload)));
        }
        for (CompletableFuture<Long> f : many) {
            assertEquals(Long.valueOf(SMALL), await(f));
        }
    }

    @Test
    void jsDialsJavaAndEverythingWorks() throws Exception {
        jsDialsJava(null, List.of());
    }

    @Test
    void jsDialsJavaInAPrivateNetwork() throws Exception {
        Path psk = swarmKeyFile("swarm.key", (byte) 2);
        jsDialsJava(SwarmKey.fromFile(psk), List.of("--psk", psk.toString()));
    }

    private void jsDialsJava(SwarmKey psk, List<String> jsPsk) throws Exception {
        Host host = javaHost(List.of(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0")), psk);
        IdentifyService identify = new IdentifyService(host);
        new PingService(host);
        EchoService.register(host);
        List<IdentifyInfo> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<Connection> conns = new java.util.concurrent.CopyOnWriteArrayList<>();
        identify.addListener((c, i) -> {
            conns.add(c);
            seen.add(i);
        });
        String addr = host.listenAddresses().get(0).withPeerId(host.peerId()).toString();

        JsPeer first = js(withPsk(jsPsk, "--listen", "/ip4/127.0.0.1/tcp/0", "--dial", addr, "--ping-count", "3",
                "--echo-dial", addr, "--echo-bytes", String.valueOf(BIG), "--exit-after-actions",
                "--action-timeout-ms", "60000"));
        assertEquals(0, first.runToExit(WAIT), "js actions failed:\n" + first.dump());
        JsonNode dial = first.awaitEvent(e -> "dial".equals(e.path("event").asText()), WAIT);
        assertEquals("/noise", dial.path("encryption").asText());
        assertEquals("/yamux/1.0.0", dial.path("multiplexer").asText());
        first.awaitEvent(e -> "ping".equals(e.path("event").asText()) && e.path("ok").asBoolean()
                && e.path("seq").asInt() == 3, WAIT);
        JsonNode jsSawUs = first.awaitEvent(e -> "identify".equals(e.path("event").asText()), WAIT);
        assertTrue(jsSawUs.path("agentVersion").asText().startsWith("edgelink/"), jsSawUs.toString());
        assertTrue(jsSawUs.path("protocols").toString().contains(EchoService.PROTOCOL), jsSawUs.toString());
        JsonNode bigEcho = first.awaitEvent(e -> "echo".equals(e.path("event").asText()), WAIT);
        assertTrue(bigEcho.path("ok").asBoolean(), bigEcho.toString());

        JsPeer second = js(withPsk(jsPsk, "--listen", "/ip4/127.0.0.1/tcp/0", "--echo-dial", addr,
                "--echo-bytes", String.valueOf(SMALL), "--echo-streams", String.valueOf(STREAMS),
                "--exit-after-actions", "--action-timeout-ms", "60000"));
        assertEquals(0, second.runToExit(WAIT), "js actions failed:\n" + second.dump());
        JsonNode manyEcho = second.awaitEvent(e -> "echo".equals(e.path("event").asText()), WAIT);
        assertTrue(manyEcho.path("ok").asBoolean(), manyEcho.toString());
        assertEquals(STREAMS, manyEcho.path("streams").asInt());

        assertFalse(seen.isEmpty(), "we never identified the js peer");
        Connection c = conns.get(0);
        assertTrue(seen.get(0).agentVersion().startsWith("js-libp2p/"));
        assertEquals(host.listenAddresses().get(0), seen.get(0).observedAddress().orElseThrow().withoutPeerId());
        assertEquals(first.peerId(), c.remotePeer().toString());
        assertEquals(c.remoteAddress().toString(), jsSawUs.path("observedAddr").asText(), "we told js a wrong address");
    }

    private static List<String> withPsk(List<String> psk, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(psk);
        return all;
    }

    @Test
    void differentPresharedKeysAreRefusedCleanly() throws Exception {
        Path jsKey = swarmKeyFile("js.key", (byte) 3);
        Path ourKey = swarmKeyFile("our.key", (byte) 4);
        JsPeer peer = js(List.of("--listen", "/ip4/127.0.0.1/tcp/0", "--echo", "--psk", jsKey.toString()));
        Host host = javaHost(List.of(), SwarmKey.fromFile(ourKey));
        CompletableFuture<Connection> attempt = host.connect(Multiaddr.fromString(peer.tcpMultiaddr()));
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> await(attempt));
        assertTrue(e.getCause() instanceof dev.edgelink.libp2p.Libp2pException, String.valueOf(e.getCause()));
        assertTrue(host.connections().isEmpty());
    }
}
