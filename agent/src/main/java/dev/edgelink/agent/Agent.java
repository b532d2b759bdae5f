package dev.edgelink.agent;

import dev.edgelink.agent.config.AgentConfig;
import dev.edgelink.agent.internal.OpenFiles;
import dev.edgelink.agent.internal.StateDirectory;
import dev.edgelink.agent.internal.dataplane.NodeDataplane;
import dev.edgelink.agent.internal.http.OperatorServer;
import dev.edgelink.agent.internal.metrics.AgentMetrics;
import dev.edgelink.agent.internal.metrics.MeteredCniService;
import dev.edgelink.agent.internal.metrics.Metrics;
import dev.edgelink.agent.internal.peers.MembershipPeerSource;
import dev.edgelink.agent.internal.peers.PeerSource;
import dev.edgelink.agent.internal.peers.StaticPeerSource;
import dev.edgelink.cni.CniServer;
import dev.edgelink.cni.DefaultCniService;
import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.PeerView;
import dev.edgelink.discovery.NodeRecord;
import dev.edgelink.discovery.TunnelCapability;
import dev.edgelink.discovery.UnderlayAddress;
import dev.edgelink.dataplane.backend.TunnelBackend;
import dev.edgelink.dataplane.kernel.VxlanDevice;
import dev.edgelink.dataplane.nat.Masquerade;
import dev.edgelink.dataplane.nat.PeerCounters;
import dev.edgelink.dataplane.netlink.Netlink;
import dev.edgelink.dataplane.path.PathStatus;
import dev.edgelink.agent.internal.nat.ConnectionProber;
import dev.edgelink.agent.internal.nat.CrossNat;
import dev.edgelink.agent.internal.nat.MemberInfo;
import dev.edgelink.agent.internal.trust.NodeTrust;
import dev.edgelink.agent.internal.nat.NatPolicy;
import dev.edgelink.agent.internal.connections.ConnectionManager;
import dev.edgelink.agent.internal.connections.ConnectionPolicy;
import dev.edgelink.dataplane.backend.userspace.UserspaceDevice;
import dev.edgelink.dataplane.tunnel.TunnelProtocol;
import dev.edgelink.discovery.RelayRole;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.relay.circuit.RelayServer;
import dev.edgelink.relay.dcutr.PunchPolicy;
import java.net.InetSocketAddress;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import dev.edgelink.libp2p.crypto.PrivKey;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.host.HostConfig;
import dev.edgelink.libp2p.identify.IdentifyService;
import dev.edgelink.libp2p.ping.ConnectionWatchdog;
import dev.edgelink.libp2p.ping.PingService;
import dev.edgelink.libp2p.pnet.SwarmKey;
import dev.edgelink.libp2p.threads.TaskGuard;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node daemon: wires the libp2p host, the peer source (membership), the kernel data plane, masquerade, the CNI
 * server and the operator HTTP server, in that order, and takes them down in reverse.
 *
 * <p>Restarts. Everything the agent puts in the kernel (devices, routes, neighbours, FDB entries, pod veths,
 * masquerade table) and on disk (node key, VTEP MAC, IPAM store) is made by idempotent ensures and is left in place
 * on stop, also after {@code kill -9}: the next start adopts it and running pods keep their addresses and routes.
 * The data plane does not reconcile until the peer source says its view is complete, so routes of peers not yet
 * relearnt after a restart are not torn down.
 *
 * <p>Threads. Every scheduler of the agent comes from one {@link TaskGuard}: a task that fails on one is counted
 * ({@code /metrics} {@code edgelink_task_failures_total}, {@code status} {@code node.taskFailures}) and the thread
 * goes on; an error no thread can go on from ends the process ({@code FatalThreadHandler}, installed by
 * {@code edgelink agent}), and the restart adopts the kernel state as above. docs/agent-config.md, "When a thread
 * fails", has the decision for each thread.
 */
