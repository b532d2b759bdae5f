package dev.edgelink.dataplane.internal.netlink;

import static dev.edgelink.dataplane.internal.netlink.codec.Rtnl.NLM_F_ACK;
import static dev.edgelink.dataplane.internal.netlink.codec.Rtnl.NLM_F_APPEND;
import static dev.edgelink.dataplane.internal.netlink.codec.Rtnl.NLM_F_CREATE;
import static dev.edgelink.dataplane.internal.netlink.codec.Rtnl.NLM_F_DUMP;
import static dev.edgelink.dataplane.internal.netlink.codec.Rtnl.NLM_F_EXCL;
import static dev.edgelink.dataplane.internal.netlink.codec.Rtnl.NLM_F_REPLACE;
import static dev.edgelink.dataplane.internal.netlink.codec.Rtnl.NLM_F_REQUEST;

import dev.edgelink.dataplane.internal.netlink.codec.AddressMessage;
import dev.edgelink.dataplane.internal.netlink.codec.LinkMessage;
import dev.edgelink.dataplane.internal.netlink.codec.NeighborMessage;
import dev.edgelink.dataplane.internal.netlink.codec.RouteMessage;
import dev.edgelink.dataplane.internal.netlink.codec.Rtnl;
import dev.edgelink.dataplane.netlink.FdbEntry;
import dev.edgelink.dataplane.netlink.Link;
import dev.edgelink.dataplane.netlink.LinkAddress;
import dev.edgelink.dataplane.netlink.LinkSpec;
import dev.edgelink.dataplane.netlink.Neighbor;
import dev.edgelink.dataplane.netlink.Netlink;
import dev.edgelink.dataplane.netlink.NoSuchObjectException;
import dev.edgelink.dataplane.netlink.Route;
import dev.edgelink.net.IpPrefix;
import dev.edgelink.net.MacAddress;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** {@link Netlink} over a NETLINK_ROUTE socket; messages are built and read by the pure codecs. */
public final class RtNetlink implements Netlink {
    private static final int CREATE = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
    private static final int REPLACE = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
    private static final int APPEND = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_APPEND;
    private static final int CHANGE = NLM_F_REQUEST | NLM_F_ACK;
    private static final int FDB_STATE = Neighbor.NUD_PERMANENT | Neighbor.NUD_NOARP;

    private final NetlinkChannel channel;

    RtNetlink(NetlinkChannel channel) {
        this.channel = channel;
    }

    public static RtNetlink open() {
        return new RtNetlink(new NetlinkChannel(NetlinkSocket.open(), 1));
    }

    public static RtNetlink openInNamespace(Path namespace) {
        return new RtNetlink(new NetlinkChannel(NetworkNamespaces.call(namespace, NetlinkSocket::open), 1));
    }

    // ---- links

    @Override
    public Link createLink(LinkSpec spec) {
        LinkMessage m = LinkMessage.of(0).withName(spec.name());
        if (spec instanceof LinkSpec.Vxlan) {
            m = m.withKind(spec.kind(), ((LinkSpec.Vxlan) spec).config(), null, null);
        } else if (spec instanceof LinkSpec.Ipip) {
            m = m.withKind(spec.kind(), null, ((LinkSpec.Ipip) spec).config(), null);
        } else if (spec instanceof LinkSpec.VethPair) {
            m = m.withKind(spec.kind(), null, null, ((LinkSpec.VethPair) spec).peerName());
        } else {
            m = m.withKind(spec.kind(), null, null, null);
        }
        LinkMessage request = m;
        channel.execute(seq -> request.encode(Rtnl.RTM_NEWLINK, CREATE, seq),
                "create link " + spec.name() + " (" + spec.kind() + ")");
        return getLink(spec.name());
    }

    @Override
    public Optional<Link> findLink(String name) {
        try {
            return Optional.of(getLink(name));
        } catch (NoSuchObjectException e) {
            return Optional.empty();
        }
    }

