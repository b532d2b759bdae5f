package dev.edgelink.agent.internal.metrics;

import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.discovery.MembershipService;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The agent's metrics, named {@code edgelink_*}. Counters are updated where things happen (probes, path changes,
 * CNI requests); gauges are read at scrape time from whatever the agent knows then.
 */
public final class AgentMetrics {
    private final Metrics registry = new Metrics();
    private final Metrics.Counter probes;
    private final Metrics.Counter probeFailures;
    private final Metrics.Counter pathChanges;
    private final Metrics.Counter rounds;
    private final Metrics.Counter cniOperations;
    private final Metrics.Histogram cniSeconds;

    public AgentMetrics() {
        probes = registry.counter("edgelink_path_probes_total", "Path probes sent, by path.", "path");
        probeFailures = registry.counter("edgelink_path_probe_failures_total",
                "Path probes that got no echo (timeout or send error), by path.", "path");
        pathChanges = registry.counter("edgelink_path_changes_total",
                "Times a peer's active path changed, by the path it moved to (none: no verified path left).",
                "path");
        rounds = registry.counter("edgelink_dataplane_rounds_total",
                "Data plane rounds run (tick, reconcile, probes), failed ones included.");
        cniOperations = registry.counter("edgelink_cni_operations_total",
                "CNI requests served, by command and result (ok or the CNI error code).", "command", "result");
        cniSeconds = registry.histogram("edgelink_cni_operation_duration_seconds",
                "Time the agent took to serve a CNI request, by command.", Metrics.LATENCY_BUCKETS, "command");
    }

    /**
     * Registers the scrape-time gauges.
     *
     * @param peersByPath the number of peers per active path label ("hostgw", ..., "none")
     * @param bytesByPath bytes per path and direction: the per-peer counts summed by current path
     * @param bytesByPeer bytes per peer and direction, from the kernel's per-peer counters (labels: peer, direction)
     */
    public void bindGauges(Supplier<List<Metrics.Sample>> peersByPath, Supplier<List<Metrics.Sample>> bytesByPath,
                           Supplier<List<Metrics.Sample>> bytesByPeer, Supplier<List<Metrics.Sample>> members) {
        registry.gauge("edgelink_peers", "Peers by the path carrying their pod traffic (none: not yet verified).",
                List.of("path"), peersByPath);
        registry.gauge("edgelink_path_bytes", "Bytes to (tx) and from (rx) peers' pods, by the peers' current path: "
                + "the per-peer counts summed by path, so a peer's count moves with it when its path changes.",
                List.of("path", "direction"), bytesByPath);
        registry.counterFunction("edgelink_peer_bytes_total", "Bytes to (tx) and from (rx) a peer's pod CIDRs on any "
                + "path, counted by nftables (table ip edgelink_peers).", List.of("peer", "direction"), bytesByPeer);
        registry.gauge("edgelink_members", "Live members in this node's membership view, itself included.",
                List.of(), members);
    }

    /**
     * Registers {@code edgelink_routes_refused{reason}}.
     *
     * @param refused peer destinations that get no route now, by reason (outside_cluster_cidr, would_replace,
     *     would_shadow, local_pod_cidr, tunnel_address_outside_pod_cidrs)
     */
    public void bindRoutesRefused(Supplier<List<Metrics.Sample>> refused) {
        registry.gauge("edgelink_routes_refused", "Peer pod CIDRs (and probe routes) that get no route now, by reason "
                + "(outside_cluster_cidr; would_replace or would_shadow: a route that is not ours is in the way; "
                + "local_pod_cidr: inside this node's pod CIDR; tunnel_address_outside_pod_cidrs).", List.of("reason"),
                refused);
    }

