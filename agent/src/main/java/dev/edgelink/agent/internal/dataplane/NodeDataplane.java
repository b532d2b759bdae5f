package dev.edgelink.agent.internal.dataplane;

import dev.edgelink.agent.AgentStatus;
import dev.edgelink.agent.PingReport;
import dev.edgelink.agent.config.AgentConfig;
import dev.edgelink.agent.config.ConfigException;
import dev.edgelink.agent.internal.metrics.AgentMetrics;
import dev.edgelink.agent.internal.metrics.CountingProber;
import dev.edgelink.agent.internal.metrics.Metrics;
import dev.edgelink.agent.internal.peers.ClusterCidrFilter;
import dev.edgelink.dataplane.activity.PeerActivity;
import dev.edgelink.dataplane.tunnel.TunnelService;
import dev.edgelink.dataplane.backend.LocalNode;
import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.PeerView;
import dev.edgelink.dataplane.backend.TunnelBackend;
import dev.edgelink.dataplane.backend.userspace.UserspaceDevice;
import dev.edgelink.dataplane.backend.vxlan.VxlanBackend;
import dev.edgelink.dataplane.nat.PeerCounters;
import dev.edgelink.net.MacAddress;
import dev.edgelink.dataplane.netlink.Route;
import dev.edgelink.dataplane.path.PathProber;
import dev.edgelink.dataplane.path.PathSelector;
import dev.edgelink.dataplane.path.PathStatus;
import dev.edgelink.dataplane.path.PeerPathMachine;
import dev.edgelink.dataplane.path.ProbeResult;
import dev.edgelink.dataplane.reconcile.DataplaneLoop;
import dev.edgelink.dataplane.reconcile.Reconciler;
import dev.edgelink.libp2p.threads.TaskGuard;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * This node's kernel data plane as the agent runs it, and the one object the agent talks to about it: the devices
 * ({@link DataplaneDevices}), the path selector and reconciler driven by one scheduler thread ({@link RoundDriver}),
 * the underlay's MTU and subnets ({@link UnderlayFollower}), per-peer byte counts ({@link PeerTraffic}, on a thread of
 * its own) and what status and metrics show ({@link DataplaneViews}). This class wires them and keeps the peer set.
 * Everything it creates in the kernel is idempotent and stays when the agent stops, so a restarted agent adopts it
 * (routes that still match the plan are not touched).
 */
public final class NodeDataplane implements AutoCloseable {
    /** Holds the tunnel address when no tunnel device does (tunnelMode hostgw): probes need it to be local. */
    public static final String ADDRESS_DEVICE = "edgelink.local";
    /** Wait before a better path that failed is tried again, doubling up to {@link #MAX_BACKOFF}. */
    static final Duration INITIAL_BACKOFF = Duration.ofSeconds(2);
    /** Short enough that a better path (direct after a fault) is back within 30 s of the fault clearing. */
    static final Duration MAX_BACKOFF = Duration.ofSeconds(16);
    /** The data plane thread's name in the {@link TaskGuard}. */
    public static final String TASK = "dataplane";
    /** The per-peer counters' thread's name in the {@link TaskGuard}. */
    public static final String COUNTERS_TASK = "counters";

    private final DataplaneDevices devices;
    private final RungProber rungProber;
    private volatile Function<PeerView, String> kernelRefusal = p -> null;
    private final Reconciler reconciler;
    private final DataplaneLoop loop;
    private final UnderlayFollower underlay;
    private final RoundDriver rounds;
    private final PeerTraffic traffic;
    private final DataplaneViews views;
    private final ActivityFeed feed;
    private final LongSupplier nanoClock = System::nanoTime;
    private final ScheduledExecutorService scheduler;
    private final ScheduledExecutorService countersScheduler;
    private volatile Map<String, PeerView> peers = Map.of();
    private final ClusterCidrFilter cidrFilter;
    /** Per peer, its pod CIDRs outside clusterCidr ("CIDR: outside clusterCidr C"), as of the last peer set. */
    private volatile Map<String, List<String>> outsideCluster = Map.of();

