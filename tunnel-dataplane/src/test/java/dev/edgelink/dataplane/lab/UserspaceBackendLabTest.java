package dev.edgelink.dataplane.lab;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.StaticPeer;
import dev.edgelink.dataplane.backend.userspace.UserspaceBackend;
import dev.edgelink.dataplane.internal.netlink.NetworkNamespaces;
import dev.edgelink.dataplane.netlink.Route;
import dev.edgelink.dataplane.path.ProbeResult;
import dev.edgelink.dataplane.tun.TunDevice;
import dev.edgelink.dataplane.tun.TunUnavailableException;
import dev.edgelink.dataplane.tunnel.PeerStats;
import dev.edgelink.dataplane.tunnel.TunnelConfig;
import dev.edgelink.dataplane.tunnel.TunnelFrames;
import dev.edgelink.dataplane.tunnel.TunnelPathProber;
import dev.edgelink.libp2p.Libp2pException;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.host.Connection;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.host.HostConfig;
import dev.edgelink.libp2p.host.Stream;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.mux.ByteBudget;
import dev.edgelink.libp2p.mux.MuxedStream;
import dev.edgelink.libp2p.mux.StreamListener;
import dev.edgelink.net.IpPrefix;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The userspace path between two namespaces ({@link UserspaceWorld}): pods ping and move data through TUN devices
 * and a direct libp2p connection; a hostile or stalled third peer costs the others nothing; closing leaves nothing.
 */
@Tag("lab")
class UserspaceBackendLabTest {
    private static final int MTU = 1400;

    @ParameterizedTest(name = "offloads={0}")
    @ValueSource(booleans = {true, false})
    void podsPingAndMoveFiftyMibByteExactOverTheTunnel(boolean offloads) throws Exception {
        try (UserspaceWorld w = UserspaceWorld.start(TunnelConfig.defaults(MTU).withOffloads(offloads))) {
            assertEquals(offloads, w.a.service().offloads(), "offloads as asked (the kernel here has TSO on TUN)");
            assertEquals(0, ping(w, w.a, w.b.podAddress), "pod a pings pod b through edgelink0");
            assertEquals(0, ping(w, w.b, w.a.podAddress), "pod b pings pod a");
            long bytes = 50L << 20;
            long nanos = transfer(w.a, w.b, bytes);
            System.out.printf("userspace path, offloads=%s: %d MiB pod to pod in %.2f s (%.2f Gbit/s)%n", offloads,
                    bytes >> 20, nanos / 1e9, bytes * 8 / (nanos / 1e9) / 1e9);
            PeerStats fromA = w.b.service().stats("a").orElseThrow();
            assertTrue(fromA.rxBytes() >= bytes, "b handed at least the payload to its TUN device: " + fromA);
            assertEquals(0, fromA.spoofDrops() + fromA.resets(), fromA.toString());
            String route = routeOf(w, w.a, "10.244.2.0/24");
            assertTrue(route.contains("edgelink0") && route.contains("proto 69"), route);
            assertEquals(String.valueOf(MTU), mtuOf(w, w.a));
        }
    }

    @Test
    void probeMeasuresTheRoundTripOverTheStream() throws Exception {
        try (UserspaceWorld w = UserspaceWorld.start(TunnelConfig.defaults(MTU))) {
            TunnelPathProber prober = new TunnelPathProber(w.a.service(), Duration.ofSeconds(2));
            ProbeResult ok = prober.probe(w.b.asPeer(), PathKind.DIRECT).get(5, TimeUnit.SECONDS);
            assertTrue(ok.ok() && ok.rttNanos() > 0, ok.toString());
            StaticPeer stranger = StaticPeer.of("z", IpPrefix.parse("10.244.9.0/24"),
                    IpPrefix.literal("198.18.0.9"), null);
            ProbeResult none = prober.probe(stranger, PathKind.RELAYED).get(5, TimeUnit.SECONDS);
            assertFalse(none.ok(), none.toString());
            assertFalse(prober.probe(w.b.asPeer(), PathKind.VXLAN).get().ok(), "kernel rungs are not ours");
        }
    }