    /**
     * Registers the cross-NAT gauges.
     *
     * @param connections members with a libp2p connection of each kind (labels: kind = direct or relayed)
     * @param reservations relay reservations held now
     */
    public void bindNatGauges(Supplier<List<Metrics.Sample>> connections, Supplier<List<Metrics.Sample>> reservations,
            Supplier<List<Metrics.Sample>> reasons) {
        registry.gauge("edgelink_peer_connections", "Members with an open libp2p connection, by kind (direct: TCP, "
                + "maybe hole-punched; relayed: through a circuit relay).", List.of("kind"), connections);
        registry.gauge("edgelink_connection_reasons", "Peers the connection manager holds a connection for, by "
                + "reason (relay, bootstrap, gossip, traffic, path); a peer counts once per reason.",
                List.of("reason"), reasons);
        registry.gauge("edgelink_relay_reservations", "Circuit relay reservations this node holds.", List.of(),
                reservations);
    }

    /**
     * Registers what this node serves as a circuit relay ({@code relay.server}); other nodes have no samples.
     *
     * @param served reservations held for other nodes and circuits running now (labels: kind = reservations or
     *     circuits)
     * @param resets circuits reset since start because their bytes would have taken the relay past
     *     {@code memory.relayBytes}
     */
    public void bindRelayServer(Supplier<List<Metrics.Sample>> served, Supplier<List<Metrics.Sample>> resets) {
        registry.gauge("edgelink_relay_served", "What this relay server serves now, by kind (reservations: nodes "
                + "reachable through it; circuits: relayed connections).", List.of("kind"), served);
        registry.counterFunction("edgelink_relay_circuit_resets_total", "Circuits this relay reset because their "
                + "bytes would have taken it past memory.relayBytes.", List.of(), resets);
    }

    /**
     * Registers the memory and userspace data path gauges.
     *
     * @param memory bytes by pool (direct: the JVM's direct buffers; tunnel: the userspace packets' budget) and
     *     kind (used, limit, peak)
     * @param tunnelDrops packets the userspace path dropped, by peer and reason
     * @param tunnelHeld bytes each peer's outbound packets hold now
     * @param tunReader 1 while the TUN reader moves packets, 0 when not (absent without a userspace path)
     * @param tunnelRestarts times the userspace data path started again on a new device
     */
    public void bindDataPathGauges(Supplier<List<Metrics.Sample>> memory, Supplier<List<Metrics.Sample>> tunnelDrops,
                                   Supplier<List<Metrics.Sample>> tunnelHeld,
                                   Supplier<List<Metrics.Sample>> tunReader,
                                   Supplier<List<Metrics.Sample>> tunnelRestarts) {
        registry.gauge("edgelink_memory_bytes", "Memory the network can fill, by pool (direct: the JVM's direct "
                + "buffers; tunnel: outbound packets of the userspace paths) and kind (used, limit, peak).",
                List.of("pool", "kind"), memory);
        registry.counterFunction("edgelink_tunnel_drops_total", "Packets the userspace path dropped on the way out, "
                + "by peer and reason (queue_full: the peer's queue, tail drop; memory: all peers held the budget; "
                + "other: too large, refused, spoofed; no_direct_memory: no buffer to be had).",
                List.of("peer", "reason"), tunnelDrops);
        registry.gauge("edgelink_tunnel_held_bytes", "Bytes a peer's outbound packets hold now on the userspace path "
                + "(its send queue and its stream's).", List.of("peer"), tunnelHeld);
        registry.gauge("edgelink_tun_reader_up", "1 while the TUN reader moves packets, 0 when it does not.",
                List.of(), tunReader);
        registry.counterFunction("edgelink_tunnel_restarts_total", "Times the userspace data path started again on "
                + "a new TUN device because the device vanished or failed under its reader.", List.of(),
                tunnelRestarts);
    }

