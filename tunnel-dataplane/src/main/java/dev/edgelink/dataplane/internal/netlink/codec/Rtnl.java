package dev.edgelink.dataplane.internal.netlink.codec;

/**
 * Numbers from the Linux UAPI headers (netlink.h, rtnetlink.h, if_link.h, if_addr.h, neighbour.h, if_tunnel.h,
 * veth.h) that this codec uses. Values are ABI: they never change.
 */
public final class Rtnl {
    // netlink.h: message types and header flags
    public static final int NLMSG_NOOP = 1;
    public static final int NLMSG_ERROR = 2;
    public static final int NLMSG_DONE = 3;
    public static final int NLMSG_OVERRUN = 4;
    public static final int NLM_F_REQUEST = 0x01;
    public static final int NLM_F_MULTI = 0x02;
    public static final int NLM_F_ACK = 0x04;
    public static final int NLM_F_DUMP_INTR = 0x10;
    public static final int NLM_F_DUMP = 0x300;
    public static final int NLM_F_REPLACE = 0x100;
    public static final int NLM_F_EXCL = 0x200;
    public static final int NLM_F_CREATE = 0x400;
    public static final int NLM_F_APPEND = 0x800;
    /** In an NLMSG_ERROR: only the request's header was echoed. */
    public static final int NLM_F_CAPPED = 0x100;
    /** In an NLMSG_ERROR: extended-ack attributes follow the echoed request. */
    public static final int NLM_F_ACK_TLVS = 0x200;
    public static final int NLMSGERR_ATTR_MSG = 1;
    public static final int NLA_F_NESTED = 0x8000;
    public static final int NLA_F_NET_BYTEORDER = 0x4000;
    public static final int NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

    // rtnetlink.h: message types
    public static final int RTM_NEWLINK = 16;
    public static final int RTM_DELLINK = 17;
    public static final int RTM_GETLINK = 18;
    public static final int RTM_NEWADDR = 20;
    public static final int RTM_DELADDR = 21;
    public static final int RTM_GETADDR = 22;
    public static final int RTM_NEWROUTE = 24;
    public static final int RTM_DELROUTE = 25;
    public static final int RTM_GETROUTE = 26;
    public static final int RTM_NEWNEIGH = 28;
    public static final int RTM_DELNEIGH = 29;
    public static final int RTM_GETNEIGH = 30;

    // address families
    public static final int AF_UNSPEC = 0;
    public static final int AF_INET = 2;
    public static final int AF_BRIDGE = 7;
    public static final int AF_INET6 = 10;

    // if.h
    public static final int IFF_UP = 0x1;

    // if_link.h: IFLA_*
    public static final int IFLA_ADDRESS = 1;
    public static final int IFLA_IFNAME = 3;
    public static final int IFLA_MTU = 4;
    public static final int IFLA_LINK = 5;
    public static final int IFLA_MASTER = 10;
    public static final int IFLA_OPERSTATE = 16;
    public static final int IFLA_LINKINFO = 18;
    public static final int IFLA_NET_NS_FD = 28;
    public static final int IFLA_EXT_MASK = 29;
    public static final int IFLA_INFO_KIND = 1;
    public static final int IFLA_INFO_DATA = 2;
    public static final int IFLA_VXLAN_ID = 1;
    public static final int IFLA_VXLAN_LINK = 3;
    public static final int IFLA_VXLAN_LOCAL = 4;
    public static final int IFLA_VXLAN_TTL = 5;
    public static final int IFLA_VXLAN_LEARNING = 7;
    /** Big-endian (network order) u16, unlike the other integers. */
    public static final int IFLA_VXLAN_PORT = 15;
    // if_tunnel.h: IFLA_IPTUN_*
    public static final int IFLA_IPTUN_LINK = 1;
    public static final int IFLA_IPTUN_LOCAL = 2;
    public static final int IFLA_IPTUN_REMOTE = 3;
    public static final int IFLA_IPTUN_TTL = 4;
    public static final int IFLA_IPTUN_PMTUDISC = 10;
    // veth.h
    public static final int VETH_INFO_PEER = 1;

    // if_addr.h: IFA_*
    public static final int IFA_ADDRESS = 1;
    public static final int IFA_LOCAL = 2;

    // rtnetlink.h: RTA_*, RTN_*, RTNH_F_*, RT_SCOPE_*, RT_TABLE_*
    public static final int RTA_DST = 1;
    public static final int RTA_OIF = 4;
    public static final int RTA_GATEWAY = 5;
    public static final int RTA_PRIORITY = 6;
    public static final int RTA_TABLE = 15;
    public static final int RTN_UNSPEC = 0;
    public static final int RTN_UNICAST = 1;
    public static final int RTNH_F_ONLINK = 4;
    public static final int RT_SCOPE_NOWHERE = 255;
    public static final int RT_TABLE_UNSPEC = 0;

    // neighbour.h: NDA_*, NTF_*
    public static final int NDA_DST = 1;
    public static final int NDA_LLADDR = 2;
    public static final int NDA_MASTER = 9;
    public static final int NTF_SELF = 0x02;
    public static final int NTF_PROXY = 0x08;

    private Rtnl() {
    }
}
