package dev.edgelink.agent.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.edgelink.libp2p.ConfigurationException;
import dev.edgelink.libp2p.bench.BenchProtocol;
import dev.edgelink.libp2p.crypto.KeyFiles;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.crypto.PrivKey;
import dev.edgelink.libp2p.echo.EchoClient;
import dev.edgelink.libp2p.echo.EchoService;
import dev.edgelink.libp2p.host.Connection;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.host.HostConfig;
import dev.edgelink.libp2p.host.HostListener;
import dev.edgelink.libp2p.host.Stream;
import dev.edgelink.libp2p.identify.IdentifyInfo;
import dev.edgelink.libp2p.identify.IdentifyService;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.libp2p.ping.PingService;
import dev.edgelink.libp2p.pnet.SwarmKey;
import dev.edgelink.libp2p.threads.TaskGuard;
import dev.edgelink.discovery.mdns.MdnsConfig;
import dev.edgelink.discovery.mdns.MdnsService;
import dev.edgelink.relay.circuit.CircuitLimit;
import dev.edgelink.relay.circuit.RelayClient;
import dev.edgelink.relay.circuit.RelayConfig;
import dev.edgelink.relay.circuit.RelayReservation;
import dev.edgelink.relay.circuit.RelayServer;
import dev.edgelink.relay.circuit.ReservationListener;
import dev.edgelink.relay.circuit.Reservations;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** The {@code edgelink p2p ...} diagnostics: one JSON object per line, exit 0 only if everything succeeded. */
final class P2pCommands {

    private static final Set<String> VALUED = Set.of("key", "listen", "psk", "count", "bytes", "streams",
            "timeout-ms", "handshakes", "warmup-bytes", "relay", "member", "limit-seconds", "limit-bytes",
            "mdns");
    private static final Set<String> SWITCHES = Set.of("echo", "open");

    /** Pause between the connections of the warm handshake measurement (not measured). */
    private static final long HANDSHAKE_SPACING_MS = 250;

    private final JsonOut out;

    P2pCommands(JsonOut out) {
        this.out = out;
    }

    int run(String command, String[] argv) throws InterruptedException, ExecutionException {
        Args args = new Args(argv, 2, VALUED, SWITCHES);
        switch (command) {
            case "id":
                return id(args);
            case "listen":
                return listen(args);
            case "relay":
                return relay(args);
            case "ping":
                return ping(args);
            case "echo":
                return echo(args);
            case "bench":
                return bench(args);
            default:
                throw new ConfigurationException("unknown command 'p2p " + command + "'\n" + Main.USAGE);
        }
    }

    private int id(Args args) {
        PrivKey key = nodeKey(Path.of(args.required("key")));
        out.print(out.object().put("peerId", PeerId.fromPublicKey(key.publicKey()).toString()));
        return 0;
    }

