package dev.edgelink.agent.internal.nat;

import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.tunnel.TunnelProtocol;
import dev.edgelink.dataplane.tunnel.TunnelStreamSink;
import dev.edgelink.discovery.NodeReachability;
import dev.edgelink.libp2p.host.Connection;
import dev.edgelink.libp2p.host.DialOptions;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.mux.MuxedStream;
import dev.edgelink.relay.dcutr.PunchNotAttemptedException;
import dev.edgelink.relay.dcutr.PunchPolicy;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a libp2p connection to every member, and the tunnel stream of the userspace paths on the right one.
 *
 * <p>Per member, every {@link #tick}: dial its own listen addresses when {@link NatPolicy#dialDirectly} says they
 * can be reached (same site, our subnet, public: no hairpin through a NAT), else (and for failover next to a
 * direct connection across sites) keep a relayed connection through one of its circuit addresses; on a relayed
 * connection we accepted, try DCUtR when {@code holePunch} is on and the {@link PunchPolicy} allows. Reconnects
 * after a loss at the next tick.
 *
 * <p>The tunnel stream: the node with the lower name opens it (so both keep the same one), on the direct
 * connection unless the data plane's active path for the peer is {@code relayed}; it is moved when that changes.
 */
public final class PeerConnections implements TunnelStreamSink {
    /** One connection state, for the operator view. */
    public record Links(boolean direct, boolean relayed) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(PeerConnections.class);
    private static final Duration DIAL_TIMEOUT = Duration.ofSeconds(3);

    private final Host host;
    private final String localNode;
    private final CrossNat nat;
    private final Supplier<String> localSite;
    private final boolean holePunch;
    private final PunchPolicy policy;
    private final Predicate<List<InetAddress>> onOurSubnet;
    private final Function<String, PathKind> activePath;
    private final TunnelStreamSink sink;
    private final Map<String, PeerState> states = new ConcurrentHashMap<>();

    /** Per member: what is in flight, and why it is on the path it is on. */
    static final class PeerState {
        volatile boolean dialing;
        volatile boolean relaying;
        volatile boolean punching;
        volatile boolean opening;
        volatile Connection streamConnection;
        /** The last tunnel stream attached: when it is closed (reset, or the data path started again) a new one. */
        volatile MuxedStream stream;
        volatile String why = "";
        volatile int punchFailures;
    }

    /**
     * @param sink where tunnel streams go (the userspace device), or null when this node offers no userspace path
     * @param activePath the data plane's current path for a node (null: none yet)
     * @param onOurSubnet whether one of these addresses is on one of our connected subnets
     */
    public PeerConnections(Host host, String localNode, CrossNat nat, Supplier<String> localSite, boolean holePunch,
            PunchPolicy policy, Predicate<List<InetAddress>> onOurSubnet, Function<String, PathKind> activePath,
            TunnelStreamSink sink) {
        this.host = host;
        this.localNode = localNode;
        this.nat = nat;
        this.localSite = localSite;
        this.holePunch = holePunch;
        this.policy = policy;
        this.onOurSubnet = onOurSubnet;
        this.activePath = activePath;
        this.sink = sink;
        nat.dcutr().addPunchedListener(c -> LOG.info("direct connection made by the peer's punch (peer={}, remote={})",
                c.remotePeer(), c.remoteAddress()));
    }

    /** One round over the members: connect, punch, place the tunnel stream. Never throws. */
    public void tick(List<MemberInfo> members) {
        states.keySet().retainAll(members.stream().map(MemberInfo::nodeName).toList());
        for (MemberInfo m : members) {
            try {
                keep(m, states.computeIfAbsent(m.nodeName(), n -> new PeerState()));
            } catch (RuntimeException e) {
                LOG.warn("keeping the connection failed: {} (node={})", e.toString(), m.nodeName());
            }
        }
    }

    private void keep(MemberInfo m, PeerState s) {
        NatPolicy.End local = new NatPolicy.End(localSite.get(), nat.reachability());
        boolean subnet = onOurSubnet.test(m.underlay());
        boolean dialDirect = NatPolicy.dialDirectly(local, m.end(), subnet);
        Optional<Connection> direct = host.directConnection(m.peerId());
        Optional<Connection> relayed = host.relayedConnection(m.peerId());
        if (direct.isEmpty() && dialDirect && !s.dialing) {
            dialDirect(m, s, directAddresses(m), fromListenPort(local, m));
        }
        if (relayed.isEmpty() && (!dialDirect || direct.isEmpty()) && !s.relaying) {
            dialRelayed(m, s);
        }
        if (direct.isEmpty() && relayed.isPresent() && holePunch && !s.punching
                && relayed.get().direction() == Connection.Direction.INBOUND) {
            punch(m, s, relayed.get(), local);
        }
        if (direct.isPresent() && s.why.startsWith("relayed")) {
            s.why = "direct: connected " + Instant.now();
        } else if (direct.isPresent() && s.why.isEmpty()) {
            s.why = "direct: connected to " + direct.get().remoteAddress();
        }
        placeStream(m, s, direct, relayed);
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

    /**
     * A public member is dialed from our listen port while we are not known to be public ourselves: then every
     * public node sees that one socket, and their observations show our NAT's mapping of it (what hole punching
     * announces, and what tells a port-preserving NAT from a symmetric one). It cannot collide with the member's
     * own dial of us, which a NAT in between stops; two public nodes dial each other from any port.
     */
    private static boolean fromListenPort(NatPolicy.End local, MemberInfo m) {
        return local.reachability() != NodeReachability.PUBLIC && m.reachability() == NodeReachability.PUBLIC;
    }

    private void dialDirect(MemberInfo m, PeerState s, List<Multiaddr> addresses, boolean fromListenPort) {
        if (addresses.isEmpty()) {
            return;
        }
        s.dialing = true;
        DialOptions opts = new DialOptions(fromListenPort, false, DialOptions.UpgradeRole.INITIATOR,
                Optional.of(DIAL_TIMEOUT));
        host.connect(addresses.get(0), opts).whenComplete((c, e) -> {
            if (e != null && addresses.size() > 1) {
                dialDirect(m, s, addresses.subList(1, addresses.size()), fromListenPort);
                return;
            }
            s.dialing = false;
            if (e != null) {
                LOG.debug("direct dial failed: {} (node={})", e.getMessage(), m.nodeName());
            }
        });
    }

    private void dialRelayed(MemberInfo m, PeerState s) {
        List<Multiaddr> circuits = new ArrayList<>();
        for (Multiaddr a : m.listen()) {
            // never through ourselves: a relay reaches its own clients directly
            if (a.isCircuit() && !a.toString().contains("/p2p/" + host.peerId() + "/p2p-circuit")) {
                circuits.add(a.encapsulate(Multiaddr.fromString("/p2p/" + m.peerId())));
            }
        }
        if (circuits.isEmpty()) {
            return;
        }
        s.relaying = true;
        dialCircuits(m, s, circuits);
    }

    private void dialCircuits(MemberInfo m, PeerState s, List<Multiaddr> circuits) {
        DialOptions force = new DialOptions(false, true, DialOptions.UpgradeRole.INITIATOR, Optional.empty());
        host.connect(circuits.get(0), force).whenComplete((c, e) -> {
            if (e != null && circuits.size() > 1) {
                LOG.info("relayed dial failed, trying the next relay: {} (node={}, relay={})", e.getMessage(),
                        m.nodeName(), circuits.get(0));
                dialCircuits(m, s, circuits.subList(1, circuits.size()));
                return;
            }
            s.relaying = false;
            if (e != null) {
                LOG.info("relayed dial failed: {} (node={})", e.getMessage(), m.nodeName());
            } else if (s.why.isEmpty() || s.why.startsWith("direct")) {
                s.why = "relayed: connected through " + c.remoteAddress();
            }
        });
    }

    private void punch(MemberInfo m, PeerState s, Connection relayed, NatPolicy.End local) {
        s.punching = true;
        nat.dcutr().punch(relayed, policy, nat.rawReachability(), CrossNat.fromRecord(m.reachability()))
                .whenComplete((c, e) -> {
                    s.punching = false;
                    if (e == null) {
                        s.punchFailures = 0;
                        s.why = "direct: hole punched " + Instant.now();
                        LOG.info("direct connection by our punch (node={}, remote={})", m.nodeName(),
                                c.remoteAddress());
                        return;
                    }
                    Throwable cause = e.getCause() != null ? e.getCause() : e;
                    if (cause instanceof PunchNotAttemptedException) {
                        String reason = String.valueOf(cause.getMessage())
                                .replaceFirst("^hole punch not attempted: ", "");
                        s.why = "relayed: hole punch not attempted, " + reason + siteNote(m);
                        return;
                    }
                    s.punchFailures++;
                    s.why = "relayed: hole punch failed " + s.punchFailures + "/3" + siteNote(m);
                    LOG.info("staying relayed after {} failed punch(es): {} (node={})", s.punchFailures,
                            cause.getMessage(), m.nodeName());
                });
    }

    private static String siteNote(MemberInfo m) {
        String who = m.site().isEmpty() ? m.nodeName()
                : m.site().startsWith("site") ? m.site() : "site " + m.site();
        return switch (m.reachability()) {
            case NAT_SYMMETRIC -> ", " + who + " NAT is symmetric";
            case NAT_PORT_PRESERVING -> ", " + who + " NAT is port-preserving";
            default -> "";
        };
    }

    /** The lower node name opens the tunnel stream on the connection of the active path, and moves it. */
    private void placeStream(MemberInfo m, PeerState s, Optional<Connection> direct, Optional<Connection> relayed) {
        if (sink == null || localNode.compareTo(m.nodeName()) >= 0 || s.opening) {
            return;
        }
        PathKind active = activePath.apply(m.nodeName());
        Optional<Connection> want = active == PathKind.RELAYED && relayed.isPresent() ? relayed
                : direct.isPresent() ? direct : relayed;
        Connection have = s.streamConnection;
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
        PeerState s = states.computeIfAbsent(nodeName, n -> new PeerState());
        if (stream instanceof dev.edgelink.libp2p.host.Stream st) {
            s.streamConnection = st.connection();
        }
        s.stream = stream;
        if (sink == null) {
            stream.reset();
            return;
        }
        sink.attach(nodeName, stream);
    }

    /** The member's connections now. */
    public Links links(MemberInfo m) {
        return new Links(host.directConnection(m.peerId()).isPresent(),
                host.relayedConnection(m.peerId()).isPresent());
    }

    /** Why the member is reached the way it is (empty: nothing to say yet). */
    public String why(String nodeName) {
        PeerState s = states.get(nodeName);
        return s == null ? "" : s.why;
    }
}