    @Override
    public Link getLink(String name) {
        LinkMessage request = LinkMessage.of(0).withName(name);
        List<ByteBuffer> replies = channel.execute(seq -> request.encode(Rtnl.RTM_GETLINK, CHANGE, seq),
                "get link " + name);
        if (replies.isEmpty()) {
            throw new NoSuchObjectException(NoSuchObjectException.ENODEV, "get link " + name, "no reply");
        }
        return toLink(LinkMessage.decode(replies.get(0)));
    }

    @Override
    public List<Link> links() {
        List<Link> out = new ArrayList<>();
        for (ByteBuffer b : channel.dump(seq -> LinkMessage.of(0).encode(Rtnl.RTM_GETLINK,
                NLM_F_REQUEST | NLM_F_DUMP, seq), "dump links")) {
            out.add(toLink(LinkMessage.decode(b)));
        }
        return out;
    }

    @Override
    public void setUp(int linkIndex, boolean up) {
        changeLink(LinkMessage.of(linkIndex).withFlags(up ? Rtnl.IFF_UP : 0, Rtnl.IFF_UP),
                "set link " + linkIndex + (up ? " up" : " down"));
    }

    @Override
    public void setMtu(int linkIndex, int mtu) {
        changeLink(LinkMessage.of(linkIndex).withMtu(mtu), "set link " + linkIndex + " mtu " + mtu);
    }

    @Override
    public void setAddress(int linkIndex, MacAddress mac) {
        changeLink(LinkMessage.of(linkIndex).withAddress(mac), "set link " + linkIndex + " address " + mac);
    }

    @Override
    public void setMaster(int linkIndex, int masterIndex) {
        changeLink(LinkMessage.of(linkIndex).withMaster(masterIndex),
                "set link " + linkIndex + " master " + masterIndex);
    }

    @Override
    public void setNamespace(int linkIndex, Path namespace) {
        LibC libc = LibC.get();
        int fd = NetworkNamespaces.openNs(libc, namespace);
        try {
            changeLink(LinkMessage.of(linkIndex).withNetnsFd(fd), "move link " + linkIndex + " to " + namespace);
        } finally {
            libc.close(fd);
        }
    }

    @Override
    public void deleteLink(int linkIndex) {
        LinkMessage request = LinkMessage.of(linkIndex);
        channel.execute(seq -> request.encode(Rtnl.RTM_DELLINK, CHANGE, seq), "delete link " + linkIndex);
    }

    private void changeLink(LinkMessage request, String operation) {
        channel.execute(seq -> request.encode(Rtnl.RTM_NEWLINK, CHANGE, seq), operation);
    }

    private static Link toLink(LinkMessage m) {
        return new Link(m.index(), m.name(), m.kind(), orZero(m.mtu()), m.address(), orZero(m.parentIndex()),
                orZero(m.masterIndex()), (m.flags() & Rtnl.IFF_UP) != 0, orZero(m.operState()), m.vxlan(),
                m.ipip());
    }

    private static int orZero(Integer v) {
        return v == null ? 0 : v;
    }

    // ---- addresses

    @Override
    public void addAddress(LinkAddress address) {
        AddressMessage m = addressMessage(address);
        channel.execute(seq -> m.encode(Rtnl.RTM_NEWADDR, CREATE, seq), "add address " + address.prefix()
                + " to link " + address.linkIndex());
    }

    @Override
    public void deleteAddress(LinkAddress address) {
        AddressMessage m = addressMessage(address);
        channel.execute(seq -> m.encode(Rtnl.RTM_DELADDR, CHANGE, seq), "delete address " + address.prefix()
                + " from link " + address.linkIndex());
    }