    @Test
    void malformedFrameResetsOnlyThatPeersStream() throws Exception {
        try (UserspaceWorld w = UserspaceWorld.start(TunnelConfig.defaults(MTU))) {
            Rogue c = rogue(w, "c");
            c.stream.write(hello("c"));
            UserspaceWorld.awaitConnected(w.a, "c");
            c.stream.write(Unpooled.wrappedBuffer(new byte[] {9, 0, 0, 1, 0}));
            assertTrue(c.reset.get(10, TimeUnit.SECONDS) != null, "the rogue's stream was reset");
            await(() -> w.a.service().stats("c").orElseThrow().resets() == 1, "a counted the reset");
            assertFalse(w.a.service().connected("c"));
            assertTrue(w.a.service().connected("b"), "b's stream is untouched");
            assertEquals(0, ping(w, w.a, w.b.podAddress), "and still carries pod traffic");
            assertEquals(0, w.a.service().stats("b").orElseThrow().resets());
        }
    }

    @Test
    void helloNamingAnotherNodeIsRefused() throws Exception {
        try (UserspaceWorld w = UserspaceWorld.start(TunnelConfig.defaults(MTU))) {
            Rogue c = rogue(w, "c");
            c.stream.write(hello("b"));
            assertTrue(c.reset.get(10, TimeUnit.SECONDS) != null, "a stream claiming to be b was reset");
            assertTrue(w.a.service().connected("b"), "the real b keeps its stream");
            assertEquals(0, ping(w, w.a, w.b.podAddress));
        }
    }

    @Test
    void aSilentPeersStreamIsResetWhileAnsweringPeersStay() throws Exception {
        TunnelConfig fast = TunnelConfig.defaults(MTU).withKeepalive(Duration.ofMillis(200), Duration.ofMillis(1500));
        try (UserspaceWorld w = UserspaceWorld.start(fast)) {
            Rogue c = rogue(w, "c");
            c.stream.write(hello("c"));
            UserspaceWorld.awaitConnected(w.a, "c");
            assertTrue(c.reset.get(10, TimeUnit.SECONDS) != null, "c never answers a PING: its stream is reset");
            assertEquals(1, w.a.service().stats("c").orElseThrow().resets());
            Thread.sleep(1000);
            assertTrue(w.a.service().connected("b"), "b answers every PING and keeps its stream");
            assertEquals(0, w.a.service().stats("b").orElseThrow().resets());
            assertEquals(0, ping(w, w.a, w.b.podAddress));
        }
    }

    @Test
    void stalledPeerDropsIntoItsOwnQueueAndOthersKeepFlowing() throws Exception {
        TunnelConfig small = TunnelConfig.defaults(MTU).withQueue(64, 1 << 20);
        try (UserspaceWorld w = UserspaceWorld.start(small)) {
            Rogue c = rogue(w, "c");
            c.stream.setAutoRead(false);
            c.stream.write(hello("c"));
            UserspaceWorld.awaitConnected(w.a, "c");
            StaticPeer cPeer = StaticPeer.of("c", IpPrefix.parse("10.244.3.0/24"), IpPrefix.literal("198.18.0.3"),
                    null);
            w.a.backend.ensurePeer(cPeer);
            CompletableFuture<Void> flood = CompletableFuture.runAsync(() -> udpFlood(w, "10.244.3.2", 20_000));
            await(() -> w.a.service().stats("c").orElseThrow().queueDrops() > 0, () -> "c's queue overflowed: "
                    + w.a.service().stats("c") + ", no peer " + w.a.service().noPeerDrops() + ", flood " + flood);
            long nanos = transfer(w.a, w.b, 8L << 20);
            assertEquals(0, ping(w, w.a, w.b.podAddress), "b answers while c is stalled");
            flood.get(60, TimeUnit.SECONDS);
            PeerStats cs = w.a.service().stats("c").orElseThrow();
            PeerStats bs = w.a.service().stats("b").orElseThrow();
            System.out.printf("stalled peer: c %s; b %s; 8 MiB to b in %.2f s%n", cs, bs, nanos / 1e9);
            assertTrue(cs.queueDrops() > 1000, "most of the flood to c was dropped and counted: " + cs);
            assertTrue(bs.txBytes() >= 8L << 20, "b's transfer went through its own stream: " + bs);
            assertTrue(w.a.service().connected("c"), "c is slow, not broken: its stream stays");
        }
    }

