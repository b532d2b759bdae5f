package dev.edgelink.dataplane.reconcile;

import dev.edgelink.dataplane.backend.KernelObjects;
import dev.edgelink.dataplane.backend.LocalNode;
import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.TunnelBackend;
import dev.edgelink.dataplane.kernel.FdbTable;
import dev.edgelink.dataplane.kernel.NeighborTable;
import dev.edgelink.dataplane.kernel.RouteTable;
import dev.edgelink.dataplane.netlink.FdbEntry;
import dev.edgelink.dataplane.netlink.IpPrefix;
import dev.edgelink.dataplane.netlink.MacAddress;
import dev.edgelink.dataplane.netlink.Neighbor;
import dev.edgelink.dataplane.netlink.NetlinkException;
import dev.edgelink.dataplane.netlink.Netlink;
import dev.edgelink.dataplane.netlink.Route;
import dev.edgelink.dataplane.path.PeerPlan;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
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
        KernelObjects want = wanted(plans);
        Snapshot have = Snapshot.read(netlink, ownedLinks());
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
        RouteTable routes = new RouteTable(netlink);
        for (Route r : want.routes()) {
            if (have.routes.contains(r)) {
                continue;
            }
            boolean planned = have.routes.stream()
                    .anyMatch(h -> h.destination().equals(r.destination()) && lastApplied.contains(h));
            if (planned) {
                // A path change we decided: the route we installed moves to the new path in one atomic replace.
                added[0]++;
                netlink.replaceRoute(r);
            } else {
                count(r, added, repaired);
                routes.ensure(r);
            }
        }
        int removed = removeUnwanted(want, have);
        Set<Object> applied = new HashSet<>(want.routes());
        applied.addAll(want.fdb());
        want.neighbors().forEach(n -> applied.add(key(n)));
        lastApplied = applied;
        Report report = new Report(added[0], repaired[0], removed);
        if (report.changed()) {
            LOG.info("reconciled: {} added, {} repaired, {} removed (node={})", report.added(), report.repaired(),
                    report.removed(), local.nodeName());
        }
        return report;
    }

    private KernelObjects wanted(List<PeerPlan> plans) {
        KernelObjects want = KernelObjects.NONE;
        for (PeerPlan p : plans) {
            if (p.active() != null) {
                want = want.plus(backend(p.active()).objectsFor(p.peer(), p.peer().podCidrs()));
            }
            if (p.trial() != null) {
                want = want.plus(backend(p.trial()).objectsFor(p.peer(),
                        List.of(IpPrefix.host(p.peer().tunnelAddress()))));
            }
        }
        return want;
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

    private int removeUnwanted(KernelObjects want, Snapshot have) {
        int removed = 0;
        Set<IpPrefix> wantedDestinations = new HashSet<>();
        want.routes().forEach(r -> wantedDestinations.add(r.destination()));
        for (Route r : have.routes) {
            if (!wantedDestinations.contains(r.destination()) && !isHeld(r)) {
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
    private record NeighborKey(int link, java.net.InetAddress address, MacAddress mac) {
    }

    /** Our objects as the kernel has them now. */
    private static final class Snapshot {
        final Set<Route> routes = new LinkedHashSet<>();
        final Set<NeighborKey> neighbors = new LinkedHashSet<>();
        final Set<FdbEntry> fdb = new LinkedHashSet<>();

        static Snapshot read(Netlink netlink, List<Integer> ownedLinks) {
            Snapshot s = new Snapshot();
            s.routes.addAll(netlink.routes(Route.TABLE_MAIN, Route.PROTOCOL_EDGELINK));
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