    @Override
    public List<LinkAddress> addresses(int linkIndex) {
        List<LinkAddress> out = new ArrayList<>();
        for (ByteBuffer b : channel.dump(seq -> AddressMessage.dumpRequest(Rtnl.AF_UNSPEC, seq), "dump addresses")) {
            AddressMessage m = AddressMessage.decode(b);
            if (m.address() != null && (linkIndex == 0 || m.index() == linkIndex)) {
                out.add(new LinkAddress(m.index(), new IpPrefix(m.address(), m.prefixLength())));
            }
        }
        return out;
    }

    private static AddressMessage addressMessage(LinkAddress a) {
        return AddressMessage.of(a.linkIndex(), a.prefix().address(), a.prefix().length());
    }

    // ---- routes

    @Override
    public void addRoute(Route route) {
        RouteMessage m = routeMessage(route);
        channel.execute(seq -> m.encode(Rtnl.RTM_NEWROUTE, CREATE, seq), "add route " + describe(route));
    }

    @Override
    public void replaceRoute(Route route) {
        RouteMessage m = routeMessage(route);
        channel.execute(seq -> m.encode(Rtnl.RTM_NEWROUTE, REPLACE, seq), "replace route " + describe(route));
    }

    @Override
    public void deleteRoute(Route route) {
        RouteMessage add = routeMessage(route);
        // As iproute2: scope NOWHERE and type UNSPEC match any; flags are not part of a route's identity.
        RouteMessage m = new RouteMessage(add.family(), add.dstLength(), add.table(), add.protocol(),
                Rtnl.RT_SCOPE_NOWHERE, Rtnl.RTN_UNSPEC, 0, add.destination(), add.gateway(), add.outputLink(),
                null);
        channel.execute(seq -> m.encode(Rtnl.RTM_DELROUTE, CHANGE, seq), "delete route " + describe(route));
    }

    @Override
    public List<Route> routes(int table, int protocol) {
        List<Route> out = new ArrayList<>();
        for (ByteBuffer b : channel.dump(seq -> RouteMessage.dumpRequest(Rtnl.AF_UNSPEC, seq), "dump routes")) {
            RouteMessage m = RouteMessage.decode(b);
            if (m.type() != Rtnl.RTN_UNICAST || (table != 0 && m.table() != table)
                    || (protocol >= 0 && m.protocol() != protocol)) {
                continue;
            }
            InetAddress dst = m.destination() != null ? m.destination() : anyAddress(m.family());
            out.add(new Route(new IpPrefix(dst, m.dstLength()), m.gateway(), orZero(m.outputLink()), m.table(),
                    m.protocol(), m.scope(), m.type(), (m.flags() & Rtnl.RTNH_F_ONLINK) != 0));
        }
        return out;
    }

    private static RouteMessage routeMessage(Route r) {
        InetAddress dst = r.destination().address();
        return new RouteMessage(familyOf(dst), r.destination().length(), r.table(), r.protocol(), r.scope(),
                r.type(), r.onlink() ? Rtnl.RTNH_F_ONLINK : 0, r.destination().length() == 0 ? null : dst,
                r.gateway(), r.outputLink() == 0 ? null : r.outputLink(), null);
    }

    private static String describe(Route r) {
        return r.destination() + (r.gateway() == null ? "" : " via " + r.gateway().getHostAddress())
                + (r.outputLink() == 0 ? "" : " dev " + r.outputLink()) + (r.onlink() ? " onlink" : "")
                + " table " + r.table() + " proto " + r.protocol();
    }

    // ---- neighbours

    @Override
    public void addNeighbor(Neighbor n) {
        NeighborMessage m = neighborMessage(n);
        channel.execute(seq -> m.encode(Rtnl.RTM_NEWNEIGH, CREATE, seq), "add neighbour " + describe(n));
    }

    @Override
    public void replaceNeighbor(Neighbor n) {
        NeighborMessage m = neighborMessage(n);
        channel.execute(seq -> m.encode(Rtnl.RTM_NEWNEIGH, REPLACE, seq), "replace neighbour " + describe(n));
    }

