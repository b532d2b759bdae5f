package dev.edgelink.agent.internal.dataplane;

import dev.edgelink.agent.AgentStatus;
import dev.edgelink.agent.internal.metrics.DirectMemory;
import dev.edgelink.agent.internal.metrics.Metrics;
import dev.edgelink.dataplane.backend.TunnelBackend;
import dev.edgelink.dataplane.backend.userspace.UserspaceDevice;
import dev.edgelink.dataplane.path.PathStatus;
import dev.edgelink.dataplane.reconcile.Refusal;
import dev.edgelink.dataplane.tunnel.TunnelService;
import dev.edgelink.libp2p.mux.ByteBudget;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The data plane as status and metrics show it: the userspace path's reader, memory and per-peer drops, peers per
 * path, and the destinations that get no route. Reads only: nothing here changes the data plane.
 */
final class DataplaneViews {
    /** The reason label of {@code edgelink_routes_refused} for pod CIDRs outside {@code clusterCidr}. */
    static final String OUTSIDE_CLUSTER = "outside_cluster_cidr";

    private final List<TunnelBackend> backends;
    private final UserspaceDevice userspace;

    /** @param userspace the userspace rungs' device, or null when this node does not offer them */
    DataplaneViews(List<TunnelBackend> backends, UserspaceDevice userspace) {
        this.backends = backends;
        this.userspace = userspace;
    }

    /**
     * Per peer, the pod CIDRs (and probe routes) that get no route, with why: outside {@code clusterCidr}
     * ({@code outsideCluster}), or refused by the reconciler ({@code refused}).
     */
    static Map<String, List<String>> refusedCidrs(Map<String, List<String>> outsideCluster, List<Refusal> refused) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        outsideCluster.forEach((peer, why) -> out.put(peer, new ArrayList<>(why)));
        for (Refusal r : refused) {
            out.computeIfAbsent(r.peer(), k -> new ArrayList<>()).add(r.toString());
        }
        return out;
    }

    /** Destinations that get no route now, by reason (every reason, 0 included), for the metrics. */
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

    /** The userspace data path's reader, memory and per-peer counters, or null while it does not run. */
    AgentStatus.Userspace userspaceStatus() {
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
    List<Metrics.Sample> tunnelDrops() {
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
    List<Metrics.Sample> tunnelHeldBytes() {
        AgentStatus.Userspace u = userspaceStatus();
        return u == null ? List.of() : u.peers().stream()
                .map(p -> new Metrics.Sample(List.of(p.node()), p.heldBytes())).toList();
    }

    /** The memory gauges: the userspace budget (used, limit, peak) and the JVM's direct memory (used, limit). */
    List<Metrics.Sample> memory() {
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
    List<Metrics.Sample> tunReader() {
        AgentStatus.Userspace u = userspaceStatus();
        return u == null ? List.of() : List.of(new Metrics.Sample(List.of(), u.readerRunning() ? 1 : 0));
    }

    /** Times the userspace data path started again on a new device. */
    List<Metrics.Sample> tunnelRestarts() {
        return userspace == null ? List.of() : List.of(new Metrics.Sample(List.of(), userspace.restarts()));
    }

    /** Peers per active path ("none" while not verified), for the metrics. */
    List<Metrics.Sample> peersByPath(List<PathStatus> statuses) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (TunnelBackend b : backends) {
            counts.put(b.kind().toString(), 0);
        }
        counts.put("none", 0);
        for (PathStatus s : statuses) {
            counts.merge(s.path() == null ? "none" : s.path().toString(), 1, Integer::sum);
        }
        List<Metrics.Sample> out = new ArrayList<>();
        counts.forEach((k, v) -> out.add(new Metrics.Sample(List.of(k), v)));
        return out;
    }
}