    @Test
    void stalledPeersTogetherStayWithinTheMemoryBudgetAndLeaveRoomForOthers() throws Exception {
        int peerBytes = 256 << 10;
        long totalBytes = 1 << 20;
        TunnelConfig small = TunnelConfig.defaults(MTU).withMemory(peerBytes, totalBytes);
        try (UserspaceWorld w = UserspaceWorld.start(small)) {
            List<String> stalled = List.of("c", "d", "e", "f", "g", "h");
            List<CompletableFuture<Void>> floods = new java.util.ArrayList<>();
            for (int i = 0; i < stalled.size(); i++) {
                String name = stalled.get(i);
                Rogue r = rogue(w, name);
                r.stream.setAutoRead(false);
                r.stream.write(hello(name));
                UserspaceWorld.awaitConnected(w.a, name);
                String cidr = "10.244." + (10 + i) + ".0/24";
                w.a.backend.ensurePeer(StaticPeer.of(name, IpPrefix.parse(cidr), IpPrefix.literal("198.18.0.2"),
                        null));
                String dst = "10.244." + (10 + i) + ".2";
                floods.add(CompletableFuture.runAsync(() -> udpFlood(w, dst, 20_000)));
            }
            for (CompletableFuture<Void> f : floods) {
                f.get(60, TimeUnit.SECONDS);
            }
            long held = stalled.stream().mapToLong(n -> w.a.service().heldBytes(n)).sum();
            long nanos = transfer(w.a, w.b, 4L << 20);
            ByteBudget m = w.a.service().memory();
            long drops = stalled.stream().mapToLong(n -> {
                PeerStats st = w.a.service().stats(n).orElseThrow();
                return st.queueDrops() + st.budgetDrops();
            }).sum();
            System.out.printf("6 stalled peers: hold %d bytes, budget %s peak %d refusals %d, drops %d;"
                    + " 4 MiB to b in %.2f s%n", held, m, m.peak(), m.refusals(), drops, nanos / 1e9);
            assertTrue(m.peak() <= totalBytes + stalled.size() * 2L * 16 * 200,
                    "never more than the budget (plus a few probes): peak " + m.peak());
            for (String n : stalled) {
                assertTrue(w.a.service().heldBytes(n) <= peerBytes, n + " holds at most its own limit");
            }
            assertTrue(held > peerBytes, "the stalled peers did fill their queues: " + held);
            assertTrue(drops > 10_000, "what did not fit was dropped and counted: " + drops);
            assertEquals(0, ping(w, w.a, w.b.podAddress), "b still answers");
            for (String n : stalled) {
                w.a.service().removePeer(n);
            }
            await(() -> w.a.service().memory().used() < 64 << 10, () -> "a removed peer gives back what it held: "
                    + w.a.service().memory());
        }
    }

    @Test
    void movingAPeerFromDirectToRelayedIsMakeBeforeBreak() throws Exception {
        try (UserspaceWorld w = UserspaceWorld.start(TunnelConfig.defaults(MTU))) {
            UserspaceBackend relayed = new UserspaceBackend(PathKind.RELAYED, w.a.netlink, w.a.device);
            assertTrue(relayed.ensurePeer(w.b.asPeer()), "the relayed route replaces the direct one");
            assertFalse(w.a.backend.removePeer(w.b.asPeer()), "the direct rung's exact route is gone already");
            String route = routeOf(w, w.a, "10.244.2.0/24");
            assertTrue(route.contains("via 10.244.2.0") && route.contains("edgelink0"), route);
            assertEquals(0, ping(w, w.a, w.b.podAddress), "traffic still flows, now on the relayed rung's route");
            assertTrue(relayed.removePeer(w.b.asPeer()));
            assertEquals("", routeOf(w, w.a, "10.244.2.0/24").trim());
        }
    }

    @Test
    void packetsLargerThanThePeersMtuAreDroppedNotSent() throws Exception {
        try (UserspaceWorld w = UserspaceWorld.start(TunnelConfig.defaults(MTU).withOffloads(false))) {
            w.lab.ip(w.a.ns, "link", "set", "edgelink0", "mtu", "1500");
            w.lab.ip(w.a.podNs, "link", "set", "eth0", "mtu", "1500");
            long before = w.a.service().stats("b").orElseThrow().otherDrops();
            assertNotEquals(0, w.lab.execIn(w.a.podNs, "ping", "-c", "2", "-i", "0.2", "-W", "1", "-M", "do", "-s",
                    "1450", w.b.podAddress), "1478-byte packets exceed b's MTU of 1400");
            assertTrue(w.a.service().stats("b").orElseThrow().otherDrops() > before);
            assertTrue(w.a.service().connected("b"), "b's stream was not reset by an oversized frame");
            assertEquals(0, ping(w, w.a, w.b.podAddress));
        }
    }

