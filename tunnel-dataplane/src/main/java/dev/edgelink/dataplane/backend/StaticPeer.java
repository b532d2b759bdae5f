package dev.edgelink.dataplane.backend;

import dev.edgelink.net.IpPrefix;
import dev.edgelink.net.MacAddress;
import java.net.InetAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/** A {@link PeerView} held as plain values (what the agent builds from a node record, and what tests use). */
public record StaticPeer(String nodeName, List<IpPrefix> podCidrs, List<InetAddress> underlayAddresses,
                         Optional<InetAddress> sharedSubnetUnderlay, Optional<MacAddress> vtepMac,
                         InetAddress tunnelAddress, Set<PathKind> capabilities) implements PeerView {
    public StaticPeer {
        Objects.requireNonNull(nodeName, "nodeName");
        podCidrs = List.copyOf(podCidrs);
        underlayAddresses = List.copyOf(underlayAddresses);
        if (underlayAddresses.isEmpty()) {
            throw new IllegalArgumentException("peer " + nodeName + " has no underlay address");
        }
        Objects.requireNonNull(sharedSubnetUnderlay, "sharedSubnetUnderlay");
        Objects.requireNonNull(vtepMac, "vtepMac");
        Objects.requireNonNull(tunnelAddress, "tunnelAddress");
        capabilities = Set.copyOf(capabilities);
    }

    /** A peer with one pod CIDR whose first address is the tunnel address, one underlay address, every path. */
    public static StaticPeer of(String nodeName, IpPrefix podCidr, InetAddress underlay, MacAddress vtepMac) {
        return new StaticPeer(nodeName, List.of(podCidr), List.of(underlay), Optional.empty(),
                Optional.ofNullable(vtepMac), podCidr.address(), Set.of(PathKind.values()));
    }
}