    private int listen(Args args) throws InterruptedException {
        List<Multiaddr> addresses = new ArrayList<>();
        for (String a : args.all("listen")) {
            addresses.add(Multiaddr.fromString(a));
        }
        if (addresses.isEmpty()) {
            throw new ConfigurationException("missing option --listen");
        }
        Host host = Host.start(config(args, nodeKey(Path.of(args.required("key"))), addresses));
        IdentifyService identify = services(host);
        if (args.has("echo")) {
            EchoService.register(host);
            BenchProtocol.register(host);
        }
        host.addListener(new Printer());
        identify.addListener(this::printIdentify);
        printListening(host);
        Reservations reservations = reserve(host, args);
        MdnsService mdns = args.all("mdns").isEmpty() ? null : startMdns(host, args.all("mdns"));
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (mdns != null) {
                mdns.close();
            }
            if (reservations != null) {
                reservations.close();
            }
            host.close();
            out.print(out.event("stopped"));
            stop.countDown();
        }, "edgelink-shutdown"));
        stop.await();
        return 0;
    }

    /** Keeps reservations on the {@code --relay} addresses, printing each change; null when there are none. */
    private Reservations reserve(Host host, Args args) {
        List<Multiaddr> relays = new ArrayList<>();
        for (String r : args.all("relay")) {
            relays.add(Multiaddr.fromString(r));
        }
        if (relays.isEmpty()) {
            return null;
        }
        Reservations reservations = Reservations.start(RelayClient.install(host), relays, new TaskGuard());
        reservations.addListener(new ReservationListener() {
            @Override
            public void reservationMade(RelayReservation r, boolean renewed) {
                out.print(out.event(renewed ? "reservation:renewed" : "reservation").put("relay", r.relay().toString())
                        .put("addr", r.circuitAddress().withPeerId(host.peerId()).toString())
                        .put("expires", r.expires().toString()).put("limited", r.limit().isPresent()));
            }

            @Override
            public void reservationLost(Multiaddr relay, String reason) {
                out.print(out.event("reservation:lost").put("relay", relay.toString()).put("reason", reason));
            }
        });
        return reservations;
    }

    /**
     * Serves circuit relay v2: members (--member, or everyone with --open) unlimited; others refused, or limited
     * with --limit-seconds/--limit-bytes.
     */
    private int relay(Args args) throws InterruptedException {
        List<Multiaddr> addresses = new ArrayList<>();
        for (String a : args.all("listen")) {
            addresses.add(Multiaddr.fromString(a));
        }
        if (addresses.isEmpty()) {
            throw new ConfigurationException("missing option --listen");
        }
        Set<PeerId> members = new java.util.HashSet<>();
        args.all("member").forEach(m -> members.add(PeerId.fromString(m)));
        boolean open = args.has("open");
        if (members.isEmpty() && !open) {
            throw new ConfigurationException("say who may use the relay: --member PEERID (repeatable) or --open");
        }
        RelayConfig config = RelayConfig.defaults(p -> open || members.contains(p));
        if (args.has("limit-seconds") || args.has("limit-bytes")) {
            config = config.withNonMemberLimit(new CircuitLimit(
                    Duration.ofSeconds(args.number("limit-seconds", 120, 1)), args.number("limit-bytes", 1 << 17, 1)));
        }
        Host host = Host.start(config(args, nodeKey(Path.of(args.required("key"))), addresses));
        services(host);
        if (args.has("echo")) {
            EchoService.register(host);
            BenchProtocol.register(host);
        }
        RelayServer server = RelayServer.start(host, config);
        host.addListener(new Printer());
        printListening(host);
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            host.close();
            out.print(out.event("stopped"));
            stop.countDown();
        }, "edgelink-shutdown"));
        stop.await();
        return 0;
    }

    private void printListening(Host host) {
        ObjectNode first = out.event("listening").put("peerId", host.peerId().toString());
        ArrayNode list = first.putArray("listen");
        for (Multiaddr a : host.listenAddresses()) {
            list.add(a.withPeerId(host.peerId()).toString());
        }
        ArrayNode protocols = first.putArray("protocols");
        host.protocols().forEach(protocols::add);
        out.print(first);
    }

    /**
     * mDNS on {@code interfaces}: every peer found is printed ({@code peer:discovery}, at its first answer) and
     * dialed once while not connected.
     */
    private MdnsService startMdns(Host host, List<String> interfaces) {
        Set<PeerId> seen = ConcurrentHashMap.newKeySet();
        TaskGuard tasks = new TaskGuard();
        ScheduledExecutorService scheduler = tasks.newScheduler("edgelink-mdns-query", "mdns-query");
        MdnsService mdns = new MdnsService(host.peerId(), host::listenAddresses,
                MdnsConfig.on(interfaces).withQueryInterval(Duration.ofSeconds(2)), scheduler, InstantSource.system(),
                new SecureRandom(), (peer, addresses, via) -> {
                    if (seen.add(peer)) {
                        ObjectNode e = out.event("peer:discovery").put("peerId", peer.toString()).put("interface", via);
                        ArrayNode list = e.putArray("multiaddrs");
                        addresses.forEach(a -> list.add(a.toString()));
                        out.print(e);
                    }
                    if (host.connection(peer).isEmpty()) {
                        host.connect(addresses.get(0)).exceptionally(ex -> null);
                    }
                }, tasks);
        mdns.start();
        return mdns;
    }

    private int ping(Args args) throws InterruptedException, ExecutionException {
        Multiaddr target = Multiaddr.fromString(args.positional(0, "MULTIADDR to ping"));
        int count = (int) args.number("count", 3, 1);
        try (Host host = Host.start(config(args, clientKey(args), List.of()))) {
            IdentifyService identify = services(host);
            PingService ping = new PingService(host);
            Connection c = await(host.connect(target), args);
            printConnection("connection", c);
            List<Duration> rtts = await(ping.ping(c, count), args);
            for (int i = 0; i < rtts.size(); i++) {
                out.print(out.event("ping").put("peer", c.remotePeer().toString()).put("seq", i + 1)
                        .put("rttMs", rtts.get(i).toNanos() / 1e6));
            }
            printIdentify(c, await(identify.identify(c), args));
            return 0;
        }
    }

    private int echo(Args args) throws InterruptedException, ExecutionException {
        Multiaddr target = Multiaddr.fromString(args.positional(0, "MULTIADDR to echo with"));
        long bytes = args.number("bytes", -1, 1);
        if (bytes < 0 || bytes > Integer.MAX_VALUE - 8) {
            throw new ConfigurationException("--bytes is required, between 1 and " + (Integer.MAX_VALUE - 8));
        }
        int streams = (int) args.number("streams", 1, 1);
        try (Host host = Host.start(config(args, clientKey(args), List.of()))) {
            services(host);
            Connection c = await(host.connect(target), args);
            SecureRandom random = new SecureRandom();
            long start = System.nanoTime();
            List<CompletableFuture<Long>> runs = new ArrayList<>();
            for (int i = 0; i < streams; i++) {
                byte[] payload = new byte[(int) bytes];
                random.nextBytes(payload);
                runs.add(c.newStream(EchoService.PROTOCOL).thenCompose(s -> EchoClient.run(s, payload)));
            }
            await(CompletableFuture.allOf(runs.toArray(CompletableFuture[]::new)), args);
            double seconds = (System.nanoTime() - start) / 1e9;
            out.print(out.event("echo").put("ok", true).put("peer", c.remotePeer().toString())
                    .put("streams", streams).put("bytesPerStream", bytes).put("ms", seconds * 1000)
                    .put("mbps", 2.0 * streams * bytes / seconds / 1e6));
            return 0;
        }
    }

    private int bench(Args args) throws InterruptedException, ExecutionException {
        Multiaddr target = Multiaddr.fromString(args.positional(0, "MULTIADDR to send to"));
        long bytes = args.number("bytes", 1L << 30, 1);
        try (Host host = Host.start(config(args, clientKey(args), List.of()))) {
            services(host);
            long t0 = System.nanoTime();
            Connection c = await(host.connect(target), args);
            Stream s = await(c.newStream(BenchProtocol.PROTOCOL), args);
            double handshakeMs = (System.nanoTime() - t0) / 1e6;
            long warmup = args.number("warmup-bytes", bytes / 4, 0);
            if (warmup > 0) {
                await(BenchProtocol.send(s, warmup), args);
                s = await(c.newStream(BenchProtocol.PROTOCOL), args);
            }
            long nanos = await(BenchProtocol.send(s, bytes), args);
            double warmMs = warmHandshakeMedianMs(host, target, (int) args.number("handshakes", 10, 1), args);
            out.print(out.event("bench").put("peer", c.remotePeer().toString()).put("bytes", bytes)
                    .put("ms", nanos / 1e6).put("mbps", bytes / (nanos / 1e9) / 1e6)
                    .put("gbitps", bytes * 8 / (nanos / 1e9) / 1e9).put("handshakeMs", handshakeMs)
                    .put("warmHandshakeMs", warmMs));
            return 0;
        }
    }

    /**
     * Median time from TCP connect to the first negotiated stream over {@code count} fresh connections, once the JVM
     * is warm (the first handshake of a process mostly measures class loading and JIT compilation).
     */
    private static double warmHandshakeMedianMs(Host host, Multiaddr target, int count, Args args)
            throws InterruptedException, ExecutionException {
        double[] ms = new double[count];
        for (int i = 0; i < count; i++) {
            host.connection(target.peerId().orElseThrow()).ifPresent(old -> {
                old.close();
                old.muxer().closeFuture().awaitUninterruptibly();
            });
            // js-libp2p refuses more than 5 inbound connections per second from one address by default
            Thread.sleep(HANDSHAKE_SPACING_MS);
            long t0 = System.nanoTime();
            Connection c = await(host.connect(target), args);
            Stream s = await(c.newStream(PingService.PROTOCOL), args);
            ms[i] = (System.nanoTime() - t0) / 1e6;
            s.reset();
        }
        java.util.Arrays.sort(ms);
        return ms[count / 2];
    }

    /** Identify, ping, and the relay client so that any command can dial {@code /p2p-circuit} addresses. */
    private static IdentifyService services(Host host) {
        IdentifyService identify = new IdentifyService(host);
        new PingService(host);
        RelayClient.install(host);
        return identify;
    }

    private static HostConfig config(Args args, PrivKey key, List<Multiaddr> listen) {
        HostConfig.Builder b = HostConfig.builder(key).listen(listen);
        args.option("psk").ifPresent(p -> {
            KeyFiles.requirePrivate(Path.of(p));
            b.swarmKey(SwarmKey.fromFile(Path.of(p)));
        });
        return b.build();
    }

    /** The node key in {@code file}, created (0600) if missing; refused if other users may read it. */
    private static PrivKey nodeKey(Path file) {
        KeyFiles.requirePrivate(file);
        return Keys.loadOrCreate(file);
    }

    private static PrivKey clientKey(Args args) {
        return args.option("key").map(k -> nodeKey(Path.of(k))).orElseGet(Keys::generateEd25519);
    }

    private static <T> T await(CompletableFuture<T> future, Args args) throws InterruptedException,
            ExecutionException {
        long ms = args.number("timeout-ms", 30_000, 1);
        try {
            return future.get(ms, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new dev.edgelink.libp2p.TransportException("timed out after " + ms + " ms");
        }
    }

    private void printConnection(String event, Connection c) {
        out.print(out.event(event).put("direction", c.direction().name().toLowerCase())
                .put("peer", c.remotePeer().toString()).put("remote", c.remoteAddress().toString())
                .put("security", c.security()).put("muxer", c.muxerProtocol())
                .put("transport", c.transport().name().toLowerCase()).put("limited", c.isLimited()));
    }

    private void printIdentify(Connection c, IdentifyInfo info) {
        ObjectNode node = out.event("identify").put("peer", c.remotePeer().toString())
                .put("agentVersion", info.agentVersion()).put("protocolVersion", info.protocolVersion());
        info.protocols().forEach(node.putArray("protocols")::add);
        ArrayNode listen = node.putArray("listenAddrs");
        info.listenAddresses().forEach(a -> listen.add(a.toString()));
        info.observedAddress().ifPresent(a -> node.put("observedAddr", a.toString()));
        out.print(node);
    }

    /** Prints inbound connections and streams of {@code p2p listen}. */
    private final class Printer implements HostListener {
        @Override
        public void connectionOpened(Connection connection) {
            printConnection("connection:open", connection);
        }

        @Override
        public void connectionClosed(Connection connection) {
            printConnection("connection:close", connection);
        }

        @Override
        public void streamOpened(Stream stream) {
            out.print(out.event("stream").put("direction", stream.isOutbound() ? "outbound" : "inbound")
                    .put("protocol", stream.protocol()).put("peer", stream.connection().remotePeer().toString()));
        }
    }
}