    @Test
    void closingTheDataPathLeavesNoDeviceAndNoRoute() throws Exception {
        try (UserspaceWorld w = UserspaceWorld.start(TunnelConfig.defaults(MTU))) {
            assertEquals(0, w.lab.execIn(w.a.ns, "ip", "link", "show", "edgelink0"));
            w.a.device.close();
            w.b.device.close();
            for (UserspaceWorld.Node n : List.of(w.a, w.b)) {
                assertNotEquals(0, w.lab.execIn(n.ns, "ip", "link", "show", "edgelink0"), "device gone in " + n.ns);
                assertTrue(n.netlink.routes(Route.TABLE_MAIN, Route.PROTOCOL_EDGELINK).isEmpty(), "routes gone");
            }
        }
    }

    @Test
    void deviceDeletedByHandComesBackOnEnsure() throws Exception {
        try (UserspaceWorld w = UserspaceWorld.start(TunnelConfig.defaults(MTU))) {
            var before = w.a.service();
            w.lab.ip(w.a.ns, "link", "del", "edgelink0");
            await(before::readerStopped, "the reader ends when its device is deleted under it");
            assertFalse(before.readerHealthy(), "and says so: probes over it fail from now on");
            w.a.backend.ensureDevice(w.a.local);
            assertEquals(0, w.lab.execIn(w.a.ns, "ip", "link", "show", "edgelink0"));
            assertEquals(1, w.a.device.restarts(), "the data path started again, counted");
            assertTrue(w.a.service().readerHealthy());
            assertEquals(String.valueOf(MTU), mtuOf(w, w.a));
            w.link(w.b, w.a);
            assertEquals(0, ping(w, w.a, w.b.podAddress), "b's new stream reached a's new service");
        }
    }

    @Test
    void missingOrWrongCloneDeviceAndTakenNamesGiveClearErrors() {
        try (Lab lab = Lab.open("elu")) {
            String ns = lab.namespace("t");
            TunUnavailableException missing = assertThrows(TunUnavailableException.class,
                    () -> TunDevice.open(Path.of("/nonexistent/net/tun"), "edgelink0", false));
            assertTrue(missing.getMessage().contains("is missing") && missing.getMessage().contains("tun module"),
                    missing.getMessage());
            TunUnavailableException notTun = assertThrows(TunUnavailableException.class,
                    () -> NetworkNamespaces.call(Lab.path(ns), () -> TunDevice.open(Path.of("/dev/null"), "x0",
                            false)));
            assertTrue(notTun.getMessage().contains("not a TUN device"), notTun.getMessage());
            lab.ip(ns, "link", "add", "edgelink0", "type", "bridge");
            TunUnavailableException taken = assertThrows(TunUnavailableException.class,
                    () -> TunDevice.openIn(Lab.path(ns), "edgelink0", false));
            assertTrue(taken.getMessage().contains("another kind"), taken.getMessage());
            assertEquals("bridge", lab.ipJson(ns, "-d", "link", "show", "edgelink0").get(0).path("linkinfo")
                    .path("info_kind").asText(), "the bridge is left as it was");
        }
    }

    // ---- helpers

    /** A third libp2p peer in b's namespace, member "name", with a raw tunnel stream to a. */
    private record Rogue(Stream stream, CompletableFuture<String> reset) {
    }

