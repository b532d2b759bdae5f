package dev.edgelink.dataplane.netlink;

import dev.edgelink.dataplane.internal.netlink.RtNetlink;
import dev.edgelink.net.MacAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The narrow rtnetlink surface the data plane needs: links, addresses, routes, neighbours and a VXLAN device's FDB.
 * One instance is one netlink socket bound to one network namespace for its whole life. Calls are synchronous (the
 * kernel's ack has arrived when they return) and thread-safe (requests are serialised on the socket).
 *
 * <p>Every failure is a {@link dev.edgelink.dataplane.DataplaneException}; the kernel's refusals are
 * {@link NetlinkException}s whose subclass says what happened (exists, not found, no permission, not supported).
 * The idempotent {@code ensure} logic is not here but in the small classes of {@code dev.edgelink.dataplane.kernel}.
 */
public interface Netlink extends AutoCloseable {

    /** A socket in the caller's current network namespace. */
    static Netlink open() {
        return RtNetlink.open();
    }

    /**
     * A socket in another network namespace, e.g. {@code /run/netns/NAME} or {@code /proc/PID/ns/net}. The socket is
     * made on a dedicated platform thread that enters the namespace and leaves again; the calling thread never
     * changes namespace, and the socket stays in that namespace.
     */
    static Netlink openInNamespace(Path namespace) {
        return RtNetlink.openInNamespace(namespace);
    }

    // ---- links

    /** Creates a link (fails with {@link ObjectExistsException} if the name is taken); returns it as created. */
    Link createLink(LinkSpec spec);

    /** The link with this name, if any. */
    Optional<Link> findLink(String name);

    /** The link with this name; {@link NoSuchObjectException} if there is none. */
    Link getLink(String name);

    /** All links of the namespace. */
    List<Link> links();

    /** {@code ip link set LINK up|down}. */
    void setUp(int linkIndex, boolean up);

    /** {@code ip link set LINK mtu MTU}. */
    void setMtu(int linkIndex, int mtu);

    /** {@code ip link set LINK address MAC}. */
    void setAddress(int linkIndex, MacAddress mac);

    /** {@code ip link set LINK master MASTER}; {@code masterIndex} 0 detaches ({@code nomaster}). */
    void setMaster(int linkIndex, int masterIndex);

    /** {@code ip link set LINK netns NAMESPACE}, the namespace given as a path to its nsfs file. */
    void setNamespace(int linkIndex, Path namespace);

    /** Deletes a link ({@link NoSuchObjectException} if it is gone). A veth takes its peer with it. */
    void deleteLink(int linkIndex);

    // ---- addresses

    /** {@code ip addr add} ({@link ObjectExistsException} if present). */
    void addAddress(LinkAddress address);

    /** {@code ip addr del}. */
    void deleteAddress(LinkAddress address);

    /** Addresses of all links; {@code linkIndex} 0 for every link. */
    List<LinkAddress> addresses(int linkIndex);

    // ---- routes

    /** {@code ip route add} ({@link ObjectExistsException} if an equal route exists). */
    void addRoute(Route route);

    /** {@code ip route replace}: creates, or overwrites the route with the same destination, table and metric. */
    void replaceRoute(Route route);

    /** {@code ip route del}, matching destination, table, protocol, gateway and output link. */
    void deleteRoute(Route route);

    /** Unicast routes (IPv4 and IPv6) in {@code table} (0 = every table) from {@code protocol} (-1 = any). */
    List<Route> routes(int table, int protocol);

    // ---- neighbours

    /** {@code ip neigh add} ({@link ObjectExistsException} if present). */
    void addNeighbor(Neighbor neighbor);

    /** {@code ip neigh replace}. */
    void replaceNeighbor(Neighbor neighbor);

    /** {@code ip neigh del}. */
    void deleteNeighbor(Neighbor neighbor);

    /** Neighbour entries (IPv4 and IPv6) on {@code linkIndex} (0 = every link), proxy entries excluded. */
    List<Neighbor> neighbors(int linkIndex);

    // ---- FDB of a VXLAN device (AF_BRIDGE, NTF_SELF)

    /** {@code bridge fdb append}: adds a destination, keeping others for the same MAC (flood lists). */
    void appendFdb(FdbEntry entry);

    /** {@code bridge fdb replace}: the MAC's destination becomes this one. */
    void replaceFdb(FdbEntry entry);

    /** {@code bridge fdb del}. */
    void deleteFdb(FdbEntry entry);

    /**
     * The device's own FDB entries that have a remote destination (as set on VXLAN devices); {@code linkIndex} 0 for
     * every device's.
     */
    List<FdbEntry> fdb(int linkIndex);

    /** Closes the socket. Further calls fail with {@link NetlinkTransportException}. */
    @Override
    void close();
}
