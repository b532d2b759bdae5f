package dev.edgelink.dataplane.backend;

import dev.edgelink.net.IpPrefix;
import dev.edgelink.net.MacAddress;
import java.net.Inet4Address;
import java.util.Objects;
import java.util.Optional;

/**
 * This node's side of the data plane: where its underlay is ("outside") and which pod CIDR it serves ("inside").
 *
 * @param nodeName this node's name
 * @param underlayDevice the device that holds {@code underlayAddress}
 * @param underlayAddress the source address of kernel tunnels
 * @param podCidr this node's pod CIDR
 * @param tunnelAddress the address tunnel devices hold (/32), usually the first address of {@code podCidr}
 * @param vtepMac a fixed MAC for the VXLAN device, so it survives the device being recreated; empty = the kernel's
 */
public record LocalNode(String nodeName, String underlayDevice, Inet4Address underlayAddress, IpPrefix podCidr,
                        Inet4Address tunnelAddress, Optional<MacAddress> vtepMac) {
    public LocalNode {
        Objects.requireNonNull(nodeName, "nodeName");
        Objects.requireNonNull(underlayDevice, "underlayDevice");
        Objects.requireNonNull(underlayAddress, "underlayAddress");
        Objects.requireNonNull(podCidr, "podCidr");
        Objects.requireNonNull(tunnelAddress, "tunnelAddress");
        Objects.requireNonNull(vtepMac, "vtepMac");
    }

    /** The tunnel address as a /32 interface address. */
    public IpPrefix tunnelHostPrefix() {
        return IpPrefix.host(tunnelAddress);
    }
}
