package dev.edgelink.dataplane.reconcile;

import dev.edgelink.dataplane.backend.KernelObjects;
import dev.edgelink.dataplane.netlink.FdbEntry;
import dev.edgelink.dataplane.netlink.Neighbor;
import dev.edgelink.dataplane.netlink.Route;
import dev.edgelink.dataplane.reconcile.KernelState.NeighborKey;
import dev.edgelink.net.IpPrefix;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What the plans want in one pass: every peer's objects in one set per kind, without duplicates and in plan order,
 * built in one go from the peers' {@link KernelObjects} (O(objects), where adding them up one peer at a time copied
 * the sets for each peer), and the destinations the {@link RouteGuard} refused. A value that is not changed once
 * built, so that a pass whose peers' objects and refusals are those of the last pass uses it again as it is; the
 * lookups a pass needs besides ({@link #neighborKeys}, {@link #destinations}) are made once per value.
 */
final class Wanted {
    final Set<Route> routes = new LinkedHashSet<>();
    final Set<Neighbor> neighbors = new LinkedHashSet<>();
    final Set<FdbEntry> fdb = new LinkedHashSet<>();
    /** The destinations the guard refused, in plan order. */
    final List<Refusal> refusals;
    private Set<NeighborKey> neighborKeys;
    private Set<IpPrefix> destinations;

    Wanted(List<KernelObjects> objects, List<Refusal> refusals) {
        for (KernelObjects o : objects) {
            routes.addAll(o.routes());
            neighbors.addAll(o.neighbors());
            fdb.addAll(o.fdb());
        }
        this.refusals = List.copyOf(refusals);
    }

    /** The wanted neighbours as compared with the kernel's. */
    Set<NeighborKey> neighborKeys() {
        if (neighborKeys == null) {
            neighborKeys = new HashSet<>();
            neighbors.forEach(n -> neighborKeys.add(NeighborKey.of(n)));
        }
        return neighborKeys;
    }

    /** The destinations of the wanted routes. */
    Set<IpPrefix> destinations() {
        if (destinations == null) {
            destinations = new HashSet<>();
            routes.forEach(r -> destinations.add(r.destination()));
        }
        return destinations;
    }
}
