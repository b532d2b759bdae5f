package dev.edgelink.relay.interop;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.echo.EchoClient;
import dev.edgelink.libp2p.echo.EchoService;
import dev.edgelink.libp2p.host.Connection;
import dev.edgelink.libp2p.host.DialOptions;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.host.HostConfig;
import dev.edgelink.libp2p.host.HostListener;
import dev.edgelink.libp2p.identify.IdentifyService;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.relay.autonat.AutonatClient;
import dev.edgelink.relay.autonat.AutonatMessage.DialResponse;
import dev.edgelink.relay.autonat.AutonatServer;
import dev.edgelink.relay.autonat.AutonatServerConfig;
import dev.edgelink.relay.autonat.DialBack;
import dev.edgelink.relay.autonat.NatStatus;
import dev.edgelink.relay.autonat.NatStatusTracker;
import dev.edgelink.relay.circuit.RelayClient;
import dev.edgelink.relay.circuit.RelayReservation;
import dev.edgelink.relay.dcutr.DcutrConfig;
import dev.edgelink.relay.dcutr.DcutrService;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Our libp2p stack as a command-line peer for interop tests inside network namespaces (a test JVM cannot enter a
 * namespace, so it runs this as a child with {@code ip netns exec}; see {@link JavaLabPeerProcess}). Prints one
 * JSON object per line on stdout, like the js peer: {@code listening} first, then {@code connection:open},
 * {@code connection:close}, {@code identify} and {@code punched} as they happen, and one reply per command. Reads
 * commands from stdin, one per line; exits when stdin ends.
 *
 * <p>Options: {@code --listen <ma>} (one TCP address), {@code --autonat-server} (AutoNAT v1 with the default
 * policy, dial-backs from a separate host), {@code --dcutr} (DCUtR, offering the addresses peers observed on our
 * direct connections). identify, echo and the circuit relay client always run.
 *
 * <p>Commands (each reply has {@code event} = the command, {@code seq} = its line number from 1, {@code ok}, and
 * {@code error} on failure):
 * <ul>
 *   <li>{@code connect <ma> [listen-port]}: dial (from the listen port if asked); replies {@code remoteAddr},
 *       {@code relayed}</li>
 *   <li>{@code reserve <relay-ma>}: a circuit relay v2 reservation; replies {@code circuit}</li>
 *   <li>{@code autonat <peer> <ma>...}: asks the peer (over our direct connection to it) to dial us back at these
 *       addresses, once with {@link AutonatClient#ask} and once with {@link AutonatClient#check}; replies
 *       {@code status}, {@code text}, {@code addr}, {@code nat}</li>
 *   <li>{@code punch <peer>}: DCUtR as the initiator (B) over our relayed connection to the peer; replies
 *       {@code remoteAddr}, {@code localAddr}, {@code initiator}</li>
 *   <li>{@code echo <peer> <bytes>}: {@code /echo/1.0.0} over our direct connection to the peer; replies
 *       {@code bytes}, {@code remoteAddr}</li>
 *   <li>{@code close-relayed <peer>}: closes our relayed connection to the peer</li>
 * </ul>
 */
public final class JavaLabPeer {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(25);

    private final Host host;
    private final RelayClient relayClient;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final Set<Multiaddr> observed = new CopyOnWriteArraySet<>();
    private final DcutrService dcutr;

    private JavaLabPeer(List<String> args) {
        String listen = option(args, "--listen").orElse("/ip4/0.0.0.0/tcp/0");
        host = Host.start(HostConfig.builder(Keys.generateEd25519()).listen(List.of(Multiaddr.fromString(listen)))
                .eventLoopThreads(1).build());
        IdentifyService identify = new IdentifyService(host);
        identify.addListener((c, info) -> {
            info.observedAddress().filter(a -> !c.isRelayed() && a.isTcp()).ifPresent(observed::add);
            ObjectNode e = event("identify");
            e.put("remotePeer", c.remotePeer().toString());
            e.put("relayed", c.isRelayed());
            e.put("observedAddr", info.observedAddress().map(Multiaddr::toString).orElse(null));
            ArrayNode protocols = e.putArray("protocols");
            info.protocols().forEach(protocols::add);
            print(e);
        });
        EchoService.register(host);
        relayClient = RelayClient.install(host);
        host.addListener(new HostListener() {
            @Override
            public void connectionOpened(Connection c) {
                print(connection("connection:open", c));
            }

            @Override
            public void connectionClosed(Connection c) {
                print(connection("connection:close", c));
            }
        });
        if (args.contains("--autonat-server")) {
            Host dialBackHost = DialBack.separateHost(host.config());
            new AutonatServer(AutonatServerConfig.DEFAULT.withDialTimeout(Duration.ofSeconds(5)),
                    DialBack.through(dialBackHost), scheduler, System::nanoTime).register(host);
        }
        if (args.contains("--dcutr")) {
            dcutr = new DcutrService(host, DcutrConfig.DEFAULT, () -> List.copyOf(observed), scheduler,
                    System::nanoTime);
            dcutr.addPunchedListener(c -> print(connection("punched", c)));
        } else {
            dcutr = null;
        }
    }

    public static void main(String[] argv) throws Exception {
        JavaLabPeer peer = new JavaLabPeer(Arrays.asList(argv));
        ObjectNode listening = event("listening");
        listening.put("peerId", peer.host.peerId().toString());
        ArrayNode addrs = listening.putArray("multiaddrs");
        peer.host.listenAddresses().forEach(a -> addrs.add(a.toString()));
        ArrayNode protocols = listening.putArray("protocols");
        peer.host.protocols().forEach(protocols::add);
        print(listening);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        int seq = 0;
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            if (!line.isBlank()) {
                seq++;
                print(peer.run(seq, List.of(line.trim().split("\\s+"))));
            }
        }
        peer.host.close();
        peer.scheduler.shutdownNow();
        System.exit(0);
    }

    private ObjectNode run(int seq, List<String> words) {
        ObjectNode reply = event(words.get(0));
        reply.put("seq", seq);
        try {
            execute(words, reply);
            reply.put("ok", true);
        } catch (Exception e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            reply.put("ok", false);
            reply.put("error", cause.toString());
        }
        return reply;
    }

    private void execute(List<String> w, ObjectNode reply) throws Exception {
        switch (w.get(0)) {
            case "connect" -> {
                DialOptions options = new DialOptions(w.contains("listen-port"), false,
                        DialOptions.UpgradeRole.INITIATOR, Optional.empty());
                Connection c = await(host.connect(Multiaddr.fromString(w.get(1)), options));
                reply.put("remoteAddr", c.remoteAddress().toString());
                reply.put("localAddr", c.localAddress().toString());
                reply.put("relayed", c.isRelayed());
            }
            case "reserve" -> {
                RelayReservation r = await(relayClient.reserve(Multiaddr.fromString(w.get(1))));
                reply.put("circuit", r.circuitAddress().toString());
            }
            case "autonat" -> autonat(PeerId.fromString(w.get(1)), w.get(2).equals("relayed"),
                    w.subList(3, w.size()), reply);
            case "punch" -> {
                Connection relayed = host.relayedConnection(PeerId.fromString(w.get(1)))
                        .orElseThrow(() -> new IllegalStateException("no relayed connection to " + w.get(1)));
                Connection direct = await(dcutr.punch(relayed));
                reply.setAll(connection("punch", direct));
                reply.put("event", "punch");
            }
            case "echo" -> {
                Connection c = direct(w.get(1));
                byte[] payload = new byte[Integer.parseInt(w.get(2))];
                new Random(7).nextBytes(payload);
                long echoed = await(c.newStream(EchoService.PROTOCOL).thenCompose(s -> EchoClient.run(s, payload)));
                reply.put("bytes", echoed);
                reply.put("remoteAddr", c.remoteAddress().toString());
            }
            case "close-relayed" -> host.relayedConnection(PeerId.fromString(w.get(1))).ifPresent(Connection::close);
            default -> throw new IllegalArgumentException("unknown command " + w.get(0));
        }
    }

    private void autonat(PeerId server, boolean relayed, List<String> addresses, ObjectNode reply) throws Exception {
        List<Multiaddr> ours = new ArrayList<>();
        addresses.forEach(a -> ours.add(Multiaddr.fromString(a)));
        Connection c = relayed ? host.relayedConnection(server)
                .orElseThrow(() -> new IllegalStateException("no relayed connection to " + server))
                : direct(server.toString());
        NatStatusTracker tracker = new NatStatusTracker(1, TimeUnit.MINUTES.toNanos(10), 8);
        AutonatClient client = new AutonatClient(host.peerId(), () -> ours, tracker, scheduler, System::nanoTime,
                Duration.ofSeconds(20));
        try {
            DialResponse response = await(client.ask(c));
            reply.put("status", response.status().name());
            reply.put("text", response.text());
            reply.put("addr", response.address().map(Multiaddr::toString).orElse(null));
        } catch (ExecutionException e) {
            reply.put("status", "NO_ANSWER");
            reply.put("text", e.getCause().toString());
        }
        NatStatus nat = await(client.check(List.of(c)));
        reply.put("nat", nat.name());
    }

    private Connection direct(String peer) {
        return host.directConnection(PeerId.fromString(peer))
                .orElseThrow(() -> new IllegalStateException("no direct connection to " + peer));
    }

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static Optional<String> option(List<String> args, String name) {
        int i = args.indexOf(name);
        return i >= 0 && i + 1 < args.size() ? Optional.of(args.get(i + 1)) : Optional.empty();
    }

    private static ObjectNode connection(String name, Connection c) {
        ObjectNode e = event(name);
        e.put("remotePeer", c.remotePeer().toString());
        e.put("remoteAddr", c.remoteAddress().toString());
        e.put("localAddr", c.localAddress().toString());
        e.put("direction", c.direction().name().toLowerCase());
        e.put("initiator", c.isInitiator());
        e.put("relayed", c.isRelayed());
        e.put("limited", c.isLimited());
        return e;
    }

    private static ObjectNode event(String name) {
        ObjectNode e = JSON.createObjectNode();
        e.put("event", name);
        e.put("ts", System.currentTimeMillis());
        return e;
    }

    private static synchronized void print(ObjectNode event) {
        System.out.println(event.toString());
        System.out.flush();
    }
}