    /**
     * Registers the background tasks' failure counts ({@code edgelink_task_failures_total{task}}).
     *
     * @param failures failures so far by task name, each task there from its start (0 until it fails)
     */
    public void bindTaskFailures(Supplier<Map<String, Long>> failures) {
        registry.counterFunction("edgelink_task_failures_total", "Failures a background task went on from, by task "
                + "(a thread's periodic round, one CNI or operator request, one packet, an Error that closed one "
                + "libp2p connection); an error no task can go on from ends the agent instead (exit code 70).",
                List.of("task"), () -> {
                    List<Metrics.Sample> out = new ArrayList<>();
                    failures.get().forEach((task, n) -> out.add(new Metrics.Sample(List.of(task), n)));
                    return out;
                });
    }

    /**
     * Registers the libp2p host's connection counts ({@code edgelink_connections{state}}) and refusals
     * ({@code edgelink_connections_refused_total{reason}}).
     *
     * @param connections handshakes in progress ({@code pending}) and {@code established} connections now
     * @param refused connections the host refused so far, by reason label, every reason there from the start
     */
    /** The membership protocols' cost: bytes of members messages, exchanges and pushes, both ways. */
    public void bindMembership(Supplier<MembershipService.Stats> stats) {
        registry.counterFunction("edgelink_members_bytes_total", "Bytes of members messages (exchanges and pushes, "
                + "without stream framing and encryption) received (in) and sent (out).", List.of("direction"),
                () -> {
                    MembershipService.Stats s = stats.get();
                    return List.of(new Metrics.Sample(List.of("in"), s.bytesIn()),
                            new Metrics.Sample(List.of("out"), s.bytesOut()));
                });
        registry.counterFunction("edgelink_members_exchanges_total", "Members exchanges run with a peer (sync: "
                + "anti-entropy; push: a changed record), either side, by kind and result.", List.of("kind", "result"),
                () -> {
                    MembershipService.Stats s = stats.get();
                    return List.of(new Metrics.Sample(List.of("sync", "ok"), s.syncs() - s.syncFailures()),
                            new Metrics.Sample(List.of("sync", "failed"), s.syncFailures()),
                            new Metrics.Sample(List.of("push", "ok"), s.pushes() - s.pushFailures()),
                            new Metrics.Sample(List.of("push", "failed"), s.pushFailures()));
                });
    }

    public void bindConnections(Supplier<List<Metrics.Sample>> connections, Supplier<Map<String, Long>> refused) {
        registry.gauge("edgelink_connections", "libp2p connections now, by state (pending: inbound, not yet "
                + "authenticated; established: authenticated, TCP or relayed).", List.of("state"), connections);
        registry.counterFunction("edgelink_connections_refused_total", "Connections the libp2p host closed before "
                + "use, by reason (pending_per_ip, pending_total: a newer handshake took the oldest's room; "
                + "handshake_deadline, handshake_failed: no authenticated peer; connections: maxConnections "
                + "established; peer_gate: refused peer).", List.of("reason"), () -> {
                    List<Metrics.Sample> out = new ArrayList<>();
                    refused.get().forEach((reason, n) -> out.add(new Metrics.Sample(List.of(reason), n)));
                    return out;
                });
    }

    public void probeSent(PathKind path) {
        probes.inc(path.toString());
    }

    public void probeFailed(PathKind path) {
        probeFailures.inc(path.toString());
    }

    /** @param to the new active path, or null when none is left */
    /** One data plane round ran. */
    public void roundRan() {
        rounds.inc();
    }

    public void pathChanged(PathKind to) {
        pathChanges.inc(to == null ? "none" : to.toString());
    }

    public void cniServed(String command, String result, double seconds) {
        cniOperations.inc(command, result);
        cniSeconds.observe(seconds, command);
    }

    public long probeFailures(PathKind path) {
        return probeFailures.value(path.toString());
    }

    public long pathChanges(String to) {
        return pathChanges.value(to);
    }

    public long cniOperations(String command, String result) {
        return cniOperations.value(command, result);
    }

    /** Prometheus text. */
    public String render() {
        return registry.render();
    }
}
