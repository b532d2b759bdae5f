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
import dev.edgelink.net.IpPrefix;
import dev.edgelink.dataplane.netlink.Link;
import dev.edgelink.dataplane.netlink.Neighbor;
import dev.edgelink.dataplane.netlink.NetlinkException;
import dev.edgelink.dataplane.netlink.Netlink;
import dev.edgelink.dataplane.netlink.Route;
import dev.edgelink.dataplane.path.PeerPlan;
import dev.edgelink.dataplane.reconcile.KernelState.NeighborKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
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
 * wanted objects are computed from the plans, in one set built in O(peers) (a peer's objects are asked of its backend
 * again only when something they are made from changed: {@link PeerObjects}); (3) the kernel is read once, one dump
 * per table (routes, neighbours, FDB), whatever the number of peers and devices; (4) what is missing or different is
 * installed, judged on that one read, FDB entries and neighbours before routes, so a path switch is make-before-break
 * (the route replace is atomic); (5) what is ours but no longer wanted (departed peers, the previous path after a
 * switch, finished trials) is removed, routes before neighbours before FDB entries. An object that was ours and is
 * gone or changed without us is drift: it is put back and logged at WARN; planned changes are logged at DEBUG.
 *
 * <p>Cost. A pass that wants what the last one wanted, after one that changed nothing, and that finds our objects in
 * the kernel as that one did, stops after the read: an unchanged fleet costs the dumps and O(peers) comparisons, and
 * a change costs O(peers) set lookups plus the kernel calls it needs.
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
    private final PeerObjects objects = new PeerObjects();
    /** What the last pass wanted (also if it failed later). */
    private Wanted lastWanted;
    /** What the last pass that got that far applied, and the destinations it refused; null before. */
    private Wanted applied;
    private Set<IpPrefix> appliedRefused = Set.of();
    /** Our objects as the last pass that got that far found them. */
    private KernelState lastSeen;
    /**
     * Whether the last pass changed nothing, met no conflict and kept nothing unwanted for the hold: a pass with the
     * same wanted objects that finds the kernel as it did would change nothing either.
     */
    private boolean quiet;
    /** Whether this pass kept an unwanted object because a previous run left it. */
    private boolean keptHeld;
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
        List<Link> links = netlink.links();
        List<Route> mainTable = netlink.routes(Route.TABLE_MAIN, -1);
        RouteGuard guard = new RouteGuard(mainTable, local.podCidr(), deviceNames(links));
        objects.startPass(List.of(links, netlink.addresses(0)));
        Wanted want = wanted(plans, guard);
        KernelState have = KernelState.read(netlink, mainTable, ownedLinks(), local.podCidr());
        startHold(have);
        if (want == applied && quiet && have.sameOursAs(lastSeen) && !holding()) {
            return new Report(0, 0, 0);
        }
        quiet = false;
        Tally tally = new Tally();
        List<Refusal> refusals = new ArrayList<>(want.refusals);
        install(want, have, tally, conflict -> refusals.add(guard.refusal(owner(plans, conflict), conflict)));
        Set<IpPrefix> refusedDestinations = new HashSet<>();
        refusals.forEach(f -> refusedDestinations.add(f.destination()));
        keptHeld = false;
        int removed = removeUnwanted(want, have, refusedDestinations);
        applied = want;
        appliedRefused = refusedDestinations;
        noteRefusals(refusals);
        Report report = new Report(tally.added, tally.repaired, removed);
        if (report.changed()) {
            LOG.info("reconciled: {} added, {} repaired, {} removed (node={})", report.added(), report.repaired(),
                    report.removed(), local.nodeName());
        }
        quiet = !report.changed() && refusals.size() == want.refusals.size() && !keptHeld;
        lastSeen = have;
        return report;
    }

    /**
     * Installs what is wanted and missing or different, FDB entries, then neighbours, then routes; {@code conflicts}
     * is told of each route a route not ours to the same destination stopped (one that appeared after this pass read
     * the table).
     */
    private void install(Wanted want, KernelState have, Tally tally, Consumer<RouteConflictException> conflicts) {
        for (FdbEntry e : want.fdb) {
            if (!have.has(e)) {
                count(e, tally);
                new FdbTable(netlink, e.linkIndex()).ensure(e.mac(), e.destination(),
                        have.fdbFor(e.linkIndex(), e.mac()));
            }
        }
        for (Neighbor n : want.neighbors) {
            if (!have.has(NeighborKey.of(n))) {
                count(n, tally);
                new NeighborTable(netlink, n.linkIndex()).ensure(n.address(), n.mac(),
                        have.neighborAt(n.linkIndex(), n.address()));
            }
        }
        for (Route r : want.routes) {
            if (!have.has(r)) {
                installRoute(r, have, tally).ifPresent(conflicts);
            }
        }
    }

    /**
     * Installs one wanted route that the kernel does not have as it is.
     *
     * @return the conflict when a route not ours to the same destination appeared after this pass read the table
     */
    private Optional<RouteConflictException> installRoute(Route r, KernelState have, Tally tally) {
        List<Route> same = have.routesTo(r.destination());
        boolean planned = same.stream().anyMatch(h -> have.has(h) && wasApplied(h));
        if (planned) {
            // A path change we decided: the route we installed moves to the new path in one atomic replace.
            tally.added++;
            netlink.replaceRoute(r);
            return Optional.empty();
        }
        try {
            new RouteTable(netlink).ensure(r, same);
        } catch (RouteConflictException e) {
            return Optional.of(e);
        }
        count(r, tally);
        return Optional.empty();
    }

    /** The peer a conflicting route was for (a pod CIDR of its, or its tunnel address's probe route). */
    private static String owner(List<PeerPlan> plans, RouteConflictException conflict) {
        IpPrefix d = conflict.wanted().destination();
        return plans.stream().map(PeerPlan::peer)
                .filter(p -> p.podCidrs().contains(d) || IpPrefix.host(p.tunnelAddress()).equals(d))
                .map(PeerView::nodeName).findFirst().orElse("?");
    }

    /**
     * The destinations refused in the last pass, with the reason and what is in the way (see the class comment).
     * Safe to call from any thread.
     */
    public List<Refusal> refused() {
        return refused;
    }

    /**
     * What the plans want, less the refused destinations; the last pass's value itself when the peers' objects and
     * the refusals are the same (then nothing about any peer changed).
     */
    private Wanted wanted(List<PeerPlan> plans, RouteGuard guard) {
        List<KernelObjects> wanted = new ArrayList<>();
        List<Refusal> refusals = new ArrayList<>();
        for (PeerPlan p : plans) {
            String name = p.peer().nodeName();
            List<IpPrefix> allowed = new ArrayList<>();
            for (IpPrefix c : p.peer().podCidrs()) {
                guard.check(name, c).ifPresentOrElse(refusals::add, () -> allowed.add(c));
            }
            PeerView peer = allowed.size() == p.peer().podCidrs().size() ? p.peer() : new AllowedCidrs(p.peer(),
                    allowed);
            if (p.active() != null && !allowed.isEmpty()) {
                wanted.add(objects.objectsFor(backend(p.active()), peer, allowed, false));
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
                wanted.add(objects.objectsFor(backend(p.trial()), peer, List.of(probe), true));
            }
        }
        objects.endPass();
        if (lastWanted == null || !objects.unchanged() || !refusals.equals(lastWanted.refusals)) {
            lastWanted = new Wanted(wanted, refusals);
        }
        return lastWanted;
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

    /** Names of ifindexes as {@code links} has them (only asked when a refusal is described). */
    private static IntFunction<String> deviceNames(List<Link> links) {
        return index -> links.stream().filter(l -> l.index() == index).map(Link::name).findFirst().orElse(null);
    }

    private void startHold(KernelState have) {
        if (holdFor == null || held != null) {
            return;
        }
        held = have.all();
        holdUntil = holdClock.getAsLong() + holdFor.toNanos();
        if (!held.isEmpty()) {
            LOG.info("{} objects a previous run left are kept for up to {} s while their peers are relearnt (node={})",
                    held.size(), holdFor.toSeconds(), local.nodeName());
        }
    }

    /** True while {@code o} is something a previous run left and the hold has not ended. */
    private boolean isHeld(Object o) {
        boolean kept = holding() && held.contains(o);
        keptHeld |= kept;
        return kept;
    }

    /** True while objects a previous run left are held (the first call after the hold's end ends it). */
    private boolean holding() {
        if (held == null || held.isEmpty()) {
            return false;
        }
        if (holdClock.getAsLong() - holdUntil >= 0) {
            LOG.info("hold on objects a previous run left is over; those still unwanted go now (node={})",
                    local.nodeName());
            held = Set.of();
            return false;
        }
        return true;
    }

    /** Removes what is ours and unwanted; a held route stays unless its destination was refused in this pass. */
    private int removeUnwanted(Wanted want, KernelState have, Set<IpPrefix> refusedDestinations) {
        int removed = 0;
        for (Route r : have.routes) {
            boolean refusedNow = refusedDestinations.contains(r.destination());
            boolean wanted = want.destinations().contains(r.destination()) && !refusedNow;
            if (!wanted && (refusedNow || !isHeld(r))) {
                removed += quietly(() -> netlink.deleteRoute(r), "route to " + r.destination());
            }
        }
        for (NeighborKey n : have.neighbors) {
            if (!want.neighborKeys().contains(n) && !isHeld(n)) {
                removed += quietly(() -> netlink.deleteNeighbor(Neighbor.permanent(n.link(), n.address(), n.mac())),
                        "neighbour " + n.address().getHostAddress());
            }
        }
        for (FdbEntry e : have.fdb) {
            if (!want.fdb.contains(e) && !isHeld(e)) {
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

    /** Whether the last pass applied {@code o} (a route, a {@link NeighborKey} or an FDB entry). */
    private boolean wasApplied(Object o) {
        if (applied == null) {
            return false;
        }
        if (o instanceof Route r) {
            return applied.routes.contains(r) && !appliedRefused.contains(r.destination());
        }
        return o instanceof NeighborKey n ? applied.neighborKeys().contains(n) : applied.fdb.contains(o);
    }

    private void count(Object wanted, Tally tally) {
        Object k = wanted instanceof Neighbor ? NeighborKey.of((Neighbor) wanted) : wanted;
        if (wasApplied(k)) {
            tally.repaired++;
            LOG.warn("{} was changed or removed behind our back; restoring it (node={})", describe(wanted),
                    local.nodeName());
        } else {
            tally.added++;
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

    /** Objects added and repaired in one pass. */
    private static final class Tally {
        int added;
        int repaired;
    }
}