    private static Rogue rogue(UserspaceWorld w, String name) throws Exception {
        Multiaddr listen = Multiaddr.fromString("/ip4/198.18.0.2/tcp/0");
        Host h = w.closeLater(NetworkNamespaces.call(Lab.path(w.b.ns),
                () -> Host.start(HostConfig.builder(Keys.generateEd25519()).listen(List.of(listen)).build())));
        w.members.put(h.peerId(), name);
        Connection conn = NetworkNamespaces.call(Lab.path(w.b.ns),
                () -> h.connect(w.a.address()).get(20, TimeUnit.SECONDS));
        Stream s = conn.newStream(TunnelFrames.PROTOCOL).get(20, TimeUnit.SECONDS);
        CompletableFuture<String> reset = new CompletableFuture<>();
        s.setListener(new StreamListener() {
            @Override
            public void onData(MuxedStream stream, ByteBuf data) {
                data.release();
            }

            @Override
            public void onReset(MuxedStream stream, Libp2pException cause) {
                reset.complete(cause != null ? cause.getMessage() : "reset");
            }
        });
        return new Rogue(s, reset);
    }

    private static ByteBuf hello(String name) {
        return TunnelFrames.writeHello(Unpooled.buffer(),
                new TunnelFrames.Hello(TunnelFrames.VERSION, MTU, 0, name));
    }

    private static int ping(UserspaceWorld w, UserspaceWorld.Node from, String to) {
        return w.lab.execIn(from.podNs, "ping", "-c", "3", "-i", "0.2", "-W", "2", to);
    }

    private static String routeOf(UserspaceWorld w, UserspaceWorld.Node n, String prefix) {
        return w.lab.ip(n.ns, "route", "show", prefix);
    }

    private static String mtuOf(UserspaceWorld w, UserspaceWorld.Node n) {
        return w.lab.ipJson(n.ns, "link", "show", "edgelink0").get(0).path("mtu").asText();
    }

    private static void await(Supplier<Boolean> condition, String what) throws InterruptedException {
        await(condition, () -> what);
    }

    private static void await(Supplier<Boolean> condition, Supplier<String> what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.get()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 20 s: " + what.get());
            }
            Thread.sleep(20);
        }
    }

    private static void udpFlood(UserspaceWorld w, String to, int packets) {
        try (DatagramChannel ch = NetworkNamespaces.call(Lab.path(w.a.podNs), DatagramChannel::open)) {
            ByteBuffer payload = ByteBuffer.allocate(1200);
            InetSocketAddress target = new InetSocketAddress(to, 9);
            for (int i = 0; i < packets; i++) {
                payload.clear();
                ch.send(payload, target);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Sends {@code bytes} of seeded random data from a socket in {@code from}'s pod to a server in {@code to}'s pod
     * and checks that the same bytes (count and SHA-256) arrived.
     *
     * @return nanoseconds from connect to the receiver's end of stream
     */
    private static long transfer(UserspaceWorld.Node from, UserspaceWorld.Node to, long bytes) throws Exception {
        ServerSocketChannel server = NetworkNamespaces.call(Lab.path(to.podNs), () -> {
            ServerSocketChannel s = ServerSocketChannel.open();
            s.bind(new InetSocketAddress(to.podAddress, 0));
            return s;
        });
        SocketChannel client = NetworkNamespaces.call(Lab.path(from.podNs), SocketChannel::open);
        try (server; client) {
            CompletableFuture<byte[]> received = CompletableFuture.supplyAsync(() -> receiveAll(server, bytes));
            long start = System.nanoTime();
            client.connect(server.getLocalAddress());
            MessageDigest sent = MessageDigest.getInstance("SHA-256");
            Random random = new Random(42);
            byte[] chunk = new byte[64 * 1024];
            for (long left = bytes; left > 0; left -= chunk.length) {
                random.nextBytes(chunk);
                int n = (int) Math.min(chunk.length, left);
                sent.update(chunk, 0, n);
                ByteBuffer b = ByteBuffer.wrap(chunk, 0, n);
                while (b.hasRemaining()) {
                    client.write(b);
                }
            }
            client.shutdownOutput();
            byte[] digest = received.get(120, TimeUnit.SECONDS);
            long nanos = System.nanoTime() - start;
            assertArrayEquals(sent.digest(), digest, "the receiver got exactly the bytes sent");
            return nanos;
        }
    }

    private static byte[] receiveAll(ServerSocketChannel server, long expected) {
        try (SocketChannel c = server.accept()) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            ByteBuffer b = ByteBuffer.allocate(256 * 1024);
            long total = 0;
            int n;
            while ((n = c.read(b)) >= 0) {
                digest.update(b.array(), 0, n);
                total += n;
                b.clear();
            }
            assertEquals(expected, total, "byte count");
            return digest.digest();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
