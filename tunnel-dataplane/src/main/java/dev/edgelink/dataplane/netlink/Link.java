package dev.edgelink.dataplane.netlink;

import dev.edgelink.net.MacAddress;

/**
 * A network device as the kernel reported it. Fields that the device does not have are 0 or {@code null}.
 *
 * @param index ifindex
 * @param name interface name
 * @param kind {@code IFLA_INFO_KIND} ("vxlan", "veth", ...), or {@code null} for devices without one (lo, eth)
 * @param mtu MTU in bytes
 * @param address hardware address, or {@code null}
 * @param parentIndex {@code IFLA_LINK} (e.g. a veth's peer), or 0
 * @param masterIndex {@code IFLA_MASTER} (e.g. a bridge), or 0
 * @param up administratively up ({@code IFF_UP})
 * @param operState RFC 2863 operational state ({@code IF_OPER_*}: 6 = up, 2 = down, 0 = unknown)
 * @param vxlan VXLAN settings when {@code kind} is "vxlan", else {@code null}
 * @param ipip IP-in-IP settings when {@code kind} is "ipip", else {@code null}
 */
public record Link(int index, String name, String kind, int mtu, MacAddress address, int parentIndex,
                   int masterIndex, boolean up, int operState, VxlanConfig vxlan, IpipConfig ipip) {
    public static final int OPER_UNKNOWN = 0;
    public static final int OPER_DOWN = 2;
    public static final int OPER_UP = 6;
}
