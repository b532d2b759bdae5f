package dev.edgelink.agent.internal.peers;

import dev.edgelink.agent.config.AgentConfig;
import dev.edgelink.agent.internal.nat.MemberInfo;
import dev.edgelink.libp2p.peer.PeerId;
import java.util.HashSet;
import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.PeerView;
import dev.edgelink.dataplane.backend.StaticPeer;
import dev.edgelink.net.IpPrefix;
import dev.edgelink.discovery.DepartureReason;
import dev.edgelink.discovery.MembershipConfig;
import dev.edgelink.discovery.MembershipListener;
import dev.edgelink.discovery.MembershipService;
import dev.edgelink.discovery.MembershipStore;
import dev.edgelink.discovery.MembershipTrust;
import dev.edgelink.discovery.NodeRecord;
import dev.edgelink.discovery.SignedRecord;
import dev.edgelink.discovery.TunnelCapability;
import dev.edgelink.discovery.UnderlayAddress;
import dev.edgelink.discovery.mdns.MdnsConfig;
import dev.edgelink.discovery.mdns.MdnsService;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.threads.TaskGuard;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Peers from the membership view: this node's signed record is published on {@code /edgelink/members/2.0.0}, the
 * bootstrap peers are dialed, and so are the peers mDNS finds on {@code mdnsInterfaces}; every live member's record
 * becomes a {@link PeerView}. A member that leaves or whose record expires drops out of the peer set, and the data
 * plane removes its kernel objects.
 *
 * <p>Membership dials no members itself: it exchanges with the members someone else connected us to (the connection
 * keeper, a connection manager), and {@link #needsPartners()} says when there are none.
 *
 * <p>The members' signed records are kept in the state directory ({@link MemberCache}), written when the view has
 * changed at most every 30 s and on close, and offered to the store again at start, so a restarted agent knows its
 * peers before the first gossip round.
 *
 * <p>Ready when another member has joined (a kept record still valid counts), or after a grace period
 * ({@link #readyGrace}) in which none did (a first node, or every other node down): only then does the agent
 * reconcile, so a restart does not tear down routes of peers it has not relearnt yet.
 *
 * <p>Everything runs on one thread, {@code edgelink-membership} (gossip and sweep rounds, exchange timeouts, mDNS
 * queries, handing the peer set to the data plane, saving the cache); a task that fails there is counted and logged
 * by the {@link TaskGuard} (task {@value #TASK}) and the thread goes on: rounds start again from the store, and the
 * peer set handed on is always recomputed whole from the store, so a failed hand-over is made good by the next one.
 */
public final class MembershipPeerSource implements PeerSource {
    private static final Logger LOG = LoggerFactory.getLogger(MembershipPeerSource.class);
    private static final Duration LEAVE_TIMEOUT = Duration.ofSeconds(3);
    /** The membership thread's name in the {@link TaskGuard}. */
    public static final String TASK = "membership";

    private final Host host;
    private final AgentConfig config;
    private final NodeRecord template;
    private final MembershipStore store;
    private final ScheduledExecutorService scheduler;
    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    private final MemberCache cache;
    private final MemberCache.Schedule cacheSchedule;
    private final TaskGuard tasks;
    private final MembershipConfig membersConfig;
    private final MembershipService service;
    private MdnsService mdns;

    /**
     * @param template this node's record (name, pod CIDR, underlay, VTEP MAC, tunnels, certificate)
     * @param trust what members' records must prove (the cluster CA), or the insecure lab mode
     * @param tasks makes the membership thread and counts its failures (and mDNS packets that could not be handled)
     */
    public MembershipPeerSource(Host host, AgentConfig config, NodeRecord template, MembershipTrust trust,
            TaskGuard tasks) {
        this.host = host;
        this.config = config;
        this.membersConfig = MembershipConfig.builder().gossipInterval(config.timeouts().gossipInterval())
                .recordTtl(config.timeouts().recordTtl()).bootstrapPeers(config.bootstrapPeers())
                .maxRecords(config.members().maxRecords()).pushFanout(config.members().pushFanout())
                .dialMembers(false).build();
        this.store = MembershipStore.inMemory(membersConfig.storeLimits(), trust);
        this.template = template;
        this.tasks = tasks;
        this.cache = new MemberCache(config.stateDir().resolve("members.bin"), config.members().maxRecords());
        this.cacheSchedule = MemberCache.Schedule.forRecords(membersConfig.refreshMargin());
        this.scheduler = tasks.newScheduler("edgelink-membership", TASK);
        this.service = new MembershipService(host, store, membersConfig, scheduler, InstantSource.system(),
                new SecureRandom());
    }

    /** How long to wait for a first member before reconciling anyway: 3 gossip intervals, at least 2 s. */
    Duration readyGrace() {
        Duration three = config.timeouts().gossipInterval().multipliedBy(3);
        return three.compareTo(Duration.ofSeconds(2)) < 0 ? Duration.ofSeconds(2) : three;
    }

    /** The membership view (for trust: revocation lists go in here). */
    public MembershipStore store() {
        return store;
    }

    /** The membership thread, for tasks that belong with the view (the trust files' watch). */
    public ScheduledExecutorService scheduler() {
        return scheduler;
    }

    /** Records refused by reason since start. */
    public java.util.Map<dev.edgelink.discovery.RejectReason, Long> rejections() {
        return service.rejections();
    }

    /** What the members protocols cost since start. */
    public MembershipService.Stats stats() {
        return service.stats();
    }

    /**
     * Whether this node knows other members but is connected to none (nor to a bootstrap peer): membership dials
     * no members, so until someone connects it, it learns nothing and spreads nothing.
     */
    public boolean needsPartners() {
        return service.needsPartners();
    }

    /** Called on the membership thread in every gossip round in which {@link #needsPartners()} holds. */
    public void addPartnerListener(Runnable listener) {
        service.addPartnerListener(listener);
    }

    @Override
    public void start(Consumer<List<PeerView>> onChange) {
        store.addListener(new MembershipListener() {
            @Override
            public void joined(SignedRecord record) {
                if (!record.peerId().equals(host.peerId())) {
                    LOG.info("member joined (node={}, peer={})", record.nodeName(), record.peerId());
                    // Peers first, then ready: the first reconcile must already know (and adopt) this member.
                    scheduler.execute(() -> {
                        onChange.accept(peers());
                        ready.complete(null);
                    });
                    cacheSchedule.changed(true);
                }
            }

            @Override
            public void updated(SignedRecord previous, SignedRecord current) {
                if (!current.peerId().equals(host.peerId())) {
                    scheduler.execute(() -> onChange.accept(peers()));
                    cacheSchedule.changed(!previous.record().sameAnnouncement(current.record()));
                }
            }

            @Override
            public void left(SignedRecord last, DepartureReason reason) {
                if (reason == DepartureReason.REVOKED && !last.peerId().equals(host.peerId())) {
                    // Revoked (or in a certificate dispute): no connection to it stays, so no tunnel, relay
                    // reservation or circuit either; the host's gate refuses it from now on if it is revoked.
                    int closed = host.disconnect(last.peerId());
                    LOG.warn("member removed: {}; {} connection(s) to it closed (node={}, peer={})", reason, closed,
                            last.nodeName(), last.peerId());
                }
                if (!last.peerId().equals(host.peerId())) {
                    LOG.info("member left: {} (node={}, peer={})", reason, last.nodeName(), last.peerId());
                    scheduler.execute(() -> onChange.accept(peers()));
                    cacheSchedule.changed(true);
                }
            }
        });
        cache.restore(store, host.peerId(), System.currentTimeMillis());
        service.start(template);
        scheduler.scheduleWithFixedDelay(this::saveIfDue, 1, 1, TimeUnit.SECONDS);
        if (!config.mdnsInterfaces().isEmpty()) {
            mdns = new MdnsService(host.peerId(), host::listenAddresses, MdnsConfig.on(config.mdnsInterfaces()),
                    scheduler, InstantSource.system(), new SecureRandom(),
                    (peer, addresses, via) -> service.discovered(peer, addresses), tasks);
            mdns.start();
        }
        scheduler.schedule(() -> {
            if (ready.complete(null)) {
                LOG.info("no other member within {} ms; reconciling with what is known (node={})",
                        readyGrace().toMillis(), config.nodeName());
            }
        }, readyGrace().toMillis(), TimeUnit.MILLISECONDS);
        onChange.accept(peers());
    }

    /** Every live member but this node, as the data plane sees peers; unusable records are skipped with a log. */
    List<PeerView> peers() {
        List<PeerView> out = new ArrayList<>();
        for (SignedRecord m : store.members()) {
            if (m.peerId().equals(host.peerId())) {
                continue;
            }
            toPeerView(m.record()).ifPresent(out::add);
        }
        return out;
    }

    /** A record as a {@link PeerView}: IPv4 pod CIDRs, interface addresses before observed ones. */
    static Optional<PeerView> toPeerView(NodeRecord r) {
        List<IpPrefix> cidrs = r.podCidrs().stream().filter(IpPrefix::isIpv4).toList();
        List<InetAddress> underlay = new ArrayList<>();
        for (UnderlayAddress.Kind kind : UnderlayAddress.Kind.values()) {
            r.underlayAddresses().stream().filter(a -> a.kind() == kind && a.ip() instanceof Inet4Address)
                    .forEach(a -> underlay.add(a.ip()));
        }
        if (cidrs.isEmpty() || underlay.isEmpty()) {
            LOG.warn("member has no IPv4 pod CIDR or underlay address; no route to it (node={}, peer={})",
                    r.nodeName(), r.peerId());
            return Optional.empty();
        }
        Set<PathKind> paths = EnumSet.noneOf(PathKind.class);
        for (TunnelCapability t : r.tunnels()) {
            switch (t) {
                case HOSTGW -> paths.add(PathKind.HOSTGW);
                case IPIP -> paths.add(PathKind.IPIP);
                case VXLAN -> paths.add(PathKind.VXLAN);
                case USERSPACE -> {
                    paths.add(PathKind.DIRECT);
                    paths.add(PathKind.RELAYED);
                }
                default -> { }
            }
        }
        return Optional.of(new StaticPeer(r.nodeName(), cidrs, underlay, Optional.empty(), r.vtepMac(),
                cidrs.get(0).address(), paths));
    }

    /** Keeps the members' records in the state directory when {@link MemberCache.Schedule} says so. */
    private void saveIfDue() {
        long now = System.currentTimeMillis();
        if (cacheSchedule.due(now)) {
            cacheSchedule.saved(now);
            cache.save(store.members());
        }
    }

    /** Every live member but this node, as the connection keeper sees them. */
    public List<MemberInfo> memberInfos() {
        List<MemberInfo> out = new ArrayList<>();
        for (SignedRecord m : store.members()) {
            if (!m.peerId().equals(host.peerId()) && !m.record().leaving()) {
                out.add(toMemberInfo(m.record()));
            }
        }
        return out;
    }

    /** The member named {@code nodeName}, if it is one. */
    public Optional<MemberInfo> member(String nodeName) {
        return store.memberByName(nodeName).filter(m -> !m.peerId().equals(host.peerId()))
                .map(m -> toMemberInfo(m.record()));
    }

    static MemberInfo toMemberInfo(NodeRecord r) {
        List<InetAddress> underlay = new ArrayList<>();
        r.underlayAddresses().forEach(a -> underlay.add(a.ip()));
        return new MemberInfo(r.nodeName(), r.peerId(), r.listenAddresses(), underlay, r.site(), r.reachability());
    }

    /** The peer ids of the live members (this node included): who may use our relay. */
    public Set<PeerId> memberPeerIds() {
        Set<PeerId> out = new HashSet<>();
        store.members().forEach(m -> out.add(m.peerId()));
        return out;
    }

    /** The node name of a member's peer id (the tunnel protocol's check of who a stream comes from). */
    public Optional<String> nodeOf(PeerId peer) {
        for (SignedRecord m : store.members()) {
            if (m.peerId().equals(peer) && !peer.equals(host.peerId())) {
                return Optional.of(m.nodeName());
            }
        }
        return Optional.empty();
    }

    /** The peer id of a member by node name. */
    public Optional<PeerId> peerIdOf(String nodeName) {
        return store.memberByName(nodeName).map(SignedRecord::peerId);
    }

    /**
     * Announces a changed record of this node (circuit addresses, reachability).
     *
     * @return false when membership is not running (not yet, or no more): nothing was announced
     */
    public boolean republish(NodeRecord record) {
        try {
            service.update(record);
            return true;
        } catch (IllegalStateException notRunning) {
            LOG.debug("record not republished: {} (node={})", notRunning.getMessage(), config.nodeName());
            return false;
        }
    }

    @Override
    public CompletableFuture<Void> ready() {
        return ready;
    }

    @Override
    public Optional<String> peerId(String nodeName) {
        return store.memberByName(nodeName).map(m -> m.peerId().toString());
    }

    @Override
    public int members() {
        return store.members().size();
    }

    /** Announces the leave (waiting at most 3 s for it to reach the connected peers), then stops. */
    @Override
    public void close() {
        if (mdns != null) {
            mdns.close();
        }
        try {
            service.leave().get(LEAVE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.warn("leave not confirmed by every peer: {} (node={})", e.toString(), config.nodeName());
        }
        service.close();
        if (cacheSchedule.pending()) {
            cache.save(store.members());
        }
        scheduler.shutdownNow();
    }
}
