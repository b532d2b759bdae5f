package dev.edgelink.agent.internal.nat;

import dev.edgelink.agent.config.AgentConfig;
import dev.edgelink.agent.internal.connections.NatView;
import dev.edgelink.agent.internal.metrics.DirectMemory;
import dev.edgelink.discovery.NodeReachability;
import dev.edgelink.libp2p.host.Connection;
import dev.edgelink.libp2p.host.DialOptions;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.identify.IdentifyService;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.mux.ByteBudget;
import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.libp2p.threads.TaskGuard;
import dev.edgelink.relay.autonat.AutonatClient;
import dev.edgelink.relay.autonat.AutonatServer;
import dev.edgelink.relay.autonat.AutonatServerConfig;
import dev.edgelink.relay.autonat.DialBack;
import dev.edgelink.relay.autonat.NatStatusTracker;
import dev.edgelink.relay.circuit.RelayClient;
import dev.edgelink.relay.circuit.RelayConfig;
import dev.edgelink.relay.circuit.RelayReservation;
import dev.edgelink.relay.circuit.RelayServer;
import dev.edgelink.relay.circuit.ReservationListener;
import dev.edgelink.relay.circuit.Reservations;
import dev.edgelink.relay.dcutr.DcutrConfig;
import dev.edgelink.relay.dcutr.DcutrService;
import dev.edgelink.relay.reachability.Reachability;
import dev.edgelink.relay.reachability.ReachabilityClassifier;
import dev.edgelink.relay.reachability.ReachabilityObserver;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's cross-NAT services on its libp2p host: the circuit relay client (every {@code /p2p-circuit} dial),
 * reservations on the relays ({@code relay.peers}, default the bootstrap peers), the relay server for members when
 * {@code relay.server} is set, AutoNAT (server on every node, client asking the relays), the reachability observer
 * fed by identify, and DCUtR. What the node must announce (circuit addresses, reachability) is told to
 * {@link #onRecordChange} listeners.
 */
public final class CrossNat implements NatView, AutoCloseable {
    /** How often the AutoNAT client asks the relays to dial us back. */
    static final Duration AUTONAT_EVERY = Duration.ofSeconds(30);
    /** At most this many peers are asked per round. */
    static final int AUTONAT_PEERS = 4;
    private static final Logger LOG = LoggerFactory.getLogger(CrossNat.class);

    private final Host host;
    private final AgentConfig config;
    private final ScheduledExecutorService scheduler;
    private final RelayClient relayClient;
    private final RelayServer relayServer;
    private final Reservations reservations;
    private final Host dialBackHost;
    private final ReachabilityObserver observer;
    private final NatStatusTracker tracker;
    private final AutonatClient autonat;
    private final DcutrService dcutr;
    private final List<Runnable> recordListeners = new CopyOnWriteArrayList<>();
    private final Supplier<List<MemberInfo>> others;
    private final TaskGuard tasks;

    /**
     * @param members the peer ids of the current members (the relay's allow-list, with the bootstrap peers)
     * @param others the other members (AutoNAT asks those at other sites)
     * @param scheduler the NAT thread: AutoNAT rounds, DCUtR timers, redials (its owner decides what a failed task
     *     does; the agent's counts it and goes on)
     * @param tasks makes the reservations' own thread and counts its failures
     */
    public CrossNat(Host host, IdentifyService identify, AgentConfig config, Supplier<Set<PeerId>> members,
            Supplier<List<MemberInfo>> others, ScheduledExecutorService scheduler, TaskGuard tasks) {
        this.host = host;
        this.tasks = tasks;
        this.config = config;
        this.scheduler = scheduler;
        this.relayClient = RelayClient.install(host);
        // while we are not known to be public, every connection to a relay leaves from the listen port (also the
        // reservations' retries after a loss): the relays' observations of that one socket show our NAT's mapping
        relayClient.setRelayDialOptions(() -> reachability() == NodeReachability.PUBLIC ? DialOptions.DEFAULT
                : FROM_LISTEN_PORT);
        this.observer = new ReachabilityObserver(new ReachabilityClassifier(2), System::nanoTime,
                TimeUnit.MINUTES.toNanos(10), 64);
        observer.attach(identify);
        observer.attach(host);
        observer.addListener((before, after) -> {
            LOG.info("reachability {} -> {} (node={})", before, after, config.nodeName());
            fireRecordChange();
        });
        this.dialBackHost = DialBack.separateHost(host.config());
        new AutonatServer(AutonatServerConfig.DEFAULT.withAllowPrivateAddresses(true),
                dialBackThrough(dialBackHost), scheduler, System::nanoTime).register(host);
        this.tracker = new NatStatusTracker(1, TimeUnit.MINUTES.toNanos(10), 32);
        this.autonat = new AutonatClient(host.peerId(), this::observedCandidates, tracker, scheduler,
                System::nanoTime, Duration.ofSeconds(20));
        this.dcutr = new DcutrService(host, DcutrConfig.DEFAULT.withAllowPrivateAddresses(true),
                this::punchCandidates, scheduler, System::nanoTime);
        this.relayServer = config.nat().relayServer() ? startRelayServer(members) : null;
        this.others = others;
        this.reservations = startReservations();
        scheduler.scheduleWithFixedDelay(this::askAutonat, 5, AUTONAT_EVERY.toSeconds(), TimeUnit.SECONDS);
    }

    private static DialBack dialBackThrough(Host h) {
        return (peer, address, timeout) -> h.connect(address.withPeerId(peer),
                        new DialOptions(false, true, DialOptions.UpgradeRole.INITIATOR, Optional.of(timeout)))
                .thenAccept(Connection::close);
    }

    private RelayServer startRelayServer(Supplier<Set<PeerId>> members) {
        // Without a CA the bootstrap peers are served before their records arrive; with one, only members are:
        // a member is a node whose certificate the store checked and no revocation list names.
        Set<PeerId> bootstrap = new HashSet<>();
        if (config.trust().insecure()) {
            config.bootstrapPeers().forEach(a -> a.peerId().ifPresent(bootstrap::add));
        }
        AgentConfig.RelayLimits limits = config.nat().relayLimits();
        RelayConfig relay = RelayConfig.forDirectMemory(p -> bootstrap.contains(p) || members.get().contains(p),
                DirectMemory.limit()).withLimits(limits.maxReservations(), limits.maxReservationsPerIp(),
                limits.maxCircuits(), limits.maxCircuitsPerPeer());
        if (config.memory().relayBytes().isPresent()) {
            relay = relay.withBufferBytes(config.memory().relayBytes().getAsLong());
        }
        RelayServer server = RelayServer.start(host, relay);
        LOG.info("serving circuit relay v2 to members: at most {} reservations ({} from one address), {} circuits "
                + "({} per peer) holding {} bytes, {} connections (node={}, relay={})", relay.maxReservations(),
                relay.maxReservationsPerIp(), relay.maxCircuits(), relay.maxCircuitsPerPeer(), relay.bufferBytes(),
                host.config().maxConnections(), config.nodeName(), host.peerId());
        heapWarning(relay.heapAtFullUse(), Runtime.getRuntime().maxMemory()).ifPresent(LOG::warn);
        return server;
    }

    /**
     * A warning when the relay's reservations and circuits, every slot in use, would take more than half the heap
     * (the rest of the agent lives in the other half: about 10-15 MiB).
     */
    static Optional<String> heapWarning(long relayHeap, long maxHeap) {
        if (relayHeap <= maxHeap / 2) {
            return Optional.empty();
        }
        return Optional.of(String.format("relay.maxReservations and relay.maxCircuits need up to %d MiB of heap when "
                + "every slot is in use, more than half of the JVM's %d MiB: raise -Xmx (bin/agent.jvm-options) to "
                + "at least %d MiB or lower them (docs/agent-config.md, Memory)", relayHeap >> 20, maxHeap >> 20,
                (2 * relayHeap >> 20) + 1));
    }

    private Reservations startReservations() {
        List<Multiaddr> relays = new ArrayList<>();
        for (Multiaddr r : config.relayPeers()) {
            if (!r.peerId().map(host.peerId()::equals).orElse(false)) {
                relays.add(r);
            }
        }
        if (relays.isEmpty()) {
            return null;
        }
        Reservations r = Reservations.start(relayClient, relays, tasks);
        r.addListener(new ReservationListener() {
            @Override
            public void reservationMade(RelayReservation reservation, boolean renewed) {
                if (!renewed) {
                    LOG.info("relay reservation made (node={}, relay={})", config.nodeName(),
                            reservation.relayAddress());
                    fireRecordChange();
                }
            }

            @Override
            public void reservationLost(Multiaddr relay, String reason) {
                LOG.info("relay reservation lost: {} (node={}, relay={})", reason, config.nodeName(), relay);
                fireRecordChange();
            }
        });
        return r;
    }

    /** Dials to the relays from our listen port (the relays' observations of that socket show our NAT's mapping). */
    private static final DialOptions FROM_LISTEN_PORT = new DialOptions(true, false, DialOptions.UpgradeRole.INITIATOR,
            Optional.of(Duration.ofSeconds(5)));

    /**
     * Asks the relays and the members at other sites (never our own site: a LAN neighbour reaches our LAN address
     * and would call us public) to dial us back at our observed addresses.
     */
    private void askAutonat() {
        try {
            Set<PeerId> ask0 = new HashSet<>();
            config.relayPeers().forEach(a -> a.peerId().ifPresent(ask0::add));
            for (MemberInfo m : others.get()) {
                if (!m.site().equals(config.site()) || m.site().isEmpty()) {
                    ask0.add(m.peerId());
                }
            }
            ask0.remove(host.peerId());
            List<Connection> ask = new ArrayList<>();
            for (PeerId p : ask0) {
                host.directConnection(p).ifPresent(ask::add);
                if (ask.size() >= AUTONAT_PEERS) {
                    break;
                }
            }
            if (ask.isEmpty() || observedCandidates().isEmpty()) {
                return;
            }
            autonat.check(ask).thenAccept(observer::autonat);
        } catch (RuntimeException e) {
            LOG.warn("autonat round failed: {} (node={})", e.toString(), config.nodeName());
        }
    }

    /** Our addresses as peers saw them on outbound connections, as TCP multiaddrs. */
    List<Multiaddr> observedCandidates() {
        List<Multiaddr> out = new ArrayList<>();
        for (InetSocketAddress a : observer.observedAddresses()) {
            out.add(Multiaddr.tcp(a));
        }
        return out;
    }

    /** Observed addresses as seen, and each observed IP with our listen port (a port-preserving NAT keeps it). */
    List<Multiaddr> punchCandidates() {
        Set<Multiaddr> out = new LinkedHashSet<>();
        int port = listenPort();
        for (InetSocketAddress a : observer.observedAddresses()) {
            if (port > 0) {
                out.add(Multiaddr.tcp(new InetSocketAddress(a.getAddress(), port)));
            }
            out.add(Multiaddr.tcp(a));
        }
        return new ArrayList<>(out);
    }

    private int listenPort() {
        for (Multiaddr a : host.listenAddresses()) {
            if (a.isTcp()) {
                return a.toTcpSocketAddress().getPort();
            }
        }
        return -1;
    }

    private void fireRecordChange() {
        recordListeners.forEach(Runnable::run);
    }

    /** Told when the circuit addresses or the reachability changed (the node record should be republished). */
    public void onRecordChange(Runnable listener) {
        recordListeners.add(listener);
    }

    /** The circuit addresses we hold reservations for ({@code .../p2p/RELAY/p2p-circuit}). */
    public List<Multiaddr> circuitAddresses() {
        return reservations == null ? List.of() : reservations.circuitAddresses();
    }

    /** Our reachability as the record words it. */
    @Override
    public NodeReachability reachability() {
        return toRecord(observer.current());
    }

    @Override
    public Reachability rawReachability() {
        return observer.current();
    }

    /** What the relay server's circuits hold now, with its limit, if this node serves relay. */
    public Optional<ByteBudget> relayMemory() {
        return Optional.ofNullable(relayServer).map(RelayServer::memory);
    }

    public boolean relayServer() {
        return relayServer != null;
    }

    /** The relay server, if this node serves relay. */
    public Optional<RelayServer> servedRelay() {
        return Optional.ofNullable(relayServer);
    }

    @Override
    public DcutrService dcutr() {
        return dcutr;
    }

    static NodeReachability toRecord(Reachability r) {
        return switch (r) {
            case PUBLIC -> NodeReachability.PUBLIC;
            case NAT_PORT_PRESERVING -> NodeReachability.NAT_PORT_PRESERVING;
            case NAT_SYMMETRIC -> NodeReachability.NAT_SYMMETRIC;
            default -> NodeReachability.UNKNOWN;
        };
    }

    public static Reachability fromRecord(NodeReachability r) {
        return switch (r) {
            case PUBLIC -> Reachability.PUBLIC;
            case NAT_PORT_PRESERVING -> Reachability.NAT_PORT_PRESERVING;
            case NAT_SYMMETRIC -> Reachability.NAT_SYMMETRIC;
            default -> Reachability.UNKNOWN;
        };
    }

    @Override
    public void close() {
        if (reservations != null) {
            reservations.close();
        }
        if (relayServer != null) {
            relayServer.close();
        }
        dialBackHost.close();
    }
}
