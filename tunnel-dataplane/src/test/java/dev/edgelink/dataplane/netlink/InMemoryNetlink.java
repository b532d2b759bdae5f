package dev.edgelink.dataplane.netlink;

import dev.edgelink.net.MacAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A {@link Netlink} held in memory, for tests of the code above it (route tables, the reconciler): links by name,
 * addresses, and routes with the kernel's identity rules as far as those tests need them. A route is identified by
 * destination and table (every route here has metric 0): {@link #addRoute} fails with EEXIST when one is there,
 * {@link #replaceRoute} overwrites it whoever made it (as {@code NLM_F_REPLACE} does), {@link #deleteRoute} matches
 * destination, table, protocol and, where given, gateway and device. Neighbours and FDB entries are kept as given.
 * Every change is written to {@link #changes()} so a test can assert that nothing was touched. Not thread-safe.
 */
public final class InMemoryNetlink implements Netlink {
    private final List<Link> links = new ArrayList<>();
    private final List<LinkAddress> addresses = new ArrayList<>();
    private final List<Route> routes = new ArrayList<>();
    private final List<Neighbor> neighbors = new ArrayList<>();
    private final List<FdbEntry> fdb = new ArrayList<>();
    private final List<String> changes = new ArrayList<>();

    /** Adds an up device named {@code name} (no kind, MTU 1500); returns its ifindex. */
    public int device(String name) {
        int index = links.size() + 2;
        links.add(new Link(index, name, null, 1500, null, 0, 0, true, Link.OPER_UP, null, null));
        return index;
    }

    /** Puts a route in place as someone else would (not recorded in {@link #changes()}). */
    public void given(Route route) {
        routes.add(route);
    }

    /** The routes of every table and protocol, in the order they were made. */
    public List<Route> allRoutes() {
        return List.copyOf(routes);
    }

    /** "replace ROUTE", "add ROUTE", "delete ROUTE", ... for every change made through the {@link Netlink} calls. */
    public List<String> changes() {
        return List.copyOf(changes);
    }

    @Override
    public Link createLink(LinkSpec spec) {
        if (findLink(spec.name()).isPresent()) {
            throw NetlinkException.of(NetlinkException.EEXIST, "create link " + spec.name(), null);
        }
        changes.add("create link " + spec.name());
        device(spec.name());
        return getLink(spec.name());
    }

    @Override
    public Optional<Link> findLink(String name) {
        return links.stream().filter(l -> l.name().equals(name)).findFirst();
    }

    @Override
    public Link getLink(String name) {
        return findLink(name).orElseThrow(() -> NetlinkException.of(NetlinkException.ENODEV, "get link " + name,
                null));
    }

    @Override
    public List<Link> links() {
        return List.copyOf(links);
    }

    @Override
    public void setUp(int linkIndex, boolean up) {
        changes.add("set link " + linkIndex + (up ? " up" : " down"));
    }

    @Override
    public void setMtu(int linkIndex, int mtu) {
        changes.add("set link " + linkIndex + " mtu " + mtu);
    }

    @Override
    public void setAddress(int linkIndex, MacAddress mac) {
        changes.add("set link " + linkIndex + " address " + mac);
    }

    @Override
    public void setMaster(int linkIndex, int masterIndex) {
        changes.add("set link " + linkIndex + " master " + masterIndex);
    }

    @Override
    public void setNamespace(int linkIndex, Path namespace) {
        throw new UnsupportedOperationException("namespaces are not modelled");
    }

    @Override
    public void deleteLink(int linkIndex) {
        changes.add("delete link " + linkIndex);
        links.removeIf(l -> l.index() == linkIndex);
    }

    @Override
    public void addAddress(LinkAddress address) {
        changes.add("add address " + address);
        addresses.add(address);
    }

    @Override
    public void deleteAddress(LinkAddress address) {
        changes.add("delete address " + address);
        addresses.remove(address);
    }

    @Override
    public List<LinkAddress> addresses(int linkIndex) {
        return addresses.stream().filter(a -> linkIndex == 0 || a.linkIndex() == linkIndex).toList();
    }

    @Override
    public void addRoute(Route route) {
        if (routes.stream().anyMatch(r -> sameSlot(r, route))) {
            throw NetlinkException.of(NetlinkException.EEXIST, "add route " + route.destination(), null);
        }
        changes.add("add " + route);
        routes.add(route);
    }

    @Override
    public void replaceRoute(Route route) {
        changes.add("replace " + route);
        routes.removeIf(r -> sameSlot(r, route));
        routes.add(route);
    }

    @Override
    public void deleteRoute(Route route) {
        Optional<Route> found = routes.stream().filter(r -> sameSlot(r, route) && r.protocol() == route.protocol()
                && (route.gateway() == null || route.gateway().equals(r.gateway()))
                && (route.outputLink() == 0 || route.outputLink() == r.outputLink())).findFirst();
        if (found.isEmpty()) {
            throw NetlinkException.of(NetlinkException.ESRCH, "delete route " + route.destination(), null);
        }
        changes.add("delete " + found.get());
        routes.remove(found.get());
    }

    private static boolean sameSlot(Route a, Route b) {
        return a.destination().equals(b.destination()) && a.table() == b.table();
    }

    @Override
    public List<Route> routes(int table, int protocol) {
        return routes.stream().filter(r -> (table == 0 || r.table() == table)
                && (protocol < 0 || r.protocol() == protocol)).toList();
    }

    @Override
    public void addNeighbor(Neighbor neighbor) {
        changes.add("add " + neighbor);
        neighbors.add(neighbor);
    }

    @Override
    public void replaceNeighbor(Neighbor neighbor) {
        changes.add("replace " + neighbor);
        neighbors.removeIf(n -> n.linkIndex() == neighbor.linkIndex() && n.address().equals(neighbor.address()));
        neighbors.add(neighbor);
    }

    @Override
    public void deleteNeighbor(Neighbor neighbor) {
        changes.add("delete " + neighbor);
        neighbors.removeIf(n -> n.linkIndex() == neighbor.linkIndex() && n.address().equals(neighbor.address()));
    }

    @Override
    public List<Neighbor> neighbors(int linkIndex) {
        return neighbors.stream().filter(n -> linkIndex == 0 || n.linkIndex() == linkIndex).toList();
    }

    @Override
    public void appendFdb(FdbEntry entry) {
        changes.add("append " + entry);
        fdb.add(entry);
    }

    @Override
    public void replaceFdb(FdbEntry entry) {
        changes.add("replace " + entry);
        fdb.removeIf(e -> e.linkIndex() == entry.linkIndex() && e.mac().equals(entry.mac()));
        fdb.add(entry);
    }

    @Override
    public void deleteFdb(FdbEntry entry) {
        changes.add("delete " + entry);
        fdb.remove(entry);
    }

    @Override
    public List<FdbEntry> fdb(int linkIndex) {
        return fdb.stream().filter(e -> linkIndex == 0 || e.linkIndex() == linkIndex).toList();
    }

    @Override
    public void close() {
        // nothing is open
    }
}
