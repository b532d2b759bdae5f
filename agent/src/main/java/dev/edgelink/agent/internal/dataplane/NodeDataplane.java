package dev.edgelink.agent.internal.dataplane;

import dev.edgelink.agent.AgentStatus;
import dev.edgelink.agent.PingReport;
import dev.edgelink.agent.config.AgentConfig;
import dev.edgelink.agent.config.ConfigException;
import dev.edgelink.agent.internal.metrics.AgentMetrics;
import dev.edgelink.agent.internal.metrics.CountingProber;
import dev.edgelink.agent.internal.metrics.DirectMemory;
import dev.edgelink.agent.internal.metrics.Metrics;
import dev.edgelink.agent.internal.peers.ClusterCidrFilter;
import dev.edgelink.dataplane.activity.PeerActivity;
import dev.edgelink.dataplane.backend.LocalNode;
import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.PeerView;
import dev.edgelink.dataplane.backend.TunnelBackend;
import dev.edgelink.dataplane.backend.hostgw.HostGwBackend;
import dev.edgelink.dataplane.backend.ipip.IpipBackend;
import dev.edgelink.dataplane.backend.userspace.UserspaceBackend;
import dev.edgelink.dataplane.backend.userspace.UserspaceDevice;
import dev.edgelink.dataplane.path.PathProber;
import dev.edgelink.dataplane.tunnel.TunnelConfig;
import dev.edgelink.dataplane.tunnel.TunnelService;
import dev.edgelink.libp2p.mux.ByteBudget;
import java.util.function.Consumer;
import java.util.function.Function;
import dev.edgelink.dataplane.backend.vxlan.VxlanBackend;
import dev.edgelink.dataplane.mtu.MtuCalculator;
import dev.edgelink.dataplane.nat.NftException;
import dev.edgelink.dataplane.nat.PeerCounters;
import dev.edgelink.dataplane.netlink.IpPrefix;
import dev.edgelink.dataplane.netlink.Link;
import dev.edgelink.dataplane.netlink.LinkAddress;
import dev.edgelink.dataplane.netlink.LinkSpec;
import dev.edgelink.dataplane.netlink.MacAddress;
import dev.edgelink.dataplane.netlink.Netlink;
import dev.edgelink.dataplane.netlink.Route;
import dev.edgelink.dataplane.path.PathSelector;
import dev.edgelink.dataplane.path.PathStatus;
import dev.edgelink.dataplane.path.PeerPathMachine;
import dev.edgelink.dataplane.path.ProbeResult;
import dev.edgelink.dataplane.path.probe.UdpEchoResponder;
import dev.edgelink.dataplane.path.probe.UdpPathProber;
import dev.edgelink.dataplane.reconcile.DataplaneLoop;
import dev.edgelink.dataplane.reconcile.Reconciler;
import dev.edgelink.dataplane.reconcile.Refusal;
import dev.edgelink.libp2p.threads.TaskGuard;
import java.io.IOException;
import java.net.Inet4Address;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's kernel data plane as the agent runs it: the backends the tunnel mode enables, their devices, the
 * probe responder on the tunnel address, the path selector and reconciler driven by one scheduler thread, and the
 * pod MTU. Everything it creates in the kernel is idempotent and stays when the agent stops, so a restarted agent
 * adopts it (routes that still match the plan are not touched).
 *
 * <p>A round that fails is counted and logged by the {@link TaskGuard} (task {@value #TASK}) and the next one runs at
 * its time: a round recomputes everything from the selector's state and the kernel (probes are due by time, not
 * marked in flight; the reconciler compares plans with the kernel), so nothing depends on the failed one.
 */
public final class NodeDataplane implements AutoCloseable {
    /** Holds the tunnel address when no tunnel device does (tunnelMode hostgw): probes need it to be local. */
    public static final String ADDRESS_DEVICE = "edgelink.local";
    /** Wait before a better path that failed is tried again, doubling up to {@link #MAX_BACKOFF}. */
    static final Duration INITIAL_BACKOFF = Duration.ofSeconds(2);
    /** Short enough that a better path (direct after a fault) is back within 30 s of the fault clearing. */
    static final Duration MAX_BACKOFF = Duration.ofSeconds(16);
    private static final Logger LOG = LoggerFactory.getLogger(NodeDataplane.class);
    private static final Path IP_FORWARD = Path.of("/proc/sys/net/ipv4/ip_forward");
    /** The least time between the end of one data plane round and the start of the next. */
    private static final Duration MIN_ROUND_GAP = Duration.ofMillis(20);
    /** The data plane thread's name in the {@link TaskGuard}. */
    public static final String TASK = "dataplane";
    /** The reason label of {@code edgelink_routes_refused} for pod CIDRs outside {@code clusterCidr}. */
    static final String OUTSIDE_CLUSTER = "outside_cluster_cidr";

    private final AgentConfig config;
    private final Netlink netlink;
    private final LocalNode local;
    private final List<TunnelBackend> backends;
    private final MtuCalculator mtus;
    private final List<PathKind> usable;
    private volatile int underlayMtu;
    private volatile int podMtu;
    private int refusedUnderlayMtu = -1;
    private final UdpEchoResponder responder;
    private final UdpPathProber prober;
    private final RungProber rungProber;
    private final UserspaceDevice userspace;
    private volatile Function<PeerView, String> kernelRefusal = p -> null;
    private volatile List<IpPrefix> underlaySubnets = List.of();
    private final DataplaneLoop loop;
    private final AgentMetrics metrics;
    private final LongSupplier nanoClock = System::nanoTime;
    private final ScheduledExecutorService scheduler;
    private final Map<String, PathKind> lastPaths = new HashMap<>();
    private volatile Consumer<String> pathListener = peer -> { };
    private volatile Map<String, PeerView> peers = Map.of();
    private final ClusterCidrFilter cidrFilter;
    /** Per peer, its pod CIDRs outside clusterCidr ("CIDR: outside clusterCidr C"), as of the last peer set. */
    private volatile Map<String, List<String>> outsideCluster = Map.of();
    private final PeerCounters counters = new PeerCounters(List.of("nft"));
    private volatile PeerCounters.Snapshot counted = new PeerCounters.Snapshot(Map.of(), 0, 0);
    private Map<String, List<IpPrefix>> countedPeers;
    private String countersError;
    private final ActivityFeed feed;

    private NodeDataplane(Builder b) {
        this.config = b.config;
        this.netlink = b.netlink;
        this.local = b.local;
        this.backends = b.backends;
        this.mtus = MtuCalculator.forBackends(b.backends, 0);
        this.usable = b.usable;
        this.underlayMtu = b.underlayMtu;
        this.podMtu = b.podMtu;
        this.responder = b.responder;
        this.prober = b.prober;
        this.rungProber = new RungProber(b.prober);
        this.userspace = b.userspace;
        this.metrics = b.metrics;
        this.scheduler = b.tasks.newScheduler("edgelink-dataplane", TASK);
        this.cidrFilter = new ClusterCidrFilter(config.clusterCidr());
        PeerPathMachine.Settings settings = new PeerPathMachine.Settings(config.timeouts().probeFailures(),
                config.timeouts().probeInterval(), config.timeouts().idleProbeInterval(),
                config.timeouts().idleTimeout(), INITIAL_BACKOFF, MAX_BACKOFF);
        List<TunnelBackend> ladder = new ArrayList<>();
        for (TunnelBackend t : backends) {
            ladder.add(t.kind().kernel() ? new NatAwareBackend(t, p -> kernelRefusal.apply(p)) : t);
        }
        Reconciler reconciler = new Reconciler(netlink, local, ladder);
        // A peer not yet relearnt after a restart keeps what we left for it as long as its record could still live.
        reconciler.holdLeftObjects(config.timeouts().recordTtl(), nanoClock);
        this.loop = new DataplaneLoop(new PathSelector(ladder, settings), reconciler,
                new CountingProber(rungProber, metrics), ladder,
                () -> netlink.routes(Route.TABLE_MAIN, Route.PROTOCOL_EDGELINK), nanoClock);
        this.feed = new ActivityFeed(new PeerActivity(config.timeouts().idleTimeout()), loop.selector(), nanoClock);
        if (userspace != null) {
            userspace.setDemandListener(feed::demand);
        }
    }

    /** What {@link #open} assembles before the loop exists. */
    private static final class Builder {
        AgentConfig config;
        Netlink netlink;
        LocalNode local;
        List<TunnelBackend> backends;
        List<PathKind> usable;
        int underlayMtu;
        int podMtu;
        UdpEchoResponder responder;
        UdpPathProber prober;
        AgentMetrics metrics;
        TaskGuard tasks;
        UserspaceDevice userspace;
    }

    /**
     * Makes the devices and starts answering probes; the loop starts with {@link #startLoop()}.
     *
     * @param tasks makes the data plane's thread, and counts its failed rounds
     * @throws ConfigException when the tunnel mode cannot work on this kernel or the underlay is not found
     */
    public static NodeDataplane open(AgentConfig config, MacAddress vtepMac, AgentMetrics metrics, TaskGuard tasks) {
        Builder b = new Builder();
        b.config = config;
        b.metrics = metrics;
        b.tasks = tasks;
        b.netlink = Netlink.open();
        try {
            Underlay underlay = Underlay.resolve(config, b.netlink);
            b.local = new LocalNode(config.nodeName(), underlay.link().name(), underlay.address(), config.podCidr(),
                    (Inet4Address) config.podCidr().address(), Optional.of(vtepMac));
            b.userspace = config.nat().userspace() ? new UserspaceDevice(b.netlink, null,
                    tunnelConfig(config.memory(), underlay.link().mtu() - UserspaceBackend.OVERHEAD_BYTES), tasks)
                    : null;
            b.backends = backends(config, b.netlink, b.userspace);
            List<PathKind> usable = usable(config, b.backends);
            b.usable = usable;
            b.underlayMtu = underlay.link().mtu();
            new Reconciler(b.netlink, b.local, b.backends).ensureDevices();
            if (b.userspace != null && usable.contains(PathKind.DIRECT)) {
                b.userspace.ensure(b.local);
            }
            if (!usable.contains(PathKind.VXLAN) && !usable.contains(PathKind.IPIP)) {
                ensureAddressDevice(b.netlink, b.local);
            }
            b.podMtu = MtuCalculator.forBackends(b.backends, 0).podMtu(underlay.link().mtu(), usable);
            enableForwarding();
            b.responder = UdpEchoResponder.start(b.local.tunnelAddress(), UdpEchoResponder.DEFAULT_PORT);
            b.prober = UdpPathProber.open(UdpEchoResponder.DEFAULT_PORT, config.timeouts().probeTimeout());
            LOG.info("data plane ready: underlay {} {} mtu {}, pod mtu {}, paths {} (node={}, backend={})",
                    underlay.link().name(), underlay.address().getHostAddress(), underlay.link().mtu(), b.podMtu,
                    usable, config.nodeName(), config.tunnelMode());
            return new NodeDataplane(b);
        } catch (RuntimeException e) {
            closeQuietly(b.prober);
            closeQuietly(b.responder);
            closeQuietly(b.userspace);
            b.netlink.close();
            throw e;
        }
    }

    /** The userspace path's limits: derived from direct memory, with what the config sets instead. */
    static TunnelConfig tunnelConfig(AgentConfig.Memory memory, int mtu) {
        TunnelConfig d = TunnelConfig.defaults(mtu);
        long total = memory.tunnelTotalBytes().orElse(Math.max(d.totalQueueBytes(),
                memory.tunnelPeerBytes().orElse(0)));
        int peer = (int) memory.tunnelPeerBytes().orElse(Math.min(d.peerQueueBytes(), total));
        return d.withMemory(peer, total);
    }

    private static List<TunnelBackend> backends(AgentConfig config, Netlink netlink, UserspaceDevice userspace) {
        List<TunnelBackend> out = new ArrayList<>();
        for (PathKind k : config.tunnelMode().paths()) {
            switch (k) {
                case HOSTGW -> out.add(new HostGwBackend(netlink));
                case IPIP -> out.add(new IpipBackend(netlink));
                case VXLAN -> out.add(new VxlanBackend(netlink));
                default -> throw new IllegalStateException("no kernel backend for " + k);
            }
        }
        if (userspace != null) {
            out.add(new UserspaceBackend(PathKind.DIRECT, netlink, userspace));
            out.add(new UserspaceBackend(PathKind.RELAYED, netlink, userspace));
        }
        return out;
    }

    /** The enabled rungs this kernel can do; a forced mode the kernel cannot do is a config error. */
    private static List<PathKind> usable(AgentConfig config, List<TunnelBackend> backends) {
        List<PathKind> out = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        for (TunnelBackend b : backends) {
            if (b.available().ok()) {
                out.add(b.kind());
            } else {
                refused.add(b.available().reason());
            }
        }
        if (out.isEmpty()) {
            throw new ConfigException("tunnelMode", config.tunnelMode() + " cannot work here: "
                    + String.join("; ", refused) + " (use auto, or another mode)");
        }
        return out;
    }

    /** A dummy device holding the tunnel address (/32), so that probes to it are answered. Idempotent. */
    private static void ensureAddressDevice(Netlink netlink, LocalNode local) {
        Link link = netlink.findLink(ADDRESS_DEVICE)
                .orElseGet(() -> netlink.createLink(new LinkSpec.Dummy(ADDRESS_DEVICE)));
        LinkAddress want = new LinkAddress(link.index(), local.tunnelHostPrefix());
        if (!netlink.addresses(link.index()).contains(want)) {
            netlink.addAddress(want);
        }
        if (!link.up()) {
            netlink.setUp(link.index(), true);
        }
    }

    /** Pods' packets are forwarded by this node: IPv4 forwarding must be on. */
    private static void enableForwarding() {
        try {
            if (!"1".equals(Files.readString(IP_FORWARD, StandardCharsets.US_ASCII).trim())) {
                Files.writeString(IP_FORWARD, "1\n", StandardCharsets.US_ASCII);
                LOG.info("IPv4 forwarding turned on (net.ipv4.ip_forward=1)");
            }
        } catch (IOException e) {
            LOG.warn("cannot turn on IPv4 forwarding: {}; pods will not reach other nodes", e.getMessage());
        }
    }

    /**
     * Told the node name of a peer whose path changed, on the data plane thread right after the round that changed
     * it (e.g. so that the tunnel stream follows a fall to {@code relayed} at once). Must not block.
     */
    public void setPathListener(Consumer<String> listener) {
        this.pathListener = listener;
    }

    /**
     * Runs the data plane loop, a round starting every probe interval (first round now). A round that waited for
     * probe timeouts is followed by the next one at its due time, not an interval after it ended, and a round that
     * overran is followed by the next one {@link #MIN_ROUND_GAP} later, never by a burst of rounds to catch up.
     */
    public void startLoop() {
        scheduler.execute(this::timedRound);
    }

    /** One round, then the next one is scheduled, also after a failed round (whose failure goes on to the guard). */
    private void timedRound() {
        long start = System.nanoTime();
        try {
            round();
        } finally {
            long left = config.timeouts().probeInterval().toNanos() - (System.nanoTime() - start);
            try {
                scheduler.schedule(this::timedRound, Math.max(left, MIN_ROUND_GAP.toNanos()), TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.RejectedExecutionException ignored) {
                // closed: the loop ends
            }
        }
    }

    /** One round; the counters and path changes are looked at also when the loop failed in it. */
    private void round() {
        try {
            followUnderlayMtu();
            readUnderlaySubnets();
            if (userspace != null && usable.contains(PathKind.DIRECT)) {
                userspace.ensure(local); // the reconciler ensures kernel devices only; this one is made again if gone
            }
            feed.roundStarts(peerTraffic(), userspace == null ? Optional.empty() : userspace.service(), peers.keySet());
            loop.runOnce();
        } finally {
            syncCounters();
            notifyPathChanges();
        }
    }

    /** Counts every peer's path change since the last round and tells the path listener. */
    private void notifyPathChanges() {
        synchronized (lastPaths) {
            for (PathStatus s : loop.selector().statuses()) {
                PathKind before = lastPaths.get(s.peer());
                if (s.path() != before && (s.path() != null || lastPaths.containsKey(s.peer()))) {
                    metrics.pathChanged(s.path());
                    pathListener.accept(s.peer());
                }
                lastPaths.put(s.peer(), s.path());
            }
            lastPaths.keySet().retainAll(peers.keySet());
        }
    }

    /**
     * Re-reads the underlay device's MTU (once per round). When it changed, the pod MTU handed to new pods follows
     * (pods made before keep theirs: their veths are not touched) and one line is logged; a value that would leave
     * a pod MTU below {@link MtuCalculator#MIN_POD_MTU} is refused with one warning and the old values stay. Then
     * every tunnel device is set to the underlay MTU minus its own overhead when it differs (also after a change by
     * hand, which is put back with a warning).
     */
    void followUnderlayMtu() {
        Optional<Link> underlay = netlink.findLink(local.underlayDevice());
        if (underlay.isEmpty()) {
            return;
        }
        int now = underlay.get().mtu();
        boolean changed = now != underlayMtu;
        if (changed) {
            int pod;
            try {
                pod = mtus.podMtu(now, usable);
            } catch (IllegalArgumentException e) {
                if (now != refusedUnderlayMtu) {
                    LOG.warn("underlay mtu changed to {}, refused: {}; keeping pod mtu {} (node={})", now,
                            e.getMessage(), podMtu, local.nodeName());
                    refusedUnderlayMtu = now;
                }
                return;
            }
            LOG.info("underlay mtu changed from {} to {}: pod mtu {} for new pods, tunnel devices follow (node={})",
                    underlayMtu, now, pod, local.nodeName());
            underlayMtu = now;
            podMtu = pod;
            refusedUnderlayMtu = -1;
        }
        setTunnelMtus(!changed);
    }

    private void setTunnelMtus(boolean warn) {
        Map<Integer, Link> links = new HashMap<>();
        netlink.links().forEach(l -> links.put(l.index(), l));
        for (TunnelBackend b : backends) {
            int want = underlayMtu - b.overheadBytes();
            for (int index : b.ownedLinks()) {
                Link l = links.get(index);
                if (l == null || l.mtu() == want) {
                    continue;
                }
                if (warn) {
                    LOG.warn("tunnel device {} had mtu {}, set back to {} (node={}, backend={})", l.name(), l.mtu(),
                            want, local.nodeName(), b.kind());
                }
                netlink.setMtu(index, want);
            }
        }
    }

    /**
     * Reads the per-peer counters (once per round, kept for status and metrics) and, when our table does not count
     * exactly the current peers (peers came or went, or someone changed the table by hand), applies it again in one
     * transaction. A failure (no nft, no nf_tables) is logged once and retried every round.
     */
    void syncCounters() {
        Map<String, List<IpPrefix>> want = new TreeMap<>();
        peers.forEach((name, v) -> want.put(name, v.podCidrs().stream()
                .filter(c -> c.address() instanceof Inet4Address).toList()));
        try {
            PeerCounters.Snapshot have = counters.read();
            if (!PeerCounters.matches(have, want)) {
                if (want.equals(countedPeers)) {
                    LOG.warn("per-peer counters in table ip {} were changed outside the agent, restored (node={})",
                            PeerCounters.TABLE, local.nodeName());
                }
                counters.ensure(want);
                have = counters.read();
            }
            counted = have;
            countedPeers = want;
            countersError = null;
        } catch (NftException e) {
            if (!e.getMessage().equals(countersError)) {
                LOG.warn("cannot count bytes per peer: {} (node={})", e.getMessage(), local.nodeName());
                countersError = e.getMessage();
            }
        }
    }

    /** Bytes and packets per peer, as read in the last round (peers not counted are missing). */
    public Map<String, PeerCounters.Traffic> peerTraffic() {
        return PeerCounters.traffic(counted, peers.keySet());
    }

    /**
     * The desired set of peers (from membership or the config). Pod CIDRs outside {@code clusterCidr} are dropped
     * first ({@link ClusterCidrFilter}): the data plane, the counters and {@link #peers()} see only what is left.
     */
    public void setPeers(List<PeerView> announced) {
        ClusterCidrFilter.Result filtered = cidrFilter.apply(announced);
        outsideCluster = filtered.refused();
        List<PeerView> views = filtered.admitted();
        Map<String, PeerView> byName = new LinkedHashMap<>();
        views.forEach(v -> byName.put(v.nodeName(), v));
        if (userspace != null) {
            for (String gone : peers.keySet()) {
                if (!byName.containsKey(gone)) {
                    userspace.service().ifPresent(s -> s.removePeer(gone));
                }
            }
        }
        peers = Map.copyOf(byName);
        loop.setPeers(views);
    }

    /** The peers handed to the data plane: those with a pod CIDR inside {@code clusterCidr}, with those only. */
    public Map<String, PeerView> peers() {
        return peers;
    }

    /**
     * Per peer, the pod CIDRs (and probe routes) that get no route, with why: outside {@code clusterCidr}, or
     * refused by the reconciler as it found the kernel in its last pass ("10.1.0.0/24: would replace route
     * 10.1.0.0/24 dev eth0 proto kernel"). A peer none of whose pod CIDRs is inside {@code clusterCidr} is here but
     * not in {@link #peers()}.
     */
    public Map<String, List<String>> refusedCidrs() {
        return refusedCidrs(outsideCluster, loop.reconciler().refused());
    }

    static Map<String, List<String>> refusedCidrs(Map<String, List<String>> outsideCluster, List<Refusal> refused) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        outsideCluster.forEach((peer, why) -> out.put(peer, new ArrayList<>(why)));
        for (Refusal r : refused) {
            out.computeIfAbsent(r.peer(), k -> new ArrayList<>()).add(r.toString());
        }
        return out;
    }

    /** Destinations that get no route now, by reason (every reason, 0 included), for the metrics. */
    public List<Metrics.Sample> routesRefused() {
        return routesRefused(outsideCluster, loop.reconciler().refused());
    }

    static List<Metrics.Sample> routesRefused(Map<String, List<String>> outsideCluster, List<Refusal> refused) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        counts.put(OUTSIDE_CLUSTER, 0);
        for (Refusal.Reason r : Refusal.Reason.values()) {
            counts.put(r.label(), 0);
        }
        outsideCluster.values().forEach(why -> counts.merge(OUTSIDE_CLUSTER, why.size(), Integer::sum));
        refused.forEach(r -> counts.merge(r.reason().label(), 1, Integer::sum));
        List<Metrics.Sample> out = new ArrayList<>();
        counts.forEach((reason, n) -> out.add(new Metrics.Sample(List.of(reason), n)));
        return out;
    }

    /**
     * Sets the gate of the kernel rungs: for a peer, null when a kernel path may work, else why not (a NAT between
     * us). Until set, every peer is eligible (one flat network, as before the cross-NAT paths existed).
     */
    public void setKernelRefusal(Function<PeerView, String> refusal) {
        this.kernelRefusal = refusal;
    }

    /** Sets the prober of the userspace rungs (the libp2p host starts after the data plane). */
    public void setUserspaceProber(PathProber prober) {
        rungProber.setUserspace(prober);
    }

    /** The shared device of the userspace rungs, if this node offers them. */
    public Optional<UserspaceDevice> userspace() {
        return Optional.ofNullable(userspace);
    }

    /** The peer's path state (active path, trial, reason), if the data plane knows the peer. */
    public Optional<PathStatus> pathStatus(String nodeName) {
        return loop.selector().status(nodeName);
    }

    /** The peer's active path, or null while it has none. */
    public PathKind activePath(String nodeName) {
        return loop.selector().status(nodeName).map(PathStatus::path).orElse(null);
    }

    /** Whether one of {@code addresses} is on a subnet of the underlay device (as read in the last round). */
    public boolean onUnderlaySubnet(List<java.net.InetAddress> addresses) {
        for (IpPrefix p : underlaySubnets) {
            for (java.net.InetAddress ip : addresses) {
                if (dev.edgelink.dataplane.backend.Subnets.contains(p, ip)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Re-reads the underlay device's subnets (netlink is used on the loop's thread only); a change is ours. */
    private void readUnderlaySubnets() {
        Optional<Link> link = netlink.findLink(local.underlayDevice());
        if (link.isPresent()) {
            List<IpPrefix> now = netlink.addresses(link.get().index()).stream().map(LinkAddress::prefix).toList();
            if (!now.equals(underlaySubnets)) {
                feed.localChanged();
            }
            underlaySubnets = now;
        }
    }

    /** When each peer's pods last exchanged traffic with ours, as the data plane sees it (see {@link PeerActivity}). */
    public PeerActivity activity() {
        return feed.activity();
    }

    /**
     * Told the node name of a peer for which a pod's packet reached the userspace path while the peer had no tunnel
     * stream (the packet is dropped): at most once per peer per {@link TunnelService#DEMAND_INTERVAL}, on the
     * tunnel's timer thread. Must not block. The peer counts as active from then on.
     */
    public void setDemandListener(Consumer<String> listener) {
        feed.setDemandListener(listener);
    }

    /**
     * Our own side changed in a way the paths depend on (our reachability, our site view): every peer's rungs are
     * asked again at the start of the next round, not at the peer's next record. Any thread; returns at once.
     */
    public void localChanged() {
        feed.localChanged();
    }

    public List<PathStatus> statuses() {
        return loop.selector().statuses();
    }

    /** Sends {@code count} probes one after the other to the peer's tunnel address. */
    public Optional<PingReport> ping(String nodeName, int count) {
        PeerView peer = peers.get(nodeName);
        if (peer == null) {
            return Optional.empty();
        }
        PathKind path = loop.selector().status(nodeName).map(PathStatus::path).orElse(null);
        List<PingReport.Probe> probes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ProbeResult r = prober.probe(peer, path == null ? PathKind.HOSTGW : path).join();
            probes.add(new PingReport.Probe(r.ok(), r.ok() ? r.rttNanos() / 1e6 : -1, r.detail()));
        }
        return Optional.of(new PingReport(nodeName, peer.tunnelAddress().getHostAddress(),
                path == null ? null : path.toString(), probes));
    }

    /** The rungs enabled by the tunnel mode and what the kernel said about each. */
    public List<TunnelBackend> backends() {
        return backends;
    }

    public LocalNode local() {
        return local;
    }

    /** The MTU for pods made now: follows the underlay's MTU (see {@link #followUnderlayMtu}). */
    public int podMtu() {
        return podMtu;
    }

    /** The VTEP MAC of the VXLAN device, if vxlan is enabled and available. */
    public Optional<MacAddress> vtepMac() {
        // the backends list holds the unwrapped backends; the path selector's ladder holds the NAT-aware wrappers
        return backends.stream().filter(b -> b instanceof VxlanBackend && b.available().ok())
                .map(b -> ((VxlanBackend) b).vtepMac()).findFirst();
    }

    /** The userspace data path's reader, memory and per-peer counters, or null while it does not run. */
    public AgentStatus.Userspace userspaceStatus() {
        TunnelService t = userspace == null ? null : userspace.service().orElse(null);
        if (t == null) {
            return null;
        }
        List<AgentStatus.TunnelPeer> peers = new ArrayList<>();
        for (String n : t.peers()) {
            t.stats(n).ifPresent(st -> peers.add(new AgentStatus.TunnelPeer(n, t.connected(n), t.heldBytes(n),
                    st.txPackets(), st.rxPackets(), st.queueDrops(), st.budgetDrops(),
                    st.otherDrops() + st.spoofDrops(), st.resets())));
        }
        ByteBudget m = t.memory();
        return new AgentStatus.Userspace(t.readerHealthy(), m.used(), m.limit(), m.peak(), DirectMemory.used(),
                DirectMemory.limit(), t.allocFailures(), userspace.restarts(), peers);
    }

    /** Packets dropped on the userspace path, by peer and reason, for the metrics. */
    public List<Metrics.Sample> tunnelDrops() {
        AgentStatus.Userspace u = userspaceStatus();
        List<Metrics.Sample> out = new ArrayList<>();
        if (u != null) {
            for (AgentStatus.TunnelPeer p : u.peers()) {
                out.add(new Metrics.Sample(List.of(p.node(), "queue_full"), p.queueDrops()));
                out.add(new Metrics.Sample(List.of(p.node(), "memory"), p.memoryDrops()));
                out.add(new Metrics.Sample(List.of(p.node(), "other"), p.otherDrops()));
            }
            out.add(new Metrics.Sample(List.of("", "no_direct_memory"), u.allocFailures()));
        }
        return out;
    }

    /** Bytes held by each peer's outbound packets on the userspace path, for the metrics. */
    public List<Metrics.Sample> tunnelHeldBytes() {
        AgentStatus.Userspace u = userspaceStatus();
        return u == null ? List.of() : u.peers().stream()
                .map(p -> new Metrics.Sample(List.of(p.node()), p.heldBytes())).toList();
    }

    /** The memory gauges: the userspace budget (used, limit, peak) and the JVM's direct memory (used, limit). */
    public List<Metrics.Sample> memory() {
        List<Metrics.Sample> out = new ArrayList<>();
        out.add(new Metrics.Sample(List.of("direct", "used"), DirectMemory.used()));
        out.add(new Metrics.Sample(List.of("direct", "limit"), DirectMemory.limit()));
        AgentStatus.Userspace u = userspaceStatus();
        if (u != null) {
            out.add(new Metrics.Sample(List.of("tunnel", "used"), u.memoryUsed()));
            out.add(new Metrics.Sample(List.of("tunnel", "limit"), u.memoryLimit()));
            out.add(new Metrics.Sample(List.of("tunnel", "peak"), u.memoryPeak()));
        }
        return out;
    }

    /** 1 while the TUN reader moves packets, 0 when it does not; nothing without a userspace path. */
    public List<Metrics.Sample> tunReader() {
        AgentStatus.Userspace u = userspaceStatus();
        return u == null ? List.of() : List.of(new Metrics.Sample(List.of(), u.readerRunning() ? 1 : 0));
    }

    /** Times the userspace data path started again on a new device. */
    public List<Metrics.Sample> tunnelRestarts() {
        return userspace == null ? List.of() : List.of(new Metrics.Sample(List.of(), userspace.restarts()));
    }

    /** Peers per active path ("none" while not verified), for the metrics. */
    public List<Metrics.Sample> peersByPath() {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (TunnelBackend b : backends) {
            counts.put(b.kind().toString(), 0);
        }
        counts.put("none", 0);
        for (PathStatus s : statuses()) {
            counts.merge(s.path() == null ? "none" : s.path().toString(), 1, Integer::sum);
        }
        List<Metrics.Sample> out = new ArrayList<>();
        counts.forEach((k, v) -> out.add(new Metrics.Sample(List.of(k), v)));
        return out;
    }

    /** Bytes per peer and direction ("tx": to the peer's pods, "rx": from them), for the metrics. */
    public List<Metrics.Sample> bytesByPeer() {
        List<Metrics.Sample> out = new ArrayList<>();
        peerTraffic().forEach((peer, t) -> {
            out.add(new Metrics.Sample(List.of(peer, "tx"), t.txBytes()));
            out.add(new Metrics.Sample(List.of(peer, "rx"), t.rxBytes()));
        });
        return out;
    }

    /**
     * Bytes per path and direction: the per-peer counts summed by each peer's current path ("none" while a peer
     * has none), so a peer's whole count moves with it when its path changes.
     */
    public List<Metrics.Sample> bytesByPath() {
        Map<String, Long> tx = new LinkedHashMap<>();
        Map<String, Long> rx = new LinkedHashMap<>();
        for (TunnelBackend b : backends) {
            tx.put(b.kind().toString(), 0L);
            rx.put(b.kind().toString(), 0L);
        }
        Map<String, PeerCounters.Traffic> traffic = peerTraffic();
        for (PathStatus s : statuses()) {
            PeerCounters.Traffic t = traffic.get(s.peer());
            if (t != null) {
                String path = s.path() == null ? "none" : s.path().toString();
                tx.merge(path, t.txBytes(), Long::sum);
                rx.merge(path, t.rxBytes(), Long::sum);
            }
        }
        List<Metrics.Sample> out = new ArrayList<>();
        tx.forEach((path, v) -> out.add(new Metrics.Sample(List.of(path, "tx"), v)));
        rx.forEach((path, v) -> out.add(new Metrics.Sample(List.of(path, "rx"), v)));
        return out;
    }

    /** The injected clock the path times are in. */
    public long nanoTime() {
        return nanoClock.getAsLong();
    }

    /** Stops the loop and the probe sockets; kernel objects stay for the next start to adopt. */
    @Override
    public void close() {
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeQuietly(prober);
        closeQuietly(responder);
        closeQuietly(userspace);
        netlink.close();
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            LOG.debug("closing {}: {}", c.getClass().getSimpleName(), e.toString());
        }
    }
}