    private NodeDataplane(AgentConfig config, DataplaneDevices devices, AgentMetrics metrics, TaskGuard tasks) {
        this.devices = devices;
        this.rungProber = new RungProber(devices.prober());
        this.cidrFilter = new ClusterCidrFilter(config.clusterCidr());
        PeerPathMachine.Settings settings = new PeerPathMachine.Settings(config.timeouts().probeFailures(),
                config.timeouts().probeInterval(), config.timeouts().idleProbeInterval(),
                config.timeouts().idleTimeout(), INITIAL_BACKOFF, MAX_BACKOFF);
        List<TunnelBackend> ladder = new ArrayList<>();
        for (TunnelBackend t : devices.backends()) {
            ladder.add(t.kind().kernel() ? new NatAwareBackend(t, p -> kernelRefusal.apply(p)) : t);
        }
        this.reconciler = new Reconciler(devices.netlink(), devices.local(), ladder);
        // A peer not yet relearnt after a restart keeps what we left for it as long as its record could still live.
        reconciler.holdLeftObjects(config.timeouts().recordTtl(), nanoClock);
        this.loop = new DataplaneLoop(new PathSelector(ladder, settings), reconciler,
                new CountingProber(rungProber, metrics), ladder,
                () -> devices.netlink().routes(Route.TABLE_MAIN, Route.PROTOCOL_EDGELINK), nanoClock);
        this.feed = new ActivityFeed(new PeerActivity(config.timeouts().idleTimeout()), loop.selector(), nanoClock);
        if (devices.userspace() != null) {
            devices.userspace().setDemandListener(feed::demand);
        }
        // a change of our subnets is ours: every peer's rungs are asked again at the next round
        this.underlay = new UnderlayFollower(devices, feed::localChanged);
        this.scheduler = tasks.newScheduler("edgelink-dataplane", TASK);
        this.rounds = new RoundDriver(scheduler, config.timeouts().probeInterval(), devices, underlay, loop, metrics,
                () -> peers.keySet(), () -> feed.roundStarts(peerTraffic(),
                        devices.userspace() == null ? Optional.empty() : devices.userspace().service(),
                        peers.keySet()));
        this.countersScheduler = tasks.newScheduler("edgelink-counters", COUNTERS_TASK);
        this.traffic = new PeerTraffic(new PeerCounters(List.of("nft")), () -> peers, config.nodeName(), nanoClock,
                PeerTraffic.VERIFY_INTERVAL);
        this.views = new DataplaneViews(devices.backends(), devices.userspace());
    }

    /**
     * Makes the devices and starts answering probes; the loop starts with {@link #startLoop()}.
     *
     * @param tasks makes the data plane's threads, and counts their failed rounds
     * @throws ConfigException when the tunnel mode cannot work on this kernel or the underlay is not found
     */
    public static NodeDataplane open(AgentConfig config, MacAddress vtepMac, AgentMetrics metrics, TaskGuard tasks) {
        DataplaneDevices devices = DataplaneDevices.open(config, vtepMac, tasks);
        try {
            return new NodeDataplane(config, devices, metrics, tasks);
        } catch (RuntimeException e) {
            devices.close();
            throw e;
        }
    }

    /**
     * Told the node name of a peer whose path changed, on the data plane thread right after the round that changed
     * it (e.g. so that the tunnel stream follows a fall to {@code relayed} at once). Must not block.
     */
    public void setPathListener(Consumer<String> listener) {
        rounds.setPathListener(listener);
    }

    /** Runs the data plane rounds (see {@link RoundDriver}) and the per-peer counters' reads. */
    public void startLoop() {
        rounds.start();
        traffic.start(countersScheduler);
    }