public final class Agent implements AgentView, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Agent.class);
    /**
     * Netty event loops of the agent's libp2p host. The agent carries control traffic only (membership, identify,
     * ping), so one loop is enough, and each loop costs a thread and a pooled-buffer thread cache.
     */
    static final int EVENT_LOOP_THREADS = 1;
    /** How often the connection manager decides over every peer. */
    static final Duration KEEPER_INTERVAL = Duration.ofSeconds(1);
    /** The NAT thread's name in the {@link TaskGuard}: the connection manager, watchdog, AutoNAT, DCUtR. */
    static final String NAT_TASK = "nat";

    private final AgentConfig config;
    private final AgentMetrics metrics = new AgentMetrics();
    private final TaskGuard tasks = new TaskGuard();
    private final Instant startedAt = Instant.now();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private Host host;
    private IdentifyService identify;
    private PingService ping;
    private NodeDataplane dataplane;
    private PeerSource peers;
    private CrossNat nat;
    private ConnectionManager connections;
    private MembershipPeerSource membership;
    private NodeTrust trust;
    private String announced = "";
    private boolean closed;

    private Agent(AgentConfig config) {
        this.config = config;
    }

    /** Starts everything; on failure, what was started is stopped again and the failure is thrown. */
    public static Agent start(AgentConfig config) {
        Agent agent = new Agent(config);
        try {
            agent.startAll();
        } catch (RuntimeException e) {
            agent.close();
            throw e;
        }
        return agent;
    }

    private void startAll() {
        StateDirectory state = StateDirectory.open(config);
        PrivKey key = state.nodeKey();
        trust = NodeTrust.load(config, PeerId.fromPublicKey(key.publicKey()), System.currentTimeMillis());
        closeables.add(trust);
        metrics.bindTaskFailures(tasks::failures);
        dataplane = NodeDataplane.open(config, state.vtepMac(), metrics, tasks);
        closeables.add(dataplane);
        if (config.masquerade()) {
            boolean vxlan = dataplane.backends().stream()
                    .anyMatch(b -> b.kind() == PathKind.VXLAN && b.available().ok());
            new Masquerade(List.of("nft"), config.clusterCidr(),
                    vxlan ? OptionalInt.of(VxlanDevice.DEFAULT_PORT) : OptionalInt.empty()).ensure();
        }
        host = startHost(key);
        closeables.add(host);
        metrics.bindConnections(() -> List.of(
                new Metrics.Sample(List.of("pending"), host.pendingHandshakes()),
                new Metrics.Sample(List.of("established"), host.establishedConnections())), () -> {
                    Map<String, Long> refused = new LinkedHashMap<>();
                    host.refusals().forEach((reason, n) -> refused.put(reason.label(), n));
                    return refused;
                });
        if (config.staticPeers().isEmpty()) {
            membership = new MembershipPeerSource(host, config, nodeRecord(), trust.membership(), tasks);
            peers = membership;
            MembershipPeerSource m = membership;
            trust.watch(m.scheduler(), m.store(), System::currentTimeMillis, renewed -> m.republish(nodeRecord()));
            metrics.bindMembership(m::stats);
        } else {
            peers = new StaticPeerSource(config.staticPeers());
        }
        closeables.add(peers);
        if (membership != null) {
            startCrossNat(membership);
        }
        peers.start(dataplane::setPeers);
        peers.ready().thenRun(() -> {
            LOG.info("peer view ready; data plane loop starts (node={}, peers={})", config.nodeName(),
                    dataplane.peers().size());
            dataplane.startLoop();
        });
        startCni();
        metrics.bindDataPathGauges(this::memorySamples, dataplane::tunnelDrops, dataplane::tunnelHeldBytes,
                dataplane::tunReader, dataplane::tunnelRestarts);
        metrics.bindGauges(dataplane::peersByPath, dataplane::bytesByPath, dataplane::bytesByPeer,
                () -> List.of(new Metrics.Sample(List.of(), peers.members())));
        metrics.bindRoutesRefused(dataplane::routesRefused);
        metrics.bindRelayServer(this::relayServed, () -> servedRelay().map(r -> List.of(new Metrics.Sample(List.of(),
                r.circuitsResetForMemory()))).orElse(List.of()));
        closeables.add(OperatorServer.start(config.statusAddress(), this, tasks));
        LOG.info("agent started (node={}, peer={}, podCidr={}, backend={}, listen={})", config.nodeName(),
                host.peerId(), config.podCidr(), config.tunnelMode(), host.listenAddresses());
    }

    /**
     * The cross-NAT wiring: relay client, server and reservations, AutoNAT, reachability and DCUtR on the host;
     * the connection manager (connections for a reason only, the tunnel stream on the right one); the tunnel
     * protocol served into the userspace device; the userspace rungs' prober; the kernel rungs' NAT gate.
     */
    private void startCrossNat(MembershipPeerSource members) {
        ScheduledExecutorService natScheduler = tasks.newScheduler("edgelink-nat", NAT_TASK);
        closeables.add(natScheduler::shutdownNow);
        // a connection a NAT forgot is closed within ~20 s; reservations, circuits and the connection manager redial
        closeables.add(ConnectionWatchdog.start(host, ping, ConnectionWatchdog.Settings.DEFAULT, natScheduler));
        nat = new CrossNat(host, identify, config, members::memberPeerIds, members::memberInfos, natScheduler, tasks);
        closeables.add(nat);
        connections = startConnections(members, natScheduler);
        TunnelProtocol.serve(host, connections, members::nodeOf);
        ConnectionProber prober = new ConnectionProber(host, ping,
                () -> dataplane.userspace().flatMap(UserspaceDevice::service), members::peerIdOf,
                config.timeouts().probeTimeout());
        prober.setMissingConnectionListener(connections::demand);
        prober.setDirectFailingListener(connections::directFailing);
        dataplane.setUserspaceProber(prober);
        dataplane.setKernelRefusal(peer -> members.member(peer.nodeName())
                .map(m -> kernelRefusal(m, nat))
                .orElse(null));
        nat.onRecordChange(() -> natScheduler.execute(() -> announceIfChanged(members)));
        nat.onRecordChange(dataplane::localChanged); // our reachability is in the kernel rungs' NAT gate
        // the tunnel stream follows a path change at once, not at the manager's next tick (up to a second later)
        dataplane.setPathListener(peer -> {
            try {
                natScheduler.execute(connections::tick);
            } catch (RejectedExecutionException stopping) {
                LOG.debug("path change of {} not followed: stopping (node={})", peer, config.nodeName());
            }
        });
        metrics.bindNatGauges(() -> {
            int direct = 0;
            int relayed = 0;
            for (MemberInfo m : members.memberInfos()) {
                ConnectionManager.PeerView l = connections.view(m);
                direct += l.direct() ? 1 : 0;
                relayed += l.relayed() ? 1 : 0;
            }
            return List.of(new Metrics.Sample(List.of("direct"), direct),
                    new Metrics.Sample(List.of("relayed"), relayed));
        }, () -> List.of(new Metrics.Sample(List.of(), nat.circuitAddresses().size())), () -> {
            List<Metrics.Sample> out = new ArrayList<>();
            connections.reasonCounts().forEach((r, n) -> out.add(new Metrics.Sample(
                    List.of(r.name().toLowerCase(java.util.Locale.ROOT)), n)));
            return out;
        });
        // two tasks, so that one failing does not hold up the other (each is counted and runs again next second)
        natScheduler.scheduleWithFixedDelay(() -> announceIfChanged(members), 0, KEEPER_INTERVAL.toMillis(),
                TimeUnit.MILLISECONDS);
        natScheduler.scheduleWithFixedDelay(connections::tick, 0, KEEPER_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * The connection manager: relays and bootstrap peers from the config (those with a peer id, not ourselves),
     * members from membership, paths from the data plane. A packet that finds no tunnel stream wakes it.
     */
    private ConnectionManager startConnections(MembershipPeerSource members, ScheduledExecutorService natScheduler) {
        Map<PeerId, Multiaddr> relays = withPeerIds(config.relayPeers());
        Map<PeerId, Multiaddr> bootstrap = withPeerIds(config.bootstrapPeers());
        ConnectionManager.Inputs inputs = new ConnectionManager.Inputs() {
            @Override
            public List<MemberInfo> members() {
                return members.memberInfos();
            }

            @Override
            public Optional<PathStatus> path(String nodeName) {
                return dataplane.pathStatus(nodeName);
            }

            @Override
            public boolean active(String nodeName) {
                return dataplane.activity().active(nodeName, System.nanoTime());
            }

            @Override
            public boolean onOurSubnet(List<java.net.InetAddress> addresses) {
                return dataplane.onUnderlaySubnet(addresses);
            }
        };
        ConnectionManager m = new ConnectionManager(host, nat, config.nodeName(), config::site,
                config.nat().holePunch(), PunchPolicy.standard(), relays, bootstrap, inputs,
                dataplane.userspace().orElse(null),
                new ConnectionPolicy(ConnectionPolicy.Settings.DEFAULT, new java.security.SecureRandom()),
                System::nanoTime, config.timeouts().idleTimeout());
        // the first packet to a peer without a tunnel stream asks for its connection, as in nebula
        dataplane.setDemandListener(m::demand);
        m.setWake(() -> {
            try {
                natScheduler.execute(m::tick);
            } catch (RejectedExecutionException stopping) {
                LOG.debug("connection demand not followed: stopping (node={})", config.nodeName());
            }
        });
        return m;
    }

    /** The addresses that name their peer, by peer, without our own. */
    private Map<PeerId, Multiaddr> withPeerIds(List<Multiaddr> addresses) {
        Map<PeerId, Multiaddr> out = new LinkedHashMap<>();
        for (Multiaddr a : addresses) {
            a.peerId().filter(p -> !p.equals(host.peerId())).ifPresent(p -> out.putIfAbsent(p, a));
        }
        return out;
    }

    /** Why no kernel path may be tried to {@code m} (an untrusted underlay, a NAT between), or null. */
    private String kernelRefusal(MemberInfo m, CrossNat nat) {
        String untrusted = NatPolicy.untrustedUnderlay(config.site(), m.site(), dataplane.local().underlayAddress(),
                m.underlay(), config.trust().kernelUnderlays());
        if (untrusted != null) {
            return untrusted;
        }
        return NatPolicy.kernelRefusal(new NatPolicy.End(config.site(), nat.reachability()), m.end(),
                dataplane.onUnderlaySubnet(m.underlay()));
    }

    /**
     * Republishes our record when its circuit addresses or reachability differ from the last announced ones (also
     * the first time: reservations may be made before membership runs). On the NAT thread only; a failure is the
     * NAT thread's guard's, and the next call (within a second) tries again.
     */
    private void announceIfChanged(MembershipPeerSource members) {
        String now = nat.circuitAddresses() + " " + nat.reachability();
        if (!now.equals(announced) && members.republish(nodeRecord())) {
            announced = now;
            LOG.info("node record announced: reachability {}, circuits {} (node={})", nat.reachability(),
                    nat.circuitAddresses(), config.nodeName());
        }
    }

    /**
     * What this node announces: name, pod CIDR, underlay address, VTEP MAC, the paths it can do, its site, relay
     * role and reachability, and its listen addresses with the circuit addresses of its relay reservations.
     */
    private NodeRecord nodeRecord() {
        NodeRecord.Builder b = NodeRecord.builder(config.nodeName(), host.peerId());
        // With a CA the record carries exactly the certificate's pod CIDRs (the agent routes the IPv4 one).
        trust.certificate().ifPresentOrElse(c -> c.podCidrs().forEach(b::podCidr),
                () -> b.podCidr(config.podCidr()));
        trust.certificate().ifPresent(b::certificate);
        b.underlayAddress(new UnderlayAddress(dataplane.local().underlayAddress(), 0, UnderlayAddress.Kind.INTERFACE))
                .site(config.site())
                .relayRole(config.nat().relayServer() ? RelayRole.RELAY : RelayRole.NONE);
        dataplane.vtepMac().ifPresent(b::vtepMac);
        for (TunnelBackend t : dataplane.backends()) {
            if (t.available().ok()) {
                b.tunnel(t.kind().kernel() ? TunnelCapability.valueOf(t.kind().name()) : TunnelCapability.USERSPACE);
            }
        }
        List<Multiaddr> listen = new ArrayList<>();
        for (Multiaddr a : host.listenAddresses()) {
            listen.add(announced(a));
        }
        if (nat != null) {
            listen.addAll(nat.circuitAddresses());
            b.reachability(nat.reachability());
        }
        return b.listenAddresses(listen).build();
    }

    /** A wildcard listen address is announced as the underlay address with its port. */
    private Multiaddr announced(Multiaddr a) {
        if (a.isTcp() && a.toTcpSocketAddress().getAddress() != null
                && a.toTcpSocketAddress().getAddress().isAnyLocalAddress()) {
            return Multiaddr.tcp(new InetSocketAddress(dataplane.local().underlayAddress(),
                    a.toTcpSocketAddress().getPort()));
        }
        return a;
    }

    private Host startHost(PrivKey key) {
        AgentConfig.Connections limits = config.connections();
        OpenFiles.check(limits.maxConnections(), limits.maxPendingHandshakes());
        HostConfig.Builder b = HostConfig.builder(key).listen(config.listen()).eventLoopThreads(EVENT_LOOP_THREADS)
                .tasks(tasks).maxConnections(limits.maxConnections()).maxPendingPerIp(limits.maxPendingPerIp())
                .maxPendingHandshakes(limits.maxPendingHandshakes()).handshakeTimeout(limits.handshakeTimeout())
                // a node whose certificate the CA revoked is not connected to, in either direction
                .peerGate(peer -> !trust.membership().isRevoked(peer));
        config.pskFile().ifPresent(f -> b.swarmKey(SwarmKey.fromFile(f)));
        Host h = Host.start(b.build());
        identify = new IdentifyService(h);
        ping = new PingService(h);
        return h;
    }

    private void startCni() {
        Netlink cniNetlink = Netlink.open();
        closeables.add(cniNetlink);
        DefaultCniService cni = DefaultCniService.inProcessNamespace(config.podCidr(), dataplane::podMtu,
                config.ipamDir(), cniNetlink);
        closeables.add(cni);
        try {
            CniServer server = new CniServer(new MeteredCniService(cni, metrics, System::nanoTime, config.nodeName()),
                    config.cniSocket(), CniServer.Limits.DEFAULTS, tasks).start();
            closeables.add(server);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve CNI on " + config.cniSocket() + ": " + e.getMessage(), e);
        }
    }

    /** The data plane's memory gauges and, on a relay, what its circuits hold. */
    private List<Metrics.Sample> memorySamples() {
        List<Metrics.Sample> out = new ArrayList<>(dataplane.memory());
        if (nat != null) {
            nat.relayMemory().ifPresent(m -> {
                out.add(new Metrics.Sample(List.of("relay", "used"), m.used()));
                out.add(new Metrics.Sample(List.of("relay", "limit"), m.limit()));
                out.add(new Metrics.Sample(List.of("relay", "peak"), m.peak()));
            });
        }
        return out;
    }

    private Optional<RelayServer> servedRelay() {
        return nat == null ? Optional.empty() : nat.servedRelay();
    }

    /** Reservations and circuits this node serves as a relay. */
    private List<Metrics.Sample> relayServed() {
        return servedRelay().map(r -> List.of(new Metrics.Sample(List.of("reservations"), r.reservationCount()),
                new Metrics.Sample(List.of("circuits"), r.circuitCount()))).orElse(List.of());
    }

    @Override
    public AgentStatus status() {
        List<String> listen = new ArrayList<>();
        host.listenAddresses().forEach(a -> listen.add(a.withPeerId(host.peerId()).toString()));
        List<AgentStatus.Backend> backends = new ArrayList<>();
        for (TunnelBackend b : dataplane.backends()) {
            backends.add(new AgentStatus.Backend(b.kind().toString(), b.available().ok(), b.available().reason()));
        }
        AgentStatus.Node node = new AgentStatus.Node(config.nodeName(), host.peerId().toString(),
                config.podCidr().toString(), dataplane.local().tunnelAddress().getHostAddress(),
                dataplane.local().underlayDevice(), dataplane.local().underlayAddress().getHostAddress(),
                config.tunnelMode().toString(), dataplane.podMtu(), backends, listen, startedAt, config.site(),
                nat == null ? "UNKNOWN" : nat.reachability().name(),
                nat == null ? List.of() : nat.circuitAddresses().stream().map(Object::toString).toList(),
                nat != null && nat.relayServer(), tasks.failures());
        long nowNanos = dataplane.nanoTime();
        Instant now = Instant.now();
        List<AgentStatus.Peer> out = new ArrayList<>();
        Map<String, PeerCounters.Traffic> traffic = dataplane.peerTraffic();
        Map<String, List<String>> refused = dataplane.refusedCidrs();
        for (PathStatus s : dataplane.statuses()) {
            PeerCounters.Traffic t = traffic.get(s.peer());
            PeerView v = dataplane.peers().get(s.peer());
            List<String> cidrs = new ArrayList<>();
            List<String> underlay = new ArrayList<>();
            if (v != null) {
                v.podCidrs().forEach(c -> cidrs.add(c.toString()));
                v.underlayAddresses().forEach(a -> underlay.add(a.getHostAddress()));
            }
            Optional<MemberInfo> member = membership == null ? Optional.empty() : membership.member(s.peer());
            AgentStatus.Links links = member.map(m -> connections.view(m))
                    .map(l -> new AgentStatus.Links(l.direct(), l.relayed(), l.state().name(), l.reasons()))
                    .orElse(null);
            out.add(new AgentStatus.Peer(s.peer(), peers.peerId(s.peer()).orElse(null), cidrs, underlay,
                    s.state().name(), s.path() == null ? null : s.path().toString(),
                    s.trial() == null ? null : s.trial().toString(), why(s),
                    s.rttNanos() < 0 ? -1 : s.rttNanos() / 1e6, t == null ? -1 : t.txBytes(),
                    t == null ? -1 : t.rxBytes(),
                    now.minusNanos(Math.max(0, nowNanos - s.lastChangeNanos())),
                    member.map(MemberInfo::site).orElse(""), links, refused.remove(s.peer())));
        }
        // what is left: peers none of whose pod CIDRs lies inside clusterCidr, unknown to the data plane
        refused.forEach((name, why) -> out.add(new AgentStatus.Peer(name, peers.peerId(name).orElse(null),
                List.of(), List.of(), AgentStatus.Peer.REFUSED, null, null,
                "every pod CIDR refused: no route, no probe", -1, -1, -1, now,
                membership == null ? "" : membership.member(name).map(MemberInfo::site).orElse(""), null, why)));
        return new AgentStatus(node, out, dataplane.userspaceStatus(), trustStatus());
    }

    private AgentStatus.Trust trustStatus() {
        List<String> cas = trust.cas().stream().map(c -> c.name() + " " + c.fingerprint().hex()).toList();
        List<String> lists = new ArrayList<>();
        trust.membership().revocations().forEach(l -> lists.add(l.caFingerprint().hex() + ": sequence "
                + l.sequence() + ", " + (l.certificates().size() + l.nodes().size()) + " revoked"));
        Map<String, Long> rejected = new java.util.TreeMap<>();
        if (membership != null) {
            membership.rejections().forEach((r, n) -> {
                if (n > 0) {
                    rejected.put(r.name(), n);
                }
            });
        }
        return new AgentStatus.Trust(trust.insecure() ? "insecure" : "ca", cas,
                trust.certificate().map(c -> c.fingerprint().hex()).orElse(null),
                trust.certificate().map(c -> Instant.ofEpochMilli(c.notAfterMillis())).orElse(null), lists,
                rejected);
    }

    /** The path machine's reason, or on a userspace path the connection manager's (hole punch, relay). */
    private String why(PathStatus s) {
        if (connections != null && s.path() != null && !s.path().kernel()) {
            String k = membership.member(s.peer()).map(m -> connections.view(m).why()).orElse("");
            String reason = s.reason() == null ? "" : s.reason();
            String base = k.startsWith(s.path().toString()) ? k
                    : reason.startsWith(s.path().toString()) ? reason : s.path() + ": " + reason;
            // Say why the pod traffic is not on a kernel path (an untrusted underlay, a NAT between).
            String kernel = membership.member(s.peer()).map(m -> kernelRefusal(m, nat)).orElse(null);
            return kernel == null ? base : base + "; no kernel path: " + kernel;
        }
        return s.reason();
    }

    @Override
    public Optional<PingReport> ping(String nodeName, int count) {
        return dataplane.ping(nodeName, count);
    }

    @Override
    public String metrics() {
        return metrics.render();
    }

    public AgentConfig config() {
        return config;
    }

    /** Blocks until {@link #close()} has finished. */
    public void awaitStopped() throws InterruptedException {
        stopped.await();
    }

    /**
     * Stops in reverse start order: the status server, the CNI socket, membership (announcing the leave), the
     * host, the data plane loop. Kernel state and the state directory stay.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (int i = closeables.size() - 1; i >= 0; i--) {
            AutoCloseable c = closeables.get(i);
            try {
                c.close();
            } catch (Exception e) {
                LOG.warn("stopping {}: {} (node={})", c.getClass().getSimpleName(), e.toString(), config.nodeName());
            }
        }
        LOG.info("agent stopped; kernel state and {} kept for the next start (node={})", config.stateDir(),
                config.nodeName());
        stopped.countDown();
    }
}
