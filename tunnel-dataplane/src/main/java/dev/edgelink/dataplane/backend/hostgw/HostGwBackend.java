package dev.edgelink.dataplane.backend.hostgw;

import dev.edgelink.dataplane.backend.KernelBackend;
import dev.edgelink.dataplane.backend.KernelObjects;
import dev.edgelink.dataplane.backend.LocalNode;
import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.PeerView;
import dev.edgelink.dataplane.backend.Subnets;
import dev.edgelink.dataplane.backend.Verdict;
import dev.edgelink.dataplane.netlink.LinkAddress;
import dev.edgelink.dataplane.netlink.Netlink;
import dev.edgelink.dataplane.netlink.Route;
import dev.edgelink.net.IpPrefix;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * hostgw: the peer's pod CIDR is routed via the peer's underlay address, nothing is encapsulated (flannel's host-gw,
 * Calico's CrossSubnet "same subnet" case). It only works when the next hop is on a subnet we are directly
 * connected to, so eligibility is decided by the kernel's own interface addresses, not by the node record alone: a
 * peer whose underlay address lies in the prefix of one of our addresses shares that L2 segment with us.
 *
 * <p>The route names its output device explicitly (the device holding the shared prefix), so that the route the
 * kernel reports back is equal to the one we asked for and the reconciler sees no false drift.
 */
public final class HostGwBackend extends KernelBackend {

    /** The shared prefix and the device and peer address on it. */
    record Neighbourhood(InetAddress peerAddress, IpPrefix subnet, int linkIndex) {
    }

    public HostGwBackend(Netlink netlink) {
        super(netlink);
    }

    @Override
    public PathKind kind() {
        return PathKind.HOSTGW;
    }

    @Override
    protected Verdict probeKernel() {
        return Verdict.yes("hostgw needs only routes");
    }

    /** hostgw has no device. */
    @Override
    public void ensureDevice(LocalNode local) {
        // Nothing to make: routes go straight out of the underlay device.
    }

    @Override
    public Verdict eligibility(PeerView peer) {
        if (!peer.capabilities().contains(PathKind.HOSTGW)) {
            return Verdict.no("hostgw: " + peer.nodeName() + " does not offer it");
        }
        Optional<Neighbourhood> n = neighbourhood(peer);
        if (n.isEmpty()) {
            return Verdict.no("hostgw: no underlay address of " + peer.nodeName() + " (" + addresses(peer)
                    + ") is on a subnet we are directly connected to");
        }
        return Verdict.yes("hostgw: peer " + n.get().peerAddress().getHostAddress() + " shares "
                + n.get().subnet());
    }

    @Override
    public KernelObjects objectsFor(PeerView peer, List<IpPrefix> destinations) {
        Neighbourhood n = neighbourhood(peer).orElseThrow(() -> new IllegalStateException(
                "hostgw: " + peer.nodeName() + " shares no subnet with us"));
        List<Route> routes = new ArrayList<>();
        for (IpPrefix d : destinations) {
            routes.add(Route.via(d, n.peerAddress(), n.linkIndex()));
        }
        return new KernelObjects(routes, List.of(), List.of());
    }

    @Override
    public int overheadBytes() {
        return 0;
    }

    @Override
    public List<Integer> ownedLinks() {
        return List.of();
    }

    /** The first underlay address of the peer (the agent's hint first) inside one of our IPv4 interface prefixes. */
    Optional<Neighbourhood> neighbourhood(PeerView peer) {
        List<InetAddress> candidates = new ArrayList<>();
        peer.sharedSubnetUnderlay().ifPresent(candidates::add);
        candidates.addAll(peer.underlayAddresses());
        List<LinkAddress> ours = netlink.addresses(0);
        for (InetAddress c : candidates) {
            for (LinkAddress a : ours) {
                IpPrefix p = a.prefix();
                boolean usable = p.address() instanceof Inet4Address && p.length() > 0 && p.length() < 32
                        && !p.address().isLoopbackAddress();
                if (usable && Subnets.contains(p, c) && !c.equals(p.address())) {
                    return Optional.of(new Neighbourhood(c, Subnets.network(p), a.linkIndex()));
                }
            }
        }
        return Optional.empty();
    }

    private static String addresses(PeerView peer) {
        List<String> out = new ArrayList<>();
        peer.underlayAddresses().forEach(a -> out.add(a.getHostAddress()));
        return String.join(", ", out);
    }
}
