package dev.edgelink.agent.internal.connections;

import dev.edgelink.agent.internal.connections.ConnectionPolicy.Action;
import dev.edgelink.agent.internal.connections.ConnectionPolicy.Close;
import dev.edgelink.agent.internal.connections.ConnectionPolicy.Dial;
import dev.edgelink.agent.internal.connections.ConnectionPolicy.Facts;
import dev.edgelink.agent.internal.connections.ConnectionPolicy.Kind;
import dev.edgelink.agent.internal.connections.ConnectionPolicy.Punch;
import dev.edgelink.agent.internal.connections.ConnectionPolicy.Reason;
import dev.edgelink.agent.internal.nat.CrossNat;
import dev.edgelink.agent.internal.nat.MemberInfo;
import dev.edgelink.agent.internal.nat.NatPolicy;
import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.path.PathStatus;
import dev.edgelink.dataplane.tunnel.TunnelProtocol;
import dev.edgelink.dataplane.tunnel.TunnelStreamSink;
import dev.edgelink.discovery.NodeReachability;
import dev.edgelink.libp2p.host.Connection;
import dev.edgelink.libp2p.host.DialOptions;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.mux.MuxedStream;
import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.relay.dcutr.PunchNotAttemptedException;
import dev.edgelink.relay.dcutr.PunchPolicy;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that opens and closes the agent's libp2p connections. Every {@link #tick} it describes each peer
 * (members, our relays, bootstrap peers) to the {@link ConnectionPolicy}, which decides, and carries out what it
 * says: dials (a relay, and a public member while we are not public, from our listen port, so that the public
 * nodes' observations of that one socket show our NAT's mapping), relayed dials through the peer's circuit
 * addresses, DCUtR punches, closes. It also places the tunnel stream of the userspace paths: the node with the
 * lower name opens it, on the connection of the peer's active path, and moves it when that changes. Why a peer
 * has the connections it has is {@link #view}: the policy's reasons and state plus what the last dial or punch
 * said.
 *
 * <p>Threads: {@link #tick} runs on the agent's NAT thread; dial and punch outcomes arrive on the host's event loop
 * and take the manager's lock for a moment; {@link #demand} may be called from any thread (the TUN reader).
 */
public final class ConnectionManager implements TunnelStreamSink {
    /** What {@code status} shows of a peer's connections. */
    public record PeerView(boolean direct, boolean relayed, ConnectionPolicy.State state, List<String> reasons,
            String why) {
    }

    /** How the manager sees the rest of the agent (all cheap, called once per peer per tick). */
    public interface Inputs {
        /** The members, from membership. */
        List<MemberInfo> members();

        /** The peer's data plane path, if the data plane knows it. */
        Optional<PathStatus> path(String nodeName);

        /** Whether the peer's pods exchanged traffic within the idle timeout. */
        boolean active(String nodeName);

        /** Whether one of these underlay addresses is on one of our subnets. */
        boolean onOurSubnet(List<InetAddress> addresses);
    }

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionManager.class);
    private static final Duration DIAL_TIMEOUT = Duration.ofSeconds(3);
    /** How long a direct path that missed a probe keeps a relayed connection ready next to it. */
    private static final Duration RELAYED_STANDBY = Duration.ofSeconds(10);
    /** A peer's demand brings the next tick forward at most this often (the TUN reader may ask per packet). */
    private static final Duration WAKE_GAP = Duration.ofMillis(200);
    /** Dials from our listen port (see the class comment). */
    private static final DialOptions FROM_LISTEN_PORT = new DialOptions(true, false,
            DialOptions.UpgradeRole.INITIATOR, Optional.of(Duration.ofSeconds(5)));

    private final Host host;
    private final NatView nat;
    private final String localNode;
    private final Supplier<String> localSite;
    private final boolean holePunch;
    private final PunchPolicy punchPolicy;
    private final Map<PeerId, Multiaddr> relays;
    private final Map<PeerId, Multiaddr> bootstrap;
    private final Inputs inputs;
    private final TunnelStreamSink sink;
    private final ConnectionPolicy policy;
    private final LongSupplier clock;
    private final Duration idleTimeout;
    /** When a packet last asked for a peer (the first packet to a peer without a connection). */
    private final Map<String, Long> demanded = new ConcurrentHashMap<>();
    /** When a peer's direct path last missed a probe: a relayed connection is readied for a while after. */
    private final Map<String, Long> directFailing = new ConcurrentHashMap<>();
    private final Map<String, Stream> streams = new ConcurrentHashMap<>();
    private volatile Map<PeerId, MemberInfo> byPeer = Map.of();
    private volatile Runnable wake = () -> { };

    /** The tunnel stream of a peer: the connection it rides, and whether one is being opened. */
    private static final class Stream {
        volatile Connection connection;
        volatile MuxedStream stream;
        volatile boolean opening;
    }

    /**
     * @param relays our configured relays, by peer id, with the address to dial
     * @param bootstrap the configured bootstrap peers with a peer id
     * @param sink where tunnel streams go (the userspace device), or null when this node has no userspace path
     * @param idleTimeout how long a packet's demand for a peer counts as traffic
     */
    public ConnectionManager(Host host, NatView nat, String localNode, Supplier<String> localSite, boolean holePunch,
            PunchPolicy punchPolicy, Map<PeerId, Multiaddr> relays, Map<PeerId, Multiaddr> bootstrap, Inputs inputs,
            TunnelStreamSink sink, ConnectionPolicy policy, LongSupplier clock, Duration idleTimeout) {
        this.host = host;
        this.nat = nat;
        this.localNode = localNode;
        this.localSite = localSite;
        this.holePunch = holePunch;
        this.punchPolicy = punchPolicy;
        this.relays = Map.copyOf(relays);
        this.bootstrap = Map.copyOf(bootstrap);
        this.inputs = inputs;
        this.sink = sink;
        this.policy = policy;
        this.clock = clock;
        this.idleTimeout = idleTimeout;
        nat.dcutr().addPunchedListener(c -> LOG.info("direct connection made by the peer's punch (peer={}, "
                + "remote={})", c.remotePeer(), c.remoteAddress()));
    }

    /** Run when a tick should come sooner than the next second (a packet asked for a peer). */
    public void setWake(Runnable wake) {
        this.wake = wake;
    }

    /** One decision over every peer, carried out. Never throws for one peer's trouble. */
    public void tick() {
        List<MemberInfo> members = inputs.members();
        Map<PeerId, MemberInfo> index = new HashMap<>();
        members.forEach(m -> index.put(m.peerId(), m));
        byPeer = index;
        long now = clock.getAsLong();
        NatPolicy.End local = new NatPolicy.End(localSite.get(), nat.reachability());
        Map<PeerId, Facts> facts = new LinkedHashMap<>();
        relays.keySet().forEach(p -> facts.put(p, infrastructure(p)));
        bootstrap.keySet().forEach(p -> facts.putIfAbsent(p, infrastructure(p)));
        for (MemberInfo m : members) {
            if (!m.peerId().equals(host.peerId())) {
                facts.put(m.peerId(), memberFacts(m, local, now));
            }
        }
        for (Connection c : host.connections()) {
            facts.computeIfAbsent(c.remotePeer(), this::infrastructure);
        }
        facts.remove(host.peerId());
        demanded.entrySet().removeIf(d -> now - d.getValue() > idleTimeout.toNanos());
        directFailing.entrySet().removeIf(d -> now - d.getValue() > RELAYED_STANDBY.toNanos());
        Set<String> names = new java.util.HashSet<>();
        members.forEach(m -> names.add(m.nodeName()));
        retain(names);
        List<Action> actions;
        synchronized (this) {
            actions = policy.decide(now, new ArrayList<>(facts.values()), holePunch);
        }
        for (Action a : actions) {
            try {
                carryOut(a, local);
            } catch (RuntimeException e) {
                LOG.warn("connection action {} failed: {} (peer={})", a.getClass().getSimpleName(), e.toString(),
                        a.peer());
            }
        }
        for (MemberInfo m : members) {
            Facts f = facts.get(m.peerId());
            if (f != null && (f.tunnel() || f.trying())) {
                placeStream(m);
            }
        }
    }

    /** A relay, a bootstrap peer, or another peer we are connected to that is not (yet) a member. */
    private Facts infrastructure(PeerId p) {
        Optional<Connection> direct = host.directConnection(p);
        Optional<Connection> relayed = host.relayedConnection(p);
        boolean member = byPeer.containsKey(p);
        return new Facts(p, relays.containsKey(p), bootstrap.containsKey(p), member,
                relays.containsKey(p) || bootstrap.containsKey(p), false, direct.isPresent(), ours(direct),
                relayed.isPresent(), ours(relayed), false, false, false, false);
    }

    private Facts memberFacts(MemberInfo m, NatPolicy.End local, long now) {
        Optional<Connection> direct = host.directConnection(m.peerId());
        Optional<Connection> relayed = host.relayedConnection(m.peerId());
        boolean canDial = (relays.containsKey(m.peerId()) || bootstrap.containsKey(m.peerId())
                || NatPolicy.dialDirectly(local, m.end(), inputs.onOurSubnet(m.underlay())))
                && m.listen().stream().anyMatch(a -> !a.isCircuit() && a.isTcp());
        Optional<PathStatus> path = inputs.path(m.nodeName());
        PathKind active = path.map(PathStatus::path).orElse(null);
        PathKind trial = path.map(PathStatus::trial).orElse(null);
        boolean tunnel = sink != null && (userspace(active) || userspace(trial));
        Long asked = demanded.get(m.nodeName());
        // traffic, a packet that asked, or a userspace path the data plane still probes (not parked while idle)
        boolean probed = userspace(active) && path.map(p -> !p.parked()).orElse(false);
        boolean activeNow = inputs.active(m.nodeName()) || (asked != null && now - asked <= idleTimeout.toNanos())
                || probed;
        return new Facts(m.peerId(), relays.containsKey(m.peerId()), bootstrap.containsKey(m.peerId()), true,
                canDial, !circuits(m).isEmpty(), direct.isPresent(), ours(direct), relayed.isPresent(),
                ours(relayed), tunnel, sink != null && userspace(trial), activeNow,
                sink != null && (active == PathKind.RELAYED || trial == PathKind.RELAYED || failingDirect(m, now)));
    }

    private boolean failingDirect(MemberInfo m, long now) {
        Long at = directFailing.get(m.nodeName());
        return at != null && now - at <= RELAYED_STANDBY.toNanos();
    }

    private static boolean userspace(PathKind k) {
        return k == PathKind.DIRECT || k == PathKind.RELAYED;
    }

    private static boolean ours(Optional<Connection> c) {
        return c.isPresent() && c.get().direction() == Connection.Direction.OUTBOUND;
    }

    private void carryOut(Action a, NatPolicy.End local) {
        if (a instanceof Dial d && d.kind() == Kind.DIRECT) {
            dialDirect(d.peer(), local);
        } else if (a instanceof Dial d) {
            dialRelayed(d.peer());
        } else if (a instanceof Punch p) {
            punch(p.peer());
        } else if (a instanceof Close c) {
            Optional<Connection> conn = c.kind() == Kind.DIRECT ? host.directConnection(c.peer())
                    : host.relayedConnection(c.peer());
            conn.ifPresent(x -> {
                LOG.debug("closing the {} connection: {} (peer={})", c.kind(), c.why(), c.peer());
                x.close();
            });
        }
    }

    private void dialDirect(PeerId peer, NatPolicy.End local) {
        MemberInfo m = byPeer.get(peer);
        List<Multiaddr> addresses = new ArrayList<>();
        Multiaddr configured = relays.getOrDefault(peer, bootstrap.get(peer));
        if (configured != null) {
            addresses.add(configured);
        }
        if (m != null) {
            addresses.addAll(directAddresses(m));
        }
        boolean fromListenPort = local.reachability() != NodeReachability.PUBLIC
                && (configured != null || (m != null && m.reachability() == NodeReachability.PUBLIC));
        DialOptions options = fromListenPort ? FROM_LISTEN_PORT
                : new DialOptions(false, false, DialOptions.UpgradeRole.INITIATOR, Optional.of(DIAL_TIMEOUT));
        dialAny(addresses, 0, options).whenComplete((c, e) -> {
            synchronized (this) {
                if (e == null) {
                    policy.dialed(peer, Kind.DIRECT);
                    return;
                }
                Duration wait = policy.dialFailed(peer, Kind.DIRECT, clock.getAsLong());
                LOG.debug("direct dial failed, next in {} ms: {} (peer={})", wait.toMillis(), rootMessage(e), peer);
            }
        });
    }

    private void dialRelayed(PeerId peer) {
        MemberInfo m = byPeer.get(peer);
        List<Multiaddr> circuits = m == null ? List.of() : circuits(m);
        DialOptions force = new DialOptions(false, true, DialOptions.UpgradeRole.INITIATOR, Optional.empty());
        dialAny(circuits, 0, force).whenComplete((c, e) -> {
            synchronized (this) {
                if (e == null) {
                    policy.dialed(peer, Kind.RELAYED);
                    policy.explain(peer, "relayed: connected through " + c.remoteAddress());
                    return;
                }
                Duration wait = policy.dialFailed(peer, Kind.RELAYED, clock.getAsLong());
                // logged once per backoff step: a relay refusing CONNECTs is not a line a second
                LOG.info("relayed dial failed, next in {} s: {} (node={})", wait.toSeconds(), rootMessage(e),
                        m == null ? peer : m.nodeName());
            }
        });
    }

    private CompletableFuture<Connection> dialAny(List<Multiaddr> addresses, int i, DialOptions options) {
        if (i >= addresses.size()) {
            return CompletableFuture.failedFuture(new IllegalStateException("no address to dial"));
        }
        return host.connect(addresses.get(i), options).handle((c, e) -> e == null
                ? CompletableFuture.completedFuture(c)
                : i + 1 < addresses.size() ? dialAny(addresses, i + 1, options)
                : CompletableFuture.<Connection>failedFuture(e))
                .thenCompose(f -> f);
    }

    private void punch(PeerId peer) {
        MemberInfo m = byPeer.get(peer);
        Optional<Connection> relayed = host.relayedConnection(peer);
        if (m == null || relayed.isEmpty()) {
            synchronized (this) {
                policy.punched(peer, null);
            }
            return;
        }
        nat.dcutr().punch(relayed.get(), punchPolicy, nat.rawReachability(), CrossNat.fromRecord(m.reachability()))
                .whenComplete((c, e) -> {
                    synchronized (this) {
                        policy.punched(peer, punchOutcome(m, c, e));
                    }
                });
    }

    private static String punchOutcome(MemberInfo m, Connection c, Throwable e) {
        if (e == null) {
            LOG.info("direct connection by our punch (node={}, remote={})", m.nodeName(), c.remoteAddress());
            return "direct: hole punched";
        }
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        if (cause instanceof PunchNotAttemptedException) {
            return "relayed: hole punch not attempted, "
                    + String.valueOf(cause.getMessage()).replaceFirst("^hole punch not attempted: ", "")
                    + siteNote(m);
        }
        LOG.info("staying relayed after a failed punch: {} (node={})", cause.getMessage(), m.nodeName());
        return "relayed: hole punch failed" + siteNote(m);
    }

    private static String siteNote(MemberInfo m) {
        String who = m.site().isEmpty() ? m.nodeName() : m.site().startsWith("site") ? m.site() : "site " + m.site();
        return switch (m.reachability()) {
            case NAT_SYMMETRIC -> ", " + who + " NAT is symmetric";
            case NAT_PORT_PRESERVING -> ", " + who + " NAT is port-preserving";
            default -> "";
        };
    }

    private static List<Multiaddr> directAddresses(MemberInfo m) {
        List<Multiaddr> out = new ArrayList<>();
        for (Multiaddr a : m.listen()) {
            if (!a.isCircuit() && a.isTcp()) {
                out.add(a.withoutPeerId().withPeerId(m.peerId()));
            }
        }
        return out;
    }

    /** The member's circuit addresses, never through ourselves (a relay reaches its own clients directly). */
    private List<Multiaddr> circuits(MemberInfo m) {
        List<Multiaddr> out = new ArrayList<>();
        String self = "/p2p/" + host.peerId() + "/p2p-circuit";
        for (Multiaddr a : m.listen()) {
            if (a.isCircuit() && !a.toString().contains(self)) {
                out.add(a.encapsulate(Multiaddr.fromString("/p2p/" + m.peerId())));
            }
        }
        return out;
    }

    /** The lower node name opens the tunnel stream on the connection of the active path, and moves it. */
    private void placeStream(MemberInfo m) {
        if (sink == null || localNode.compareTo(m.nodeName()) >= 0) {
            return;
        }
        Stream s = streams.computeIfAbsent(m.nodeName(), n -> new Stream());
        if (s.opening) {
            return;
        }
        Optional<Connection> direct = host.directConnection(m.peerId());
        Optional<Connection> relayed = host.relayedConnection(m.peerId());
        PathKind active = inputs.path(m.nodeName()).map(PathStatus::path).orElse(null);
        Optional<Connection> want = active == PathKind.RELAYED && relayed.isPresent() ? relayed
                : direct.isPresent() ? direct : relayed;
        Connection have = s.connection;
        MuxedStream stream = s.stream;
        if (want.isEmpty() || (have == want.get() && have.isOpen() && stream != null && !stream.isClosed())) {
            return;
        }
        s.opening = true;
        Connection on = want.get();
        TunnelProtocol.open(on, m.nodeName(), this).whenComplete((v, e) -> {
            s.opening = false;
            if (e != null) {
                LOG.info("tunnel stream not opened: {} (node={}, relayed={})", e.getMessage(), m.nodeName(),
                        on.isRelayed());
            }
        });
    }

    /** Every tunnel stream, both directions, passes here: remember its connection, then hand it to the device. */
    @Override
    public void attach(String nodeName, MuxedStream stream) {
        Stream s = streams.computeIfAbsent(nodeName, n -> new Stream());
        if (stream instanceof dev.edgelink.libp2p.host.Stream st) {
            s.connection = st.connection();
        }
        s.stream = stream;
        if (sink == null) {
            stream.reset();
            return;
        }
        sink.attach(nodeName, stream);
    }

    /**
     * A packet for a peer found no tunnel stream (or a probe no connection): the peer counts as having traffic
     * from now, and the next tick (brought forward) connects it. Any thread; never blocks.
     */
    public void demand(String nodeName) {
        long now = clock.getAsLong();
        Long before = demanded.put(nodeName, now);
        if (before == null || now - before > WAKE_GAP.toNanos()) {
            wake.run();
        }
    }

    /**
     * The peer's direct path missed a probe: a relayed connection is readied next to it for a while (the fall to
     * relayed then finds it made). Any thread; never blocks.
     */
    public void directFailing(String nodeName) {
        long now = clock.getAsLong();
        Long before = directFailing.put(nodeName, now);
        if (before == null || now - before > RELAYED_STANDBY.toNanos()) {
            wake.run();
        }
    }

    /** Forgets peers that left: their stream records go (the policy forgets them at its next decision). */
    private void retain(Set<String> nodeNames) {
        streams.keySet().retainAll(nodeNames);
        demanded.keySet().retainAll(nodeNames);
        directFailing.keySet().retainAll(nodeNames);
    }

    /** Why the member has the connections it has. */
    public PeerView view(MemberInfo m) {
        boolean direct = host.directConnection(m.peerId()).isPresent();
        boolean relayed = host.relayedConnection(m.peerId()).isPresent();
        Optional<ConnectionPolicy.View> v;
        synchronized (this) {
            v = policy.view(m.peerId());
        }
        if (v.isEmpty()) {
            return new PeerView(direct, relayed, ConnectionPolicy.State.NONE, List.of(), "");
        }
        List<String> reasons = v.get().reasons().stream().sorted().map(Reason::label).toList();
        if (reasons.isEmpty() && (direct || relayed)) {
            reasons = List.of("opened by the peer");
        }
        return new PeerView(direct, relayed, v.get().state(), reasons, v.get().why());
    }

    /** Peers per reason we hold a connection for (a peer counts once per reason), for the metrics. */
    public synchronized Map<Reason, Integer> reasonCounts() {
        Map<Reason, Integer> out = new EnumMap<>(Reason.class);
        for (Reason r : Reason.values()) {
            out.put(r, 0);
        }
        for (PeerId p : allPeers()) {
            policy.view(p).ifPresent(v -> v.reasons().forEach(r -> out.merge(r, 1, Integer::sum)));
        }
        return out;
    }

    private Set<PeerId> allPeers() {
        Set<PeerId> out = new java.util.LinkedHashSet<>(byPeer.keySet());
        out.addAll(relays.keySet());
        out.addAll(bootstrap.keySet());
        return out;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return String.valueOf(t.getMessage());
    }
}
