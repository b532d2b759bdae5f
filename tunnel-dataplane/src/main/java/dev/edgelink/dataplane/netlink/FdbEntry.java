package dev.edgelink.dataplane.netlink;

import dev.edgelink.net.MacAddress;
import java.net.InetAddress;
import java.util.Objects;

/**
 * A forwarding entry of a VXLAN device's own FDB ({@code bridge fdb append MAC dev LINK dst DEST self permanent}):
 * frames for {@code mac} are sent to the VTEP at underlay address {@code destination}.
 */
public record FdbEntry(int linkIndex, MacAddress mac, InetAddress destination) {
    public FdbEntry {
        Objects.requireNonNull(mac, "mac");
        Objects.requireNonNull(destination, "destination");
    }
}
