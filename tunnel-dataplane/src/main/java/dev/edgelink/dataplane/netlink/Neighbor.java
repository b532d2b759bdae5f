package dev.edgelink.dataplane.netlink;

import dev.edgelink.net.MacAddress;
import java.net.InetAddress;
import java.util.Objects;

/**
 * A neighbour (ARP/NDP) entry: {@code ip neigh replace ADDRESS lladdr MAC dev LINK nud permanent}.
 *
 * @param linkIndex the link the neighbour is on
 * @param address its IP address
 * @param mac its hardware address, or {@code null} in entries the kernel has not resolved
 * @param state {@code NUD_*} bits ({@link #NUD_PERMANENT} for entries we set)
 */
public record Neighbor(int linkIndex, InetAddress address, MacAddress mac, int state) {
    public static final int NUD_INCOMPLETE = 0x01;
    public static final int NUD_REACHABLE = 0x02;
    public static final int NUD_STALE = 0x04;
    public static final int NUD_FAILED = 0x20;
    public static final int NUD_NOARP = 0x40;
    public static final int NUD_PERMANENT = 0x80;

    public Neighbor {
        Objects.requireNonNull(address, "address");
    }

    /** A permanent entry, as flannel's VXLAN backend sets one per remote node. */
    public static Neighbor permanent(int linkIndex, InetAddress address, MacAddress mac) {
        return new Neighbor(linkIndex, address, Objects.requireNonNull(mac, "mac"), NUD_PERMANENT);
    }

    public boolean isPermanent() {
        return (state & NUD_PERMANENT) != 0;
    }
}
