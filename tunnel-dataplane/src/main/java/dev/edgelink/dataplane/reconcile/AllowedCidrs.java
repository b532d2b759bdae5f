package dev.edgelink.dataplane.reconcile;

import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.PeerView;
import dev.edgelink.net.IpPrefix;
import dev.edgelink.net.MacAddress;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** A peer as a backend sees it when some of its pod CIDRs were refused: with the allowed ones only. */
record AllowedCidrs(PeerView peer, List<IpPrefix> podCidrs) implements PeerView {
    @Override
    public String nodeName() {
        return peer.nodeName();
    }

    @Override
    public List<InetAddress> underlayAddresses() {
        return peer.underlayAddresses();
    }

    @Override
    public Optional<InetAddress> sharedSubnetUnderlay() {
        return peer.sharedSubnetUnderlay();
    }

    @Override
    public Optional<MacAddress> vtepMac() {
        return peer.vtepMac();
    }

    @Override
    public InetAddress tunnelAddress() {
        return peer.tunnelAddress();
    }

    @Override
    public Set<PathKind> capabilities() {
        return peer.capabilities();
    }
}
