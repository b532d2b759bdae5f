package dev.edgelink.dataplane.reconcile;

import dev.edgelink.dataplane.backend.KernelObjects;
import dev.edgelink.dataplane.backend.LocalNode;
import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.PeerView;
import dev.edgelink.dataplane.backend.TunnelBackend;
import dev.edgelink.dataplane.kernel.FdbTable;
import dev.edgelink.dataplane.kernel.NeighborTable;
import dev.edgelink.dataplane.kernel.RouteConflictException;
import dev.edgelink.dataplane.kernel.RouteTable;
import dev.edgelink.dataplane.netlink.FdbEntry;
import dev.edgelink.dataplane.netlink.IpPrefix;
import dev.edgelink.dataplane.netlink.MacAddress;
import dev.edgelink.dataplane.netlink.Neighbor;
import dev.edgelink.dataplane.netlink.NetlinkException;
import dev.edgelink.dataplane.netlink.Netlink;
import dev.edgelink.dataplane.netlink.Route;
import dev.edgelink.dataplane.path.PeerPlan;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntFunction;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the kernel hold exactly what the peers' plans ask for, no more, no less, and only ever touches our own
 * objects: routes with protocol {@link Route#PROTOCOL_EDGELINK} in the main table, and permanent unicast
 * neighbour and FDB entries on our backends' devices. Idempotent; meant to run periodically and on every change.
 *
 * <p>One pass: (1) every available backend's device is ensured (a device deleted by hand comes back); (2) the
 * wanted objects are computed from the plans; (3) the kernel is read once; (4) what is missing or different is
 * installed, FDB entries and neighbours before routes, so a path switch is make-before-break (the route replace is
 * atomic); (5) what is ours but no longer wanted (departed peers, the previous path after a switch, finished
 * trials) is removed, routes before neighbours before FDB entries. An object that was ours and is gone or changed
 * without us is drift: it is put back and logged at WARN; planned changes are logged at DEBUG.
 *
 * <p>Routes a peer may not take. Before anything is installed, every destination a plan wants (the peer's pod CIDRs
 * and the /32 of its tunnel address while a path is on trial) is checked against the main table as read in this
 * pass ({@link RouteGuard}): a destination that would replace or shadow a route that is not ours, or lie inside this
 * node's own pod CIDR, is refused, and so is the trial route to a tunnel address outside the pod CIDRs the peer may
 * have. The trial route is judged for every peer, on trial or not, so that its refusal lasts as long as its cause. A
 * refusal is per destination: the rest of the plan still applies, and the backend sees the peer with its allowed
 * pod CIDRs only. Refusals are logged at WARN when they appear and at INFO when they end (not every pass),
 * and {@link #refused()} gives those of the last pass. Our own route to a refused destination is removed at once,
 * held or not.
 *
 * <p>On partial failure the exception propagates after the objects done so far stay done; the next pass finishes
 * the job (every step is idempotent).
 */
public final class Reconciler {
    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);

    /** What one pass did. */
    public record Report(int added, int repaired, int removed) {
        public boolean changed() {
            return added + repaired + removed > 0;
        }
    }

    private final Netlink netlink;
    private final LocalNode local;
    private final Map<PathKind, TunnelBackend> backends = new EnumMap<>(PathKind.class);
    private Set<Object> lastApplied = Set.of();
    /** The refusals of the last pass, in plan order. */
    private volatile List<Refusal> refused = List.of();
    private LongSupplier holdClock;
    private Duration holdFor;
    private long holdUntil;
    /** What the kernel held at the first pass, while the hold lasts; null before the first pass or without a hold. */
    private Set<Object> held;

    public Reconciler(Netlink netlink, LocalNode local, List<? extends TunnelBackend> backends) {
        this.netlink = Objects.requireNonNull(netlink, "netlink");
        this.local = Objects.requireNonNull(local, "local");
        backends.forEach(b -> this.backends.put(b.kind(), b));
    }

    /**
     * Keeps what a previous run left (our routes, neighbours and FDB entries found at the first pass) for up to
     * {@code grace} after that pass even when no plan wants it, unless a plan wants the same destination. A
     * restarted agent relearns its peers within a gossip round or two; without the hold, a slow relearn would
     * remove routes that running pods use and cut them off until the peer is known again. A peer that really left
     * while the agent was down loses its objects when the hold ends (the agent passes its record TTL: the same bound
     * as for a peer that goes silent).
     */
    public synchronized void holdLeftObjects(Duration grace, LongSupplier nanoClock) {
        this.holdFor = Objects.requireNonNull(grace, "grace");
        this.holdClock = Objects.requireNonNull(nanoClock, "nanoClock");
    }

    /** Brings every available backend's device into shape. */
    public void ensureDevices() {
        for (TunnelBackend b : backends.values()) {
            if (b.available().ok() && b.kind().kernel()) {
                b.ensureDevice(local);
            }
        }
    }

    /** One pass (see the class comment). */
    public synchronized Report reconcile(List<PeerPlan> plans) {
        ensureDevices();
        List<Route> mainTable = netlink.routes(Route.TABLE_MAIN, -1);
        RouteGuard guard = new RouteGuard(mainTable, local.podCidr(), deviceNames());
        List<Refusal> refusals = new ArrayList<>();
        Map<IpPrefix, String> owners = new HashMap<>();
        KernelObjects want = wanted(plans, guard, refusals, owners);
        Snapshot have = Snapshot.read(netlink, ownedLinks(), mainTable);
        // The CNI plugin's routes to this node's pods carry our protocol number too: they are the CNI's, not ours.
        have.routes.removeIf(r -> within(r.destination(), local.podCidr()));
        startHold(have);
        int[] added = {0};
        int[] repaired = {0};
        for (FdbEntry e : want.fdb()) {
            if (!have.fdb.contains(e)) {
                count(e, added, repaired);
                new FdbTable(netlink, e.linkIndex()).ensure(e.mac(), e.destination());
            }
        }
        for (Neighbor n : want.neighbors()) {
            if (!have.neighbors.contains(key(n))) {
                count(n, added, repaired);
                new NeighborTable(netlink, n.linkIndex()).ensure(n.address(), n.mac());
            }
        }
        for (Route r : want.routes()) {
            if (!have.routes.contains(r)) {
                installRoute(r, have, added, repaired).ifPresent(e ->
                        refusals.add(guard.refusal(owners.getOrDefault(r.destination(), "?"), e)));
            }
        }
        Set<IpPrefix> refusedDestinations = new HashSet<>();
        refusals.forEach(f -> refusedDestinations.add(f.destination()));
        int removed = removeUnwanted(want, have, refusedDestinations);
        Set<Object> applied = new HashSet<>(want.routes());
        applied.removeIf(o -> refusedDestinations.contains(((Route) o).destination()));
        applied.addAll(want.fdb());
        want.neighbors().forEach(n -> applied.add(key(n)));
        lastApplied = applied;
        noteRefusals(refusals);
        Report report = new Report(added[0], repaired[0], removed);
        if (report.changed()) {
            LOG.info("reconciled: {} added, {} repaired, {} removed (node={})", report.added(), report.repaired(),
                    report.removed(), local.nodeName());
        }
        return report;
    }

    /**
     * Installs one wanted route that the kernel does not have as it is.
     *
     * @return the conflict when a route not ours to the same destination appeared after this pass read the table
     */
    private Optional<RouteConflictException> installRoute(Route r, Snapshot have, int[] added, int[] repaired) {
        boolean planned = have.routes.stream()
                .anyMatch(h -> h.destination().equals(r.destination()) && lastApplied.contains(h));
        if (planned) {
            // A path change we decided: the route we installed moves to the new path in one atomic replace.
            added[0]++;
            netlink.replaceRoute(r);
            return Optional.empty();
        }
        try {
            new RouteTable(netlink).ensure(r);
        } catch (RouteConflictException e) {
            return Optional.of(e);
        }
        count(r, added, repaired);
        return Optional.empty();
    }

    /**
     * The destinations refused in the last pass, with the reason and what is in the way (see the class comment).
     * Safe to call from any thread.
     */
    public List<Refusal> refused() {
        return refused;
    }

    /**
     * What the plans want, less the refused destinations ({@code refusals}, filled); {@code owners} is filled with the
     * peer of every wanted route's destination.
     */
    private KernelObjects wanted(List<PeerPlan> plans, RouteGuard guard, List<Refusal> refusals,
                                 Map<IpPrefix, String> owners) {
        KernelObjects want = KernelObjects.NONE;
        for (PeerPlan p : plans) {
            String name = p.peer().nodeName();
            List<IpPrefix> allowed = new ArrayList<>();
            for (IpPrefix c : p.peer().podCidrs()) {
                guard.check(name, c).ifPresentOrElse(refusals::add, () -> allowed.add(c));
            }
            PeerView peer = allowed.size() == p.peer().podCidrs().size() ? p.peer() : new AllowedCidrs(p.peer(),
                    allowed);
            if (p.active() != null && !allowed.isEmpty()) {
                want = want.plus(backend(p.active()).objectsFor(peer, allowed));
                allowed.forEach(c -> owners.put(c, name));
            }
            IpPrefix probe = IpPrefix.host(peer.tunnelAddress());
            boolean inAllowed = allowed.stream().anyMatch(c -> within(probe, c));
            // inside a refused pod CIDR: that refusal covers the probe route too (and stops the probes)
            Optional<Refusal> no = inAllowed ? guard.check(name, probe)
                    : p.peer().podCidrs().stream().anyMatch(c -> within(probe, c)) ? Optional.empty()
                    : Optional.of(new Refusal(name, probe, Refusal.Reason.OUTSIDE_PEER_POD_CIDRS,
                            "the tunnel address is in none of the peer's pod CIDRs"));
            no.ifPresent(refusals::add);
            if (p.trial() != null && inAllowed && no.isEmpty()) {
                want = want.plus(backend(p.trial()).objectsFor(peer, List.of(probe)));
                owners.put(probe, name);
            }
        }
        return want;
    }

    /** Logs each refusal when it appears (WARN) and when it ends (INFO); keeps this pass's for {@link #refused}. */
    private void noteRefusals(List<Refusal> now) {
        Set<Refusal> before = new HashSet<>(refused);
        for (Refusal f : now) {
            if (!before.contains(f)) {
                LOG.warn("route to {} refused: {} (node={}, peer={})", f.destination(), f.detail(),
                        local.nodeName(), f.peer());
            }
        }
        Set<Refusal> after = new HashSet<>(now);
        for (Refusal f : before) {
            if (!after.contains(f)) {
                LOG.info("route to {} no longer refused for: {} (node={}, peer={})", f.destination(), f.detail(),
                        local.nodeName(), f.peer());
            }
        }
        refused = List.copyOf(new LinkedHashSet<>(now));
    }

    /** Names of ifindexes, the links read at most once (only when a refusal is described). */
    private IntFunction<String> deviceNames() {
        Map<Integer, String> names = new HashMap<>();
        return index -> {
            if (names.isEmpty()) {
                netlink.links().forEach(l -> names.put(l.index(), l.name()));
            }
            return names.get(index);
        };
    }

    private void startHold(Snapshot have) {
        if (holdFor == null || held != null) {
            return;
        }
        held = new HashSet<>(have.routes);
        held.addAll(have.neighbors);
        held.addAll(have.fdb);
        holdUntil = holdClock.getAsLong() + holdFor.toNanos();
        if (!held.isEmpty()) {
            LOG.info("{} objects a previous run left are kept for up to {} s while their peers are relearnt (node={})",
                    held.size(), holdFor.toSeconds(), local.nodeName());
        }
    }

    /** True while {@code o} is something a previous run left and the hold has not ended. */
    private boolean isHeld(Object o) {
        if (held == null || held.isEmpty()) {
            return false;
        }
        if (holdClock.getAsLong() - holdUntil >= 0) {
            LOG.info("hold on objects a previous run left is over; those still unwanted go now (node={})",
                    local.nodeName());
            held = Set.of();
            return false;
        }
        return held.contains(o);
    }

    /** Removes what is ours and unwanted; a held route stays unless its destination was refused in this pass. */
    private int removeUnwanted(KernelObjects want, Snapshot have, Set<IpPrefix> refusedDestinations) {
        int removed = 0;
        Set<IpPrefix> wantedDestinations = new HashSet<>();
        want.routes().forEach(r -> wantedDestinations.add(r.destination()));
        wantedDestinations.removeAll(refusedDestinations);
        for (Route r : have.routes) {
            boolean refusedNow = refusedDestinations.contains(r.destination());
            if (!wantedDestinations.contains(r.destination()) && (refusedNow || !isHeld(r))) {
                removed += quietly(() -> netlink.deleteRoute(r), "route to " + r.destination());
            }
        }
        Set<NeighborKey> wantedNeighbors = new HashSet<>();
        want.neighbors().forEach(n -> wantedNeighbors.add(key(n)));
        for (NeighborKey n : have.neighbors) {
            if (!wantedNeighbors.contains(n) && !isHeld(n)) {
                removed += quietly(() -> netlink.deleteNeighbor(Neighbor.permanent(n.link(), n.address(), n.mac())),
                        "neighbour " + n.address().getHostAddress());
            }
        }
        for (FdbEntry e : have.fdb) {
            if (!want.fdb().contains(e) && !isHeld(e)) {
                removed += quietly(() -> netlink.deleteFdb(e), "fdb entry " + e.mac());
            }
        }
        return removed;
    }

    /** Whether {@code p} lies inside {@code cidr} (same family, at least as long, same leading bits). */
    static boolean within(IpPrefix p, IpPrefix cidr) {
        byte[] a = p.address().getAddress();
        byte[] c = cidr.address().getAddress();
        if (a.length != c.length || p.length() < cidr.length()) {
            return false;
        }
        for (int bit = 0; bit < cidr.length(); bit++) {
            int mask = 0x80 >>> (bit % 8);
            if ((a[bit / 8] & mask) != (c[bit / 8] & mask)) {
                return false;
            }
        }
        return true;
    }

    /** Deletes; an object that vanished meanwhile counts as removed by someone else (0). */
    private static int quietly(Runnable delete, String what) {
        try {
            delete.run();
            LOG.debug("removed {}", what);
            return 1;
        } catch (NetlinkException e) {
            if (e.kind() == NetlinkException.Kind.NOT_FOUND) {
                return 0;
            }
            throw e;
        }
    }

    private void count(Object wanted, int[] added, int[] repaired) {
        Object k = wanted instanceof Neighbor ? key((Neighbor) wanted) : wanted;
        if (lastApplied.contains(k)) {
            repaired[0]++;
            LOG.warn("{} was changed or removed behind our back; restoring it (node={})", describe(wanted),
                    local.nodeName());
        } else {
            added[0]++;
        }
    }

    /** An object as an operator would type it. */
    static String describe(Object o) {
        if (o instanceof Route r) {
            return "route " + r.destination() + (r.gateway() == null ? "" : " via " + r.gateway().getHostAddress())
                    + " ifindex " + r.outputLink() + (r.onlink() ? " onlink" : "") + " proto " + r.protocol();
        }
        if (o instanceof Neighbor n) {
            return "neighbour " + n.address().getHostAddress() + " lladdr " + n.mac() + " ifindex " + n.linkIndex();
        }
        if (o instanceof FdbEntry e) {
            return "fdb entry " + e.mac() + " dst " + e.destination().getHostAddress() + " ifindex " + e.linkIndex();
        }
        return String.valueOf(o);
    }

    private TunnelBackend backend(PathKind kind) {
        TunnelBackend b = backends.get(kind);
        if (b == null) {
            throw new IllegalStateException("a plan uses " + kind + " but no such backend was given");
        }
        return b;
    }

    private List<Integer> ownedLinks() {
        List<Integer> out = new ArrayList<>();
        backends.values().stream().filter(b -> b.available().ok()).forEach(b -> out.addAll(b.ownedLinks()));
        return out;
    }

    private static NeighborKey key(Neighbor n) {
        return new NeighborKey(n.linkIndex(), n.address(), n.mac());
    }

    /** A permanent neighbour as we compare them (the kernel may report extra state bits). */
    private record NeighborKey(int link, InetAddress address, MacAddress mac) {
    }

    /** A peer as a backend sees it when some of its pod CIDRs were refused: with the allowed ones only. */
    private record AllowedCidrs(PeerView peer, List<IpPrefix> podCidrs) implements PeerView {
        @Override
        public String nodeName() {
            return peer.nodeName();
        }

        @Override
        public List<InetAddress> underlayAddresses() {
            return peer.underlayAddresses();
        }

        @Override
        public Optional<InetAddress> sharedSubnetUnderlay() {
            return peer.sharedSubnetUnderlay();
        }

        @Override
        public Optional<MacAddress> vtepMac() {
            return peer.vtepMac();
        }

        @Override
        public InetAddress tunnelAddress() {
            return peer.tunnelAddress();
        }

        @Override
        public Set<PathKind> capabilities() {
            return peer.capabilities();
        }
    }

    /** Our objects as the kernel has them now. */
    private static final class Snapshot {
        final Set<Route> routes = new LinkedHashSet<>();
        final Set<NeighborKey> neighbors = new LinkedHashSet<>();
        final Set<FdbEntry> fdb = new LinkedHashSet<>();

        /** @param mainTable the main table's routes as read in this pass, any protocol (ours are kept) */
        static Snapshot read(Netlink netlink, List<Integer> ownedLinks, List<Route> mainTable) {
            Snapshot s = new Snapshot();
            mainTable.stream().filter(r -> r.protocol() == Route.PROTOCOL_EDGELINK).forEach(s.routes::add);
            for (int link : ownedLinks) {
                for (Neighbor n : netlink.neighbors(link)) {
                    if (n.isPermanent() && n.mac() != null) {
                        s.neighbors.add(key(n));
                    }
                }
                for (FdbEntry e : netlink.fdb(link)) {
                    boolean unicast = (e.mac().toBytes()[0] & 1) == 0 && !e.mac().equals(MacAddress.ZERO);
                    if (unicast) {
                        s.fdb.add(e);
                    }
                }
            }
            return s;
        }
    }
}
