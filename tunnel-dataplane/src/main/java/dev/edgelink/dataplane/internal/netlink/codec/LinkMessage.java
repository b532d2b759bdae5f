package dev.edgelink.dataplane.internal.netlink.codec;

import dev.edgelink.dataplane.netlink.IpipConfig;
import dev.edgelink.dataplane.netlink.MalformedMessageException;
import dev.edgelink.dataplane.netlink.VxlanConfig;
import dev.edgelink.net.MacAddress;
import java.nio.ByteBuffer;

/**
 * RTM_NEWLINK / RTM_DELLINK / RTM_GETLINK: {@code struct ifinfomsg} followed by IFLA_* attributes. Absent
 * attributes are {@code null}.
 *
 * <pre>
 * struct ifinfomsg (16 bytes)
 * +---------------+---------------+-------------------------------+
 * |  ifi_family   |    (pad)      |   ifi_type (ARPHRD_*)         |
 * +---------------+---------------+-------------------------------+
 * |                       ifi_index (s32)                         |
 * +---------------------------------------------------------------+
 * |                    ifi_flags (IFF_*)                          |
 * +---------------------------------------------------------------+
 * |            ifi_change (which flags to change)                 |
 * +---------------------------------------------------------------+
 * attributes, written in this order (iproute2's, so captures compare byte for byte):
 *   IFLA_IFNAME  string        IFLA_ADDRESS  6 bytes      IFLA_MTU  u32
 *   IFLA_LINK    u32           IFLA_MASTER   u32          IFLA_NET_NS_FD  u32
 *   IFLA_LINKINFO { IFLA_INFO_KIND string without NUL (as iproute2),
 *                   IFLA_INFO_DATA { vxlan: LINK u32, TTL u8, ID u32, LOCAL 4 bytes, LEARNING u8, PORT be16
 *                                    ipip:  LINK u32, LOCAL 4, REMOTE 4, TTL u8, PMTUDISC u8 = 1
 *                                    veth:  VETH_INFO_PEER { struct ifinfomsg, IFLA_IFNAME } } }
 * read only: IFLA_OPERSTATE u8
 * </pre>
 */
