package dev.edgelink.dataplane.reconcile;

import dev.edgelink.dataplane.kernel.FdbTable;
import dev.edgelink.dataplane.netlink.FdbEntry;
import dev.edgelink.dataplane.netlink.Neighbor;
import dev.edgelink.dataplane.netlink.Netlink;
import dev.edgelink.dataplane.netlink.Route;
import dev.edgelink.net.IpPrefix;
import dev.edgelink.net.MacAddress;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The kernel as one reconcile pass found it, read with one dump per table whatever the number of peers or devices:
 * the main table (read by the caller, who also judges routes with it), every IP neighbour and every device's FDB
 * (these two only when one of our devices has any, or when an install needs them).
 * What is ours ({@link #routes}, {@link #neighbors}, {@link #fdb}, in the kernel's order): routes with our protocol
 * outside this node's pod CIDR (those are the CNI plugin's), permanent neighbours and unicast FDB entries on our
 * backends' devices. The rest is kept to judge an install without reading a table again. Sets for lookups are made
 * only when a pass needs them: a pass that finds the kernel as the last one did compares the lists and stops.
 */
final class KernelState {
    /** A permanent neighbour as we compare them (the kernel may report extra state bits). */
    record NeighborKey(int link, InetAddress address, MacAddress mac) {
        static NeighborKey of(Neighbor n) {
            return new NeighborKey(n.linkIndex(), n.address(), n.mac());
        }
    }

    private record Slot(int link, InetAddress address) {
    }

    private record MacSlot(int link, MacAddress mac) {
    }

    final List<Route> routes = new ArrayList<>();
    final List<NeighborKey> neighbors = new ArrayList<>();
    final List<FdbEntry> fdb = new ArrayList<>();
    private final Netlink netlink;
    private final List<Route> mainTable;
    private Set<Object> ours;
    private Map<IpPrefix, List<Route>> byDestination;
    private List<Neighbor> allNeighbors;
    private List<FdbEntry> allFdb;
    private Map<Slot, Neighbor> neighborAt;
    private Map<MacSlot, List<FdbEntry>> fdbFor;

    private KernelState(Netlink netlink, List<Route> mainTable) {
        this.netlink = netlink;
        this.mainTable = mainTable;
    }

    /**
     * @param mainTable the main table's routes as read in this pass, any protocol
     * @param ownedLinks the devices whose permanent neighbours and FDB entries are ours
     */
    static KernelState read(Netlink netlink, List<Route> mainTable, List<Integer> ownedLinks, IpPrefix localPodCidr) {
        KernelState s = new KernelState(netlink, mainTable);
        for (Route r : mainTable) {
            if (r.protocol() == Route.PROTOCOL_EDGELINK && !Reconciler.within(r.destination(), localPodCidr)) {
                s.routes.add(r);
            }
        }
        Set<Integer> owned = new HashSet<>(ownedLinks);
        if (!owned.isEmpty()) {
            s.allNeighbors = netlink.neighbors(0);
            for (Neighbor n : s.allNeighbors) {
                if (owned.contains(n.linkIndex()) && n.isPermanent() && n.mac() != null) {
                    s.neighbors.add(NeighborKey.of(n));
                }
            }
            s.allFdb = netlink.fdb(0);
            for (FdbEntry e : s.allFdb) {
                if (owned.contains(e.linkIndex()) && FdbTable.isUnicast(e.mac())) {
                    s.fdb.add(e);
                }
            }
        }
        return s;
    }

    /** Whether {@code other} found exactly our objects, in the same order (no sets are made to tell). */
    boolean sameOursAs(KernelState other) {
        return other != null && routes.equals(other.routes) && neighbors.equals(other.neighbors)
                && fdb.equals(other.fdb);
    }

    /** Whether {@code o} (a route, a {@link NeighborKey} or an FDB entry) is ours and in the kernel. */
    boolean has(Object o) {
        if (ours == null) {
            ours = all();
        }
        return ours.contains(o);
    }

    /** Everything of ours, in one set. */
    Set<Object> all() {
        Set<Object> out = new HashSet<>(routes);
        out.addAll(neighbors);
        out.addAll(fdb);
        return out;
    }

    /** The main table's routes to {@code destination}, any protocol. */
    List<Route> routesTo(IpPrefix destination) {
        if (byDestination == null) {
            byDestination = new HashMap<>();
            mainTable.forEach(r -> byDestination.computeIfAbsent(r.destination(), k -> new ArrayList<>()).add(r));
        }
        return byDestination.getOrDefault(destination, List.of());
    }

    /** The entry for {@code address} on {@code link}, whatever its state. */
    Optional<Neighbor> neighborAt(int link, InetAddress address) {
        if (neighborAt == null) {
            neighborAt = new HashMap<>();
            (allNeighbors != null ? allNeighbors : netlink.neighbors(0))
                    .forEach(n -> neighborAt.putIfAbsent(new Slot(n.linkIndex(), n.address()), n));
        }
        return Optional.ofNullable(neighborAt.get(new Slot(link, address)));
    }

    /** The device's FDB entries for {@code mac}. */
    List<FdbEntry> fdbFor(int link, MacAddress mac) {
        if (fdbFor == null) {
            fdbFor = new HashMap<>();
            (allFdb != null ? allFdb : netlink.fdb(0))
                    .forEach(e -> fdbFor.computeIfAbsent(new MacSlot(e.linkIndex(), e.mac()), k -> new ArrayList<>())
                            .add(e));
        }
        return fdbFor.getOrDefault(new MacSlot(link, mac), List.of());
    }
}