    @Override
    public void deleteNeighbor(Neighbor n) {
        NeighborMessage add = neighborMessage(n);
        NeighborMessage m = new NeighborMessage(add.family(), add.index(), add.state(), 0, 0, add.destination(),
                null);
        channel.execute(seq -> m.encode(Rtnl.RTM_DELNEIGH, CHANGE, seq), "delete neighbour " + describe(n));
    }

    @Override
    public List<Neighbor> neighbors(int linkIndex) {
        List<Neighbor> out = new ArrayList<>();
        for (ByteBuffer b : channel.dump(seq -> NeighborMessage.dumpRequest(Rtnl.AF_UNSPEC, seq),
                "dump neighbours")) {
            NeighborMessage m = NeighborMessage.decode(b);
            boolean ip = m.family() == Rtnl.AF_INET || m.family() == Rtnl.AF_INET6;
            if (ip && m.destination() != null && (m.flags() & Rtnl.NTF_PROXY) == 0
                    && (linkIndex == 0 || m.index() == linkIndex)) {
                out.add(new Neighbor(m.index(), m.destination(), m.lladdr(), m.state()));
            }
        }
        return out;
    }

    private static NeighborMessage neighborMessage(Neighbor n) {
        return new NeighborMessage(familyOf(n.address()), n.linkIndex(), n.state(), 0, 0, n.address(), n.mac());
    }

    private static String describe(Neighbor n) {
        return n.address().getHostAddress() + (n.mac() == null ? "" : " lladdr " + n.mac()) + " dev "
                + n.linkIndex();
    }

    // ---- FDB

    @Override
    public void appendFdb(FdbEntry e) {
        NeighborMessage m = fdbMessage(e);
        channel.execute(seq -> m.encode(Rtnl.RTM_NEWNEIGH, APPEND, seq), "append fdb " + describe(e));
    }

    @Override
    public void replaceFdb(FdbEntry e) {
        NeighborMessage m = fdbMessage(e);
        channel.execute(seq -> m.encode(Rtnl.RTM_NEWNEIGH, REPLACE, seq), "replace fdb " + describe(e));
    }

    @Override
    public void deleteFdb(FdbEntry e) {
        NeighborMessage m = fdbMessage(e);
        channel.execute(seq -> m.encode(Rtnl.RTM_DELNEIGH, CHANGE, seq), "delete fdb " + describe(e));
    }

    @Override
    public List<FdbEntry> fdb(int linkIndex) {
        List<FdbEntry> out = new ArrayList<>();
        for (ByteBuffer b : channel.dump(seq -> NeighborMessage.dumpRequest(Rtnl.AF_BRIDGE, seq), "dump fdb")) {
            NeighborMessage m = NeighborMessage.decode(b);
            if (m.family() == Rtnl.AF_BRIDGE && (linkIndex == 0 || m.index() == linkIndex)
                    && (m.flags() & Rtnl.NTF_SELF) != 0
                    && m.destination() != null && m.lladdr() != null) {
                out.add(new FdbEntry(m.index(), m.lladdr(), m.destination()));
            }
        }
        return out;
    }

    private static NeighborMessage fdbMessage(FdbEntry e) {
        return new NeighborMessage(Rtnl.AF_BRIDGE, e.linkIndex(), FDB_STATE, Rtnl.NTF_SELF, 0, e.destination(),
                e.mac());
    }

    private static String describe(FdbEntry e) {
        return e.mac() + " dst " + e.destination().getHostAddress() + " dev " + e.linkIndex();
    }

    private static int familyOf(InetAddress a) {
        return a instanceof Inet4Address ? Rtnl.AF_INET : Rtnl.AF_INET6;
    }

    private static InetAddress anyAddress(int family) {
        try {
            return InetAddress.getByAddress(new byte[family == Rtnl.AF_INET6 ? 16 : 4]);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        channel.close();
    }
}