public record LinkMessage(int family, int deviceType, int index, int flags, int change, String name,
                          MacAddress address, Integer mtu, Integer parentIndex, Integer masterIndex,
                          Integer netnsFd, Integer operState, String kind, VxlanConfig vxlan, IpipConfig ipip,
                          String vethPeerName) {
    public static final int IFINFOMSG_SIZE = 16;

    /** A message about link {@code index} (0 when addressing by name or creating) with no attributes. */
    public static LinkMessage of(int index) {
        return new LinkMessage(Rtnl.AF_UNSPEC, 0, index, 0, 0, null, null, null, null, null, null, null, null,
                null, null, null);
    }

    public LinkMessage withName(String n) {
        return new LinkMessage(family, deviceType, index, flags, change, n, address, mtu, parentIndex, masterIndex,
                netnsFd, operState, kind, vxlan, ipip, vethPeerName);
    }

    /** Sets {@code ifi_flags} and {@code ifi_change}. */
    public LinkMessage withFlags(int newFlags, int changeMask) {
        return new LinkMessage(family, deviceType, index, newFlags, changeMask, name, address, mtu, parentIndex,
                masterIndex, netnsFd, operState, kind, vxlan, ipip, vethPeerName);
    }

    public LinkMessage withAddress(MacAddress a) {
        return new LinkMessage(family, deviceType, index, flags, change, name, a, mtu, parentIndex, masterIndex,
                netnsFd, operState, kind, vxlan, ipip, vethPeerName);
    }

    public LinkMessage withMtu(int m) {
        return new LinkMessage(family, deviceType, index, flags, change, name, address, m, parentIndex,
                masterIndex, netnsFd, operState, kind, vxlan, ipip, vethPeerName);
    }

    public LinkMessage withMaster(int m) {
        return new LinkMessage(family, deviceType, index, flags, change, name, address, mtu, parentIndex, m,
                netnsFd, operState, kind, vxlan, ipip, vethPeerName);
    }

    public LinkMessage withNetnsFd(int fd) {
        return new LinkMessage(family, deviceType, index, flags, change, name, address, mtu, parentIndex,
                masterIndex, fd, operState, kind, vxlan, ipip, vethPeerName);
    }

    /** Sets the link kind and its data (at most one of vxlan, ipip, veth peer name fits the kind). */
    public LinkMessage withKind(String k, VxlanConfig vx, IpipConfig ip, String peer) {
        return new LinkMessage(family, deviceType, index, flags, change, name, address, mtu, parentIndex,
                masterIndex, netnsFd, operState, k, vx, ip, peer);
    }

    /** The whole request: header with {@code type}, {@code flags} and {@code seq}, then this message. */
    public byte[] encode(int type, int headerFlags, int seq) {
        MessageWriter w = new MessageWriter(type, headerFlags, seq);
        writeBody(w);
        return w.finish();
    }

    private void writeBody(MessageWriter w) {
        w.u8(family).u8(0).u16(deviceType).u32(index).u32(flags).u32(change);
        if (name != null) {
            w.attrString(Rtnl.IFLA_IFNAME, name);
        }
        if (address != null) {
            w.attr(Rtnl.IFLA_ADDRESS, address.toBytes());
        }
        if (mtu != null) {
            w.attrU32(Rtnl.IFLA_MTU, mtu);
        }
        if (parentIndex != null) {
            w.attrU32(Rtnl.IFLA_LINK, parentIndex);
        }
        if (masterIndex != null) {
            w.attrU32(Rtnl.IFLA_MASTER, masterIndex);
        }
        if (netnsFd != null) {
            w.attrU32(Rtnl.IFLA_NET_NS_FD, netnsFd);
        }
        if (kind != null) {
            int info = w.beginNested(Rtnl.IFLA_LINKINFO);
            w.attr(Rtnl.IFLA_INFO_KIND, kind.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            writeInfoData(w);
            w.endNested(info);
        }
    }

    private void writeInfoData(MessageWriter w) {
        if (vxlan != null) {
            int data = w.beginNested(Rtnl.IFLA_INFO_DATA);
            if (vxlan.underlayIndex() != 0) {
                w.attrU32(Rtnl.IFLA_VXLAN_LINK, vxlan.underlayIndex());
            }
            if (vxlan.ttl() != 0) {
                w.attrU8(Rtnl.IFLA_VXLAN_TTL, vxlan.ttl());
            }
            w.attrU32(Rtnl.IFLA_VXLAN_ID, vxlan.vni());
            if (vxlan.local() != null) {
                w.attrAddress(Rtnl.IFLA_VXLAN_LOCAL, vxlan.local());
            }
            w.attrU8(Rtnl.IFLA_VXLAN_LEARNING, vxlan.learning() ? 1 : 0);
            w.attrBe16(Rtnl.IFLA_VXLAN_PORT, vxlan.port());
            w.endNested(data);
        } else if (ipip != null) {
            int data = w.beginNested(Rtnl.IFLA_INFO_DATA);
            if (ipip.underlayIndex() != 0) {
                w.attrU32(Rtnl.IFLA_IPTUN_LINK, ipip.underlayIndex());
            }
            if (ipip.local() != null) {
                w.attrAddress(Rtnl.IFLA_IPTUN_LOCAL, ipip.local());
            }
            if (ipip.remote() != null) {
                w.attrAddress(Rtnl.IFLA_IPTUN_REMOTE, ipip.remote());
            }
            w.attrU8(Rtnl.IFLA_IPTUN_TTL, ipip.ttl());
            w.attrU8(Rtnl.IFLA_IPTUN_PMTUDISC, 1);
            w.endNested(data);
        } else if (vethPeerName != null) {
            int data = w.beginNested(Rtnl.IFLA_INFO_DATA);
            int peer = w.beginNested(Rtnl.VETH_INFO_PEER);
            of(0).withName(vethPeerName).writeBody(w);
            w.endNested(peer);
            w.endNested(data);
        }
    }

    /** Decodes the payload of an RTM_NEWLINK (what the kernel sends for a get or a dump). */
    public static LinkMessage decode(ByteBuffer payload) {
        if (payload.remaining() < IFINFOMSG_SIZE) {
            throw new MalformedMessageException("ifinfomsg needs 16 bytes, got " + payload.remaining());
        }
        ByteBuffer b = payload.duplicate().order(NetlinkHeader.ORDER);
        int p = b.position();
        Attributes a = Attributes.parse(b.position(p + IFINFOMSG_SIZE));
        String kind = null;
        VxlanConfig vx = null;
        IpipConfig ip = null;
        Attributes info = a.nested(Rtnl.IFLA_LINKINFO);
        if (info != null) {
            kind = info.string(Rtnl.IFLA_INFO_KIND);
            Attributes data = info.nested(Rtnl.IFLA_INFO_DATA);
            if (data != null && "vxlan".equals(kind)) {
                vx = decodeVxlan(data);
            } else if (data != null && "ipip".equals(kind)) {
                ip = decodeIpip(data);
            }
        }
        return new LinkMessage(b.get(p) & 0xff, b.getShort(p + 2) & 0xffff, b.getInt(p + 4), b.getInt(p + 8),
                b.getInt(p + 12), a.string(Rtnl.IFLA_IFNAME), a.mac(Rtnl.IFLA_ADDRESS), a.u32(Rtnl.IFLA_MTU),
                a.u32(Rtnl.IFLA_LINK), a.u32(Rtnl.IFLA_MASTER), null, a.u8(Rtnl.IFLA_OPERSTATE), kind, vx, ip,
                null);
    }

    private static VxlanConfig decodeVxlan(Attributes d) {
        Integer vni = d.u32(Rtnl.IFLA_VXLAN_ID);
        Integer port = d.be16(Rtnl.IFLA_VXLAN_PORT);
        Integer link = d.u32(Rtnl.IFLA_VXLAN_LINK);
        Integer learning = d.u8(Rtnl.IFLA_VXLAN_LEARNING);
        Integer ttl = d.u8(Rtnl.IFLA_VXLAN_TTL);
        if (vni == null || port == null) {
            throw new MalformedMessageException("vxlan link data without IFLA_VXLAN_ID or IFLA_VXLAN_PORT");
        }
        try {
            return new VxlanConfig(vni, d.ipv4OrNull(Rtnl.IFLA_VXLAN_LOCAL), link == null ? 0 : link, port,
                    learning != null && learning != 0, ttl == null ? 0 : ttl);
        } catch (IllegalArgumentException e) {
            throw new MalformedMessageException("vxlan link data out of range: " + e.getMessage());
        }
    }

    private static IpipConfig decodeIpip(Attributes d) {
        Integer link = d.u32(Rtnl.IFLA_IPTUN_LINK);
        Integer ttl = d.u8(Rtnl.IFLA_IPTUN_TTL);
        return new IpipConfig(d.ipv4OrNull(Rtnl.IFLA_IPTUN_LOCAL), d.ipv4OrNull(Rtnl.IFLA_IPTUN_REMOTE),
                ttl == null ? 0 : ttl, link == null ? 0 : link);
    }
}
