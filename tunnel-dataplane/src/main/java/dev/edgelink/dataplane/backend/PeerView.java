package dev.edgelink.dataplane.backend;

import dev.edgelink.net.IpPrefix;
import dev.edgelink.net.MacAddress;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * All the data plane knows about a remote node: what its signed node record says, as the agent hands it over. The
 * data plane never sees libp2p; the agent adapts its membership view to this.
 */
public interface PeerView {

    /** The node's name, unique in the cluster (the key of every per-peer table). */
    String nodeName();

    /** Pod CIDRs routed to this node (network form). */
    List<IpPrefix> podCidrs();

    /** Underlay addresses of the node, the one to use for kernel tunnels first. Never empty. */
    List<InetAddress> underlayAddresses();

    /**
     * The underlay address that the agent believes is on a subnet we share, if any. A hint: hostgw checks it (and
     * the others) against the kernel's own connected subnets before using it.
     */
    Optional<InetAddress> sharedSubnetUnderlay();

    /** The MAC of the node's VXLAN device, if it has one. */
    Optional<MacAddress> vtepMac();

    /**
     * The node's tunnel address: the first address of its pod CIDR, held by its tunnel devices (as flannel does);
     * the onlink gateway of VXLAN routes and the target of path probes.
     */
    InetAddress tunnelAddress();

    /** The paths the node offers. */
    Set<PathKind> capabilities();

    /** The address kernel tunnels send to: the first underlay address. */
    default InetAddress primaryUnderlay() {
        return underlayAddresses().get(0);
    }
}
