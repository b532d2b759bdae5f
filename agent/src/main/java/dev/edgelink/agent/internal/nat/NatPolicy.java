package dev.edgelink.agent.internal.nat;

import dev.edgelink.agent.config.Cidrs;
import dev.edgelink.discovery.NodeReachability;
import dev.edgelink.net.IpPrefix;
import java.net.InetAddress;
import java.util.List;

/**
 * Which paths can work between two nodes given what their records say, decided cheaply and without I/O. Kernel
 * paths send to the peer's underlay address and expect the answer from it, so they need both ends to see each
 * other's underlay address unchanged: same subnet, same site, or both public. A NAT in between rewrites one of
 * them and the path cannot work, so it is not even tried. Pure.
 */
public final class NatPolicy {

    private NatPolicy() {
    }

    /** What one end of a pair announces: its site label and its reachability. */
    public record End(String site, NodeReachability reachability) {
        public End {
            site = site == null ? "" : site;
            reachability = reachability == null ? NodeReachability.UNKNOWN : reachability;
        }

        boolean natted() {
            return reachability == NodeReachability.NAT_PORT_PRESERVING
                    || reachability == NodeReachability.NAT_SYMMETRIC;
        }
    }

    /**
     * Whether a kernel path (hostgw, ipip, vxlan) may be tried to the peer. Yes when its underlay address is on one
     * of our subnets, or both ends name the same site; when both name sites and they differ, only when both are
     * public; when a site is not given (one flat network, the old behaviour), unless either end knows it is behind
     * a NAT.
     *
     * @return null when eligible, else the reason it is not
     */
    public static String kernelRefusal(End local, End peer, boolean peerOnOurSubnet) {
        if (peerOnOurSubnet) {
            return null;
        }
        if (!local.site().isEmpty() && !peer.site().isEmpty()) {
            if (local.site().equals(peer.site())) {
                return null;
            }
            if (local.reachability() == NodeReachability.PUBLIC && peer.reachability() == NodeReachability.PUBLIC) {
                return null;
            }
            return "peer is at site " + peer.site() + ", we are at " + local.site() + ", not both public (NAT between)";
        }
        if (local.natted()) {
            return "we are behind a NAT (" + label(local.reachability()) + ")";
        }
        if (peer.natted()) {
            return "peer is behind a NAT (" + label(peer.reachability()) + ")";
        }
        return null;
    }

    /**
     * Whether the underlay between us and the peer may carry pod packets in clear. Kernel paths (hostgw, ipip,
     * vxlan) neither encrypt nor authenticate, so they are used only inside a site (nodes without a site label
     * form one default site) or when both underlay addresses lie in an operator-trusted underlay
     * ({@code trust.kernelUnderlays}); everything else takes an encrypted userspace path. The peer's site is the
     * one its certificate grants (the store refuses a record whose site differs from its certificate's).
     *
     * @param localUnderlay our underlay address
     * @param peerUnderlay the peer's underlay addresses (the kernel paths use the first IPv4 one)
     * @return null when a kernel path is allowed, else the reason it is not
     */
    public static String untrustedUnderlay(String localSite, String peerSite, InetAddress localUnderlay,
            List<InetAddress> peerUnderlay, List<IpPrefix> kernelUnderlays) {
        String ours = localSite == null ? "" : localSite;
        String theirs = peerSite == null ? "" : peerSite;
        if (ours.equals(theirs)) {
            return null;
        }
        if (inside(localUnderlay, kernelUnderlays)
                && peerUnderlay.stream().anyMatch(a -> inside(a, kernelUnderlays))) {
            return null;
        }
        return "peer is at site " + siteName(theirs) + ", we are at " + siteName(ours)
                + ", and the underlay between is not in trust.kernelUnderlays: kernel paths would carry pod traffic"
                + " in clear";
    }

    private static boolean inside(InetAddress a, List<IpPrefix> prefixes) {
        return a != null && prefixes.stream().anyMatch(p -> Cidrs.contains(p, a));
    }

    private static String siteName(String site) {
        return site.isEmpty() ? "(default)" : site;
    }

    /**
     * Whether to dial the peer's own (non-circuit) listen addresses: the peer is at our site (its LAN address is
     * reachable without a hairpin through the NAT), on our subnet, or public. Else only its circuit addresses, and
     * a hole punch, can reach it.
     */
    public static boolean dialDirectly(End local, End peer, boolean peerOnOurSubnet) {
        if (peerOnOurSubnet || peer.reachability() == NodeReachability.PUBLIC) {
            return true;
        }
        if (!local.site().isEmpty() && local.site().equals(peer.site())) {
            return true;
        }
        return kernelRefusal(local, peer, false) == null;
    }

    /** The status word of a reachability ("public", "NAT_SYMMETRIC" is "symmetric" NAT...). */
    public static String label(NodeReachability r) {
        return switch (r) {
            case PUBLIC -> "public";
            case NAT_PORT_PRESERVING -> "NAT is port-preserving";
            case NAT_SYMMETRIC -> "NAT is symmetric";
            default -> "reachability unknown";
        };
    }
}
