package dev.edgelink.dataplane.internal.netlink.codec;

import dev.edgelink.dataplane.netlink.MalformedMessageException;
import dev.edgelink.net.MacAddress;
import java.net.InetAddress;
import java.nio.ByteBuffer;

/**
 * RTM_NEWNEIGH / RTM_DELNEIGH / RTM_GETNEIGH: {@code struct ndmsg} followed by NDA_* attributes. The same message
 * carries neighbour entries (family AF_INET/AF_INET6) and FDB entries (family AF_BRIDGE, with NTF_SELF for the
 * device's own table, as a VXLAN device has).
 *
 * <pre>
 * struct ndmsg (12 bytes)
 * +---------------+---------------+-------------------------------+
 * |  ndm_family   |   (pad1)      |            (pad2)             |
 * +---------------+---------------+-------------------------------+
 * |                      ndm_ifindex (s32)                        |
 * +-------------------------------+---------------+---------------+
 * |     ndm_state (NUD_*)         | ndm_flags NTF | ndm_type      |
 * +-------------------------------+---------------+---------------+
 * attributes, in iproute2's order: neighbour: NDA_DST, NDA_LLADDR; FDB (AF_BRIDGE): NDA_LLADDR, NDA_DST
 * </pre>
 */
public record NeighborMessage(int family, int index, int state, int flags, int type, InetAddress destination,
                              MacAddress lladdr) {
    public static final int NDMSG_SIZE = 12;

    public byte[] encode(int msgType, int headerFlags, int seq) {
        MessageWriter w = new MessageWriter(msgType, headerFlags, seq);
        w.u8(family).u8(0).u16(0).u32(index).u16(state).u8(flags).u8(type);
        if (family == Rtnl.AF_BRIDGE) {
            writeLladdr(w);
            writeDestination(w);
        } else {
            writeDestination(w);
            writeLladdr(w);
        }
        return w.finish();
    }

    private void writeDestination(MessageWriter w) {
        if (destination != null) {
            w.attrAddress(Rtnl.NDA_DST, destination);
        }
    }

    private void writeLladdr(MessageWriter w) {
        if (lladdr != null) {
            w.attr(Rtnl.NDA_LLADDR, lladdr.toBytes());
        }
    }

    /** A dump request for {@code family}. */
    public static byte[] dumpRequest(int family, int seq) {
        return new MessageWriter(Rtnl.RTM_GETNEIGH, Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_DUMP, seq)
                .u8(family).u8(0).u16(0).u32(0).u16(0).u8(0).u8(0).finish();
    }

    public static NeighborMessage decode(ByteBuffer payload) {
        if (payload.remaining() < NDMSG_SIZE) {
            throw new MalformedMessageException("ndmsg needs 12 bytes, got " + payload.remaining());
        }
        ByteBuffer b = payload.duplicate().order(NetlinkHeader.ORDER);
        int p = b.position();
        Attributes a = Attributes.parse(b.position(p + NDMSG_SIZE));
        return new NeighborMessage(b.get(p) & 0xff, b.getInt(p + 4), b.getShort(p + 8) & 0xffff,
                b.get(p + 10) & 0xff, b.get(p + 11) & 0xff, a.address(Rtnl.NDA_DST), a.mac(Rtnl.NDA_LLADDR));
    }
}
