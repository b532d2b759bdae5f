package dev.edgelink.dataplane.internal.netlink.codec;

import dev.edgelink.dataplane.netlink.MalformedMessageException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;

/**
 * RTM_NEWADDR / RTM_DELADDR / RTM_GETADDR: {@code struct ifaddrmsg} followed by IFA_* attributes.
 *
 * <pre>
 * struct ifaddrmsg (8 bytes)
 * +---------------+---------------+---------------+---------------+
 * |  ifa_family   | ifa_prefixlen |  ifa_flags    |  ifa_scope    |
 * +---------------+---------------+---------------+---------------+
 * |                       ifa_index (u32)                         |
 * +---------------------------------------------------------------+
 * attributes, in this order: IFA_LOCAL (IPv4 only), IFA_ADDRESS (4 or 16 bytes each)
 * </pre>
 *
 * On a broadcast link the two addresses are equal; on a point-to-point link IFA_ADDRESS is the peer. We read
 * IFA_LOCAL when present, else IFA_ADDRESS (IPv6 sends only that).
 */
public record AddressMessage(int family, int prefixLength, int flags, int scope, int index, InetAddress address) {
    public static final int IFADDRMSG_SIZE = 8;

    /** The request to add or delete {@code address/prefixLength} on link {@code index}. */
    public static AddressMessage of(int index, InetAddress address, int prefixLength) {
        return new AddressMessage(familyOf(address), prefixLength, 0, 0, index, address);
    }

    public byte[] encode(int type, int headerFlags, int seq) {
        MessageWriter w = new MessageWriter(type, headerFlags, seq);
        w.u8(family).u8(prefixLength).u8(flags).u8(scope).u32(index);
        if (address != null) {
            if (address instanceof Inet4Address) {
                w.attrAddress(Rtnl.IFA_LOCAL, address);
            }
            w.attrAddress(Rtnl.IFA_ADDRESS, address);
        }
        return w.finish();
    }

    /** A dump request for {@code family} (AF_UNSPEC for all). */
    public static byte[] dumpRequest(int family, int seq) {
        return new MessageWriter(Rtnl.RTM_GETADDR, Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_DUMP, seq)
                .u8(family).u8(0).u8(0).u8(0).u32(0).finish();
    }

    public static AddressMessage decode(ByteBuffer payload) {
        if (payload.remaining() < IFADDRMSG_SIZE) {
            throw new MalformedMessageException("ifaddrmsg needs 8 bytes, got " + payload.remaining());
        }
        ByteBuffer b = payload.duplicate().order(NetlinkHeader.ORDER);
        int p = b.position();
        Attributes a = Attributes.parse(b.position(p + IFADDRMSG_SIZE));
        InetAddress addr = a.has(Rtnl.IFA_LOCAL) ? a.address(Rtnl.IFA_LOCAL) : a.address(Rtnl.IFA_ADDRESS);
        return new AddressMessage(b.get(p) & 0xff, b.get(p + 1) & 0xff, b.get(p + 2) & 0xff, b.get(p + 3) & 0xff,
                b.getInt(p + 4), addr);
    }

    static int familyOf(InetAddress a) {
        return a instanceof Inet4Address ? Rtnl.AF_INET : Rtnl.AF_INET6;
    }
}
