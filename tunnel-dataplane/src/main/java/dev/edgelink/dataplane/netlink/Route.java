package dev.edgelink.dataplane.netlink;

import dev.edgelink.net.IpPrefix;
import java.net.InetAddress;
import java.util.Objects;

/**
 * A route. Routes edgelink installs carry {@link #PROTOCOL_EDGELINK} so that a reconciler can list and remove its
 * own routes and never touch anyone else's.
 *
 * @param destination destination prefix (network form)
 * @param gateway next hop, or {@code null} for a directly connected route
 * @param outputLink output ifindex, or 0 to let the kernel choose from the gateway
 * @param table routing table ({@link #TABLE_MAIN} unless policy routing is used)
 * @param protocol originator ({@code rtm_protocol})
 * @param scope {@code rtm_scope} ({@link #SCOPE_UNIVERSE} for routes via a gateway, {@link #SCOPE_LINK} without)
 * @param type {@code rtm_type} ({@link #TYPE_UNICAST})
 * @param onlink {@code RTNH_F_ONLINK}: the gateway is on the output link even if no address says so (VXLAN and
 *     IPIP routes via the remote tunnel address)
 */
public record Route(IpPrefix destination, InetAddress gateway, int outputLink, int table, int protocol, int scope,
                    int type, boolean onlink) {
    /**
     * edgelink's route protocol number, 69 (ASCII 'E'). Values 5..254 are not interpreted by the kernel; 69 is
     * not in iproute2's {@code /etc/iproute2/rt_protos} (0-4, 8-18, 42 babel, 99 openr, 186-192 routing daemons)
     * and not used by flannel (kernel/boot routes), Calico (bird 12) or kube-router (17). {@code ip route show
     * proto 69} lists ours; add {@code 69 edgelink} to {@code rt_protos.d} to see the name.
     */
    public static final int PROTOCOL_EDGELINK = 69;
    public static final int PROTOCOL_KERNEL = 2;
    public static final int PROTOCOL_BOOT = 3;
    public static final int PROTOCOL_STATIC = 4;
    public static final int TABLE_MAIN = 254;
    public static final int SCOPE_UNIVERSE = 0;
    public static final int SCOPE_LINK = 253;
    public static final int SCOPE_HOST = 254;
    public static final int TYPE_UNICAST = 1;

    public Route {
        Objects.requireNonNull(destination, "destination");
        if (protocol < 0 || protocol > 255 || scope < 0 || scope > 255 || type < 0 || type > 255) {
            throw new IllegalArgumentException("protocol, scope and type are bytes");
        }
    }

    /**
     * flannel's VXLAN/IPIP route: {@code DEST via GATEWAY dev LINK onlink proto edgelink} in the main table.
     */
    public static Route onlinkVia(IpPrefix destination, InetAddress gateway, int outputLink) {
        return new Route(destination, gateway, outputLink, TABLE_MAIN, PROTOCOL_EDGELINK, SCOPE_UNIVERSE,
                TYPE_UNICAST, true);
    }

    /** The hostgw route: {@code DEST via GATEWAY proto edgelink} ({@code outputLink} may be 0). */
    public static Route via(IpPrefix destination, InetAddress gateway, int outputLink) {
        return new Route(destination, gateway, outputLink, TABLE_MAIN, PROTOCOL_EDGELINK, SCOPE_UNIVERSE,
                TYPE_UNICAST, false);
    }

    /**
     * iproute2's name of a route protocol ({@code rt_protos}: "kernel", "boot", "static", "dhcp", ...), "edgelink"
     * for ours, or the number when it has no name.
     */
    public static String protocolName(int protocol) {
        return switch (protocol) {
            case 0 -> "unspec";
            case 1 -> "redirect";
            case PROTOCOL_KERNEL -> "kernel";
            case PROTOCOL_BOOT -> "boot";
            case PROTOCOL_STATIC -> "static";
            case 8 -> "gated";
            case 9 -> "ra";
            case 10 -> "mrt";
            case 11 -> "zebra";
            case 12 -> "bird";
            case 13 -> "dnrouted";
            case 14 -> "xorp";
            case 15 -> "ntk";
            case 16 -> "dhcp";
            case 42 -> "babel";
            case PROTOCOL_EDGELINK -> "edgelink";
            case 186 -> "bgp";
            case 187 -> "isis";
            case 188 -> "ospf";
            case 189 -> "rip";
            case 192 -> "eigrp";
            default -> Integer.toString(protocol);
        };
    }

    /** A directly connected route: {@code DEST dev LINK scope link proto edgelink}. */
    public static Route direct(IpPrefix destination, int outputLink) {
        return new Route(destination, null, outputLink, TABLE_MAIN, PROTOCOL_EDGELINK, SCOPE_LINK, TYPE_UNICAST,
                false);
    }
}
