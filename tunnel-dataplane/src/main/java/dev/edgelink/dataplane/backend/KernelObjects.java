package dev.edgelink.dataplane.backend;

import dev.edgelink.dataplane.kernel.FdbTable;
import dev.edgelink.dataplane.kernel.NeighborTable;
import dev.edgelink.dataplane.kernel.RouteTable;
import dev.edgelink.dataplane.netlink.FdbEntry;
import dev.edgelink.dataplane.netlink.Neighbor;
import dev.edgelink.dataplane.netlink.Netlink;
import dev.edgelink.dataplane.netlink.Route;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The kernel objects that make some destinations of one peer go through one path: routes (ours carry
 * {@link Route#PROTOCOL_EDGELINK}), permanent neighbours and FDB entries on our devices. A value: backends describe
 * what they want with it, and {@code ensure}/{@code remove} or the reconciler make the kernel match.
 */
public record KernelObjects(List<Route> routes, List<Neighbor> neighbors, List<FdbEntry> fdb) {
    public static final KernelObjects NONE = new KernelObjects(List.of(), List.of(), List.of());

    public KernelObjects {
        routes = List.copyOf(routes);
        neighbors = List.copyOf(neighbors);
        fdb = List.copyOf(fdb);
    }

    /** Both sets, without duplicates, in order. */
    public KernelObjects plus(KernelObjects other) {
        return new KernelObjects(union(routes, other.routes), union(neighbors, other.neighbors),
                union(fdb, other.fdb));
    }

    private static <T> List<T> union(List<T> a, List<T> b) {
        Set<T> out = new LinkedHashSet<>(a);
        out.addAll(b);
        return new ArrayList<>(out);
    }

    /**
     * Makes every object present, in the order that never sends a packet into a half-made path: FDB entries, then
     * neighbours, then routes (a route replace is atomic, so traffic moves from the old path to this one at once).
     *
     * @return true if the kernel was changed
     * @throws dev.edgelink.dataplane.kernel.RouteConflictException when a route that is not ours has the destination
     *     of one of these routes (the objects before it stay)
     */
    public boolean ensure(Netlink netlink) {
        boolean changed = false;
        for (FdbEntry e : fdb) {
            changed |= new FdbTable(netlink, e.linkIndex()).ensure(e.mac(), e.destination());
        }
        for (Neighbor n : neighbors) {
            changed |= new NeighborTable(netlink, n.linkIndex()).ensure(n.address(), n.mac());
        }
        RouteTable table = new RouteTable(netlink);
        for (Route r : routes) {
            changed |= table.ensure(r);
        }
        return changed;
    }

    /**
     * Removes these objects where the kernel has exactly them (a route to the same destination through another
     * path, e.g. after a path change, is left alone). Routes first, so no packet is sent into a half-removed path.
     *
     * @return true if the kernel was changed
     */
    public boolean remove(Netlink netlink) {
        boolean changed = false;
        List<Route> ours = netlink.routes(Route.TABLE_MAIN, Route.PROTOCOL_EDGELINK);
        for (Route r : routes) {
            if (ours.contains(r)) {
                netlink.deleteRoute(r);
                changed = true;
            }
        }
        for (Neighbor n : neighbors) {
            NeighborTable table = new NeighborTable(netlink, n.linkIndex());
            if (table.list().stream().anyMatch(have -> have.address().equals(n.address())
                    && java.util.Objects.equals(have.mac(), n.mac()))) {
                changed |= table.remove(n.address());
            }
        }
        for (FdbEntry e : fdb) {
            changed |= new FdbTable(netlink, e.linkIndex()).remove(e.mac(), e.destination());
        }
        return changed;
    }
}
