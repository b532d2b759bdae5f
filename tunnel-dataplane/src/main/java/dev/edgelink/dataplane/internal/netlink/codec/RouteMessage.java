package dev.edgelink.dataplane.internal.netlink.codec;

import dev.edgelink.dataplane.netlink.MalformedMessageException;
import java.net.InetAddress;
import java.nio.ByteBuffer;

/**
 * RTM_NEWROUTE / RTM_DELROUTE / RTM_GETROUTE: {@code struct rtmsg} followed by RTA_* attributes.
 *
 * <pre>
 * struct rtmsg (12 bytes)
 * +---------------+---------------+---------------+---------------+
 * |  rtm_family   |  rtm_dst_len  |  rtm_src_len  |    rtm_tos    |
 * +---------------+---------------+---------------+---------------+
 * |  rtm_table    | rtm_protocol  |  rtm_scope    |   rtm_type    |
 * +---------------+---------------+---------------+---------------+
 * |                  rtm_flags (RTNH_F_ONLINK = 4)                |
 * +---------------------------------------------------------------+
 * attributes, in this order: RTA_DST addr, RTA_GATEWAY addr, RTA_OIF u32, RTA_TABLE u32, RTA_PRIORITY u32
 * </pre>
 *
 * A table below 256 travels in {@code rtm_table} alone (as iproute2 sends it); a larger one as RT_TABLE_UNSPEC
 * plus RTA_TABLE. On decode RTA_TABLE, when present, wins.
 */
public record RouteMessage(int family, int dstLength, int table, int protocol, int scope, int type, int flags,
                           InetAddress destination, InetAddress gateway, Integer outputLink, Integer priority) {
    public static final int RTMSG_SIZE = 12;

    public byte[] encode(int msgType, int headerFlags, int seq) {
        MessageWriter w = new MessageWriter(msgType, headerFlags, seq);
        w.u8(family).u8(dstLength).u8(0).u8(0);
        w.u8(table < 256 ? table : Rtnl.RT_TABLE_UNSPEC).u8(protocol).u8(scope).u8(type).u32(flags);
        if (destination != null) {
            w.attrAddress(Rtnl.RTA_DST, destination);
        }
        if (gateway != null) {
            w.attrAddress(Rtnl.RTA_GATEWAY, gateway);
        }
        if (outputLink != null) {
            w.attrU32(Rtnl.RTA_OIF, outputLink);
        }
        if (table >= 256) {
            w.attrU32(Rtnl.RTA_TABLE, table);
        }
        if (priority != null) {
            w.attrU32(Rtnl.RTA_PRIORITY, priority);
        }
        return w.finish();
    }

    /** A dump request for {@code family} (AF_UNSPEC for all). */
    public static byte[] dumpRequest(int family, int seq) {
        return new MessageWriter(Rtnl.RTM_GETROUTE, Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_DUMP, seq)
                .u8(family).u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).u32(0).finish();
    }

    public static RouteMessage decode(ByteBuffer payload) {
        if (payload.remaining() < RTMSG_SIZE) {
            throw new MalformedMessageException("rtmsg needs 12 bytes, got " + payload.remaining());
        }
        ByteBuffer b = payload.duplicate().order(NetlinkHeader.ORDER);
        int p = b.position();
        Attributes a = Attributes.parse(b.position(p + RTMSG_SIZE));
        Integer tableAttr = a.u32(Rtnl.RTA_TABLE);
        int table = tableAttr != null ? tableAttr : b.get(p + 4) & 0xff;
        return new RouteMessage(b.get(p) & 0xff, b.get(p + 1) & 0xff, table, b.get(p + 5) & 0xff,
                b.get(p + 6) & 0xff, b.get(p + 7) & 0xff, b.getInt(p + 8), a.address(Rtnl.RTA_DST),
                a.address(Rtnl.RTA_GATEWAY), a.u32(Rtnl.RTA_OIF), a.u32(Rtnl.RTA_PRIORITY));
    }
}