    /** Bytes and packets per peer, as last read (peers not counted are missing). */
    public Map<String, PeerCounters.Traffic> peerTraffic() {
        return traffic.traffic(peers.keySet());
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
        if (devices.userspace() != null) {
            for (String gone : peers.keySet()) {
                if (!byName.containsKey(gone)) {
                    devices.userspace().service().ifPresent(s -> s.removePeer(gone));
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
        return DataplaneViews.refusedCidrs(outsideCluster, reconciler.refused());
    }

    /** Destinations that get no route now, by reason (every reason, 0 included), for the metrics. */
    public List<Metrics.Sample> routesRefused() {
        return DataplaneViews.routesRefused(outsideCluster, reconciler.refused());
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
        return Optional.ofNullable(devices.userspace());
    }

    /** The peer's active path, or null while it has none. */
    public PathKind activePath(String nodeName) {
        return loop.selector().status(nodeName).map(PathStatus::path).orElse(null);
    }

    /** Whether one of {@code addresses} is on a subnet of the underlay device (as read in the last round). */
    public boolean onUnderlaySubnet(List<InetAddress> addresses) {
        return underlay.onUnderlaySubnet(addresses);
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

    /** The peer's path state (active path, trial, reason), if the data plane knows the peer. */
    public Optional<PathStatus> pathStatus(String nodeName) {
        return loop.selector().status(nodeName);
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
        PathKind path = activePath(nodeName);
        List<PingReport.Probe> probes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ProbeResult r = devices.prober().probe(peer, path == null ? PathKind.HOSTGW : path).join();
            probes.add(new PingReport.Probe(r.ok(), r.ok() ? r.rttNanos() / 1e6 : -1, r.detail()));
        }
        return Optional.of(new PingReport(nodeName, peer.tunnelAddress().getHostAddress(),
                path == null ? null : path.toString(), probes));
    }

    /** The rungs enabled by the tunnel mode and what the kernel said about each. */
    public List<TunnelBackend> backends() {
        return devices.backends();
    }

    public LocalNode local() {
        return devices.local();
    }

    /** The MTU for pods made now: follows the underlay's MTU (see {@link UnderlayFollower}). */
    public int podMtu() {
        return underlay.podMtu();
    }

    /** The VTEP MAC of the VXLAN device, if vxlan is enabled and available. */
    public Optional<MacAddress> vtepMac() {
        // the devices' backends are the kernel's own; the path selector's ladder holds the NAT-aware wrappers
        return devices.backends().stream().filter(b -> b instanceof VxlanBackend && b.available().ok())
                .map(b -> ((VxlanBackend) b).vtepMac()).findFirst();
    }

    /** The userspace data path's reader, memory and per-peer counters, or null while it does not run. */
    public AgentStatus.Userspace userspaceStatus() {
        return views.userspaceStatus();
    }

    /** Packets dropped on the userspace path, by peer and reason, for the metrics. */
    public List<Metrics.Sample> tunnelDrops() {
        return views.tunnelDrops();
    }

    /** Bytes held by each peer's outbound packets on the userspace path, for the metrics. */
    public List<Metrics.Sample> tunnelHeldBytes() {
        return views.tunnelHeldBytes();
    }

    /** The memory gauges: the userspace budget (used, limit, peak) and the JVM's direct memory (used, limit). */
    public List<Metrics.Sample> memory() {
        return views.memory();
    }

    /** 1 while the TUN reader moves packets, 0 when it does not; nothing without a userspace path. */
    public List<Metrics.Sample> tunReader() {
        return views.tunReader();
    }

    /** Times the userspace data path started again on a new device. */
    public List<Metrics.Sample> tunnelRestarts() {
        return views.tunnelRestarts();
    }

    /** Peers per active path ("none" while not verified), for the metrics. */
    public List<Metrics.Sample> peersByPath() {
        return views.peersByPath(statuses());
    }

    /** Bytes per peer and direction ("tx": to the peer's pods, "rx": from them), for the metrics. */
    public List<Metrics.Sample> bytesByPeer() {
        return traffic.bytesByPeer(peers.keySet());
    }

    /** Bytes per path and direction, a peer's whole count under its current path ("none" while it has none). */
    public List<Metrics.Sample> bytesByPath() {
        return traffic.bytesByPath(devices.backends(), statuses(), peers.keySet());
    }

    /** The injected clock the path times are in. */
    public long nanoTime() {
        return nanoClock.getAsLong();
    }

    /** Stops the loop, the counters and the probe sockets; kernel objects stay for the next start to adopt. */
    @Override
    public void close() {
        scheduler.shutdownNow();
        countersScheduler.shutdownNow();
        try {
            scheduler.awaitTermination(5, TimeUnit.SECONDS);
            countersScheduler.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        devices.close();
    }
}
